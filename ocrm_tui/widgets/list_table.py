"""The lists of the product (ticket queue, campaigns, target list, pool, work platform) are
DataTables that shrink to their header when they are emptied, with a note below saying why.

DataTable works out the height of its rows after the layout that shrank it, and Textual decides
on scrollbars only when the layout changes a widget's size: a list emptied while it scrolled kept
a one-line scrollbar beside its header. Here the scrollbars are decided again whenever the rows'
size changes.

Their columns fit the table's width: ``lay_out`` rebuilds them only when the widths or the
language changed, and ``stale_for`` tells a resized screen whether its widths still fit.
"""

from __future__ import annotations

from collections.abc import Collection

from rich.text import Text
from textual.geometry import Size
from textual.widgets import DataTable


class ListTable(DataTable):
    """A DataTable whose scrollbars follow its rows, also when it is emptied, and whose
    columns are laid out for a width."""

    layout_key: tuple | None = None  # (the columns and their widths, the language) last laid out

    def lay_out(self, widths: dict[str, int], headers: dict[str, str], right: Collection[str] = ()) -> bool:
        """Columns of these widths (in this order) under these headers, those in ``right``
        aligned right; only when the widths or the language changed. True when rebuilt."""
        from ocrm_tui.i18n import get_language

        key = (tuple(widths.items()), get_language())
        if key == self.layout_key:
            return False
        self.layout_key = key
        self.clear(columns=True)
        for column, width in widths.items():
            header = Text(headers[column], justify="right") if column in right else headers[column]
            self.add_column(header, key=column, width=width)
        return True

    def stale_for(self, widths: dict[str, int]) -> bool:
        """Laid out already, for other widths (the screen was resized)."""
        return self.layout_key is not None and self.layout_key[0] != tuple(widths.items())

    def forget_layout(self) -> None:
        """Lay the columns out again at the next fill (other columns are wanted)."""
        self.layout_key = None

    def watch_virtual_size(self, size: Size) -> None:
        if self.is_mounted:
            self._refresh_scrollbars()
