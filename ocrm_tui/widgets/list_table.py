"""The lists of the product (ticket queue, campaigns, target list, pool, work platform) are
DataTables that shrink to their header when they are emptied, with a note below saying why.

DataTable works out the height of its rows after the layout that shrank it, and Textual decides
on scrollbars only when the layout changes a widget's size: a list emptied while it scrolled kept
a one-line scrollbar beside its header. Here the scrollbars are decided again whenever the rows'
size changes.
"""

from __future__ import annotations

from textual.geometry import Size
from textual.widgets import DataTable


class ListTable(DataTable):
    """A DataTable whose scrollbars follow its rows, also when it is emptied."""

    def watch_virtual_size(self, size: Size) -> None:
        if self.is_mounted:
            self._refresh_scrollbars()
