"""Writing tables to files people open in Excel or feed to another system: CSV and XLSX.

One function for every export and report, so that each file is made the same way:

- CSV is UTF-8 with a byte-order mark (Excel then reads Chinese correctly), one header
  row, amounts as plain numbers (``1234.50``), shares as ``11.70%``, dates as ISO text.
- XLSX has a bold, frozen header row, column widths that fit the content, amounts as
  numbers shown ``#,##0.00``, shares as numbers shown ``0.00%``, dates and times as dates.
- Each file names who exported it and when: a last line in CSV, a last sheet in XLSX.
- A file is written under a temporary name in the same folder and renamed when complete,
  so that a failure (a full disk, an interrupted export) leaves no half-written file; an
  existing file is replaced only when the caller says so.

The caller gets the number of rows and the file's SHA-256 (what the audit trail records,
never the values). ``stage`` writes the file but leaves the rename to the caller, for an
export that must be finalised together with a database change (the SMS outbox).
"""

from __future__ import annotations

import csv
import hashlib
import os
import tempfile
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from itertools import islice
from pathlib import Path

from ocrm_tui.i18n import _
from ocrm_tui.services.errors import ValidationError

FORMATS = ("csv", "xlsx")
MONEY_FORMAT = "#,##0.00"
PERCENT_FORMAT = "0.00%"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
WIDTH_SAMPLE = 500  # rows read ahead to size the columns of a sheet
MAX_WIDTH = 60
SHEET_NAME_MAX = 31
# A text cell starting with one of these is a formula to a spreadsheet (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_SHEET_NAME_FORBIDDEN = str.maketrans({c: "_" for c in "[]:*?/\\"})


class Percent(float):
    """A share (0.117) that a file shows as a percentage (11.70 %)."""


Value = str | int | Decimal | Percent | float | date | datetime | None


@dataclass(frozen=True)
class Sheet:
    """One table: a name (the XLSX sheet), the column titles and the rows (may be a generator)."""

    name: str
    headers: Sequence[str]
    rows: Iterable[Sequence[Value]]


@dataclass(frozen=True)
class ExportResult:
    path: Path
    format: str
    rows: int  # data rows, header rows not counted
    sha256: str


def check_format(fmt: str | None, path: str | os.PathLike | None = None) -> str:
    """csv or xlsx: as given, else from the file's extension."""
    value = (fmt or "").strip().lower()
    if not value and path is not None:
        value = Path(path).suffix.lstrip(".").lower()
    if value not in FORMATS:
        raise ValidationError(_("The file format is csv or xlsx (from --format or the file name's extension)"),
                              field="format")
    return value


def check_destination(path: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """The file to write: its folder exists, and it is not an existing file unless replacing it was asked for."""
    target = Path(path).expanduser()
    if target.is_dir():
        raise ValidationError(_("{path} is a folder; name the file to write", path=str(target)), field="out")
    if not target.parent.is_dir():
        raise ValidationError(_("The folder {folder} does not exist", folder=str(target.parent)), field="out")
    if target.exists() and not overwrite:
        raise ValidationError(_("{path} already exists; choose another file name or replace it with --force",
                                path=str(target)), field="out")
    return target


def footer_text(exported_by: str, exported_at: datetime, note: str | None = None) -> str:
    """Who exported the file and when, and (``note``) under which approval, e.g. for full values."""
    text = _("Exported by {who} at {time}", who=exported_by, time=_local(exported_at).strftime("%Y-%m-%d %H:%M:%S"))
    return f"{text}; {note}" if note else text


# -- values -------------------------------------------------------------------------------------

def _local(value: datetime) -> datetime:
    """A time as this machine's clock shows it, without a zone (spreadsheets know no zones)."""
    if value.tzinfo is not None:
        value = value.astimezone()
    return value.replace(tzinfo=None)


def csv_text(value: Value, *, guard: bool = True) -> str:
    """A value as a CSV cell: plain numbers, ISO dates, shares with a percent sign."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, Percent):
        return f"{value * 100:.2f}%"
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, datetime):
        return _local(value).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    if guard and text.startswith(FORMULA_START):
        # A spreadsheet opening the file would run it as a formula.
        text = "'" + text
    return text


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


# -- writing ------------------------------------------------------------------------------------

class StagedFile:
    """A complete file under a temporary name, waiting to be put in place (``finalise``) or
    thrown away (``discard``)."""

    def __init__(self, temp: Path, target: Path, result: ExportResult, overwrite: bool):
        self.temp = temp
        self.target = target
        self.result = result
        self.overwrite = overwrite
        self.finalised = False

    def finalise(self) -> ExportResult:
        """Give the file its name. Without ``overwrite`` a file that appeared meanwhile is kept."""
        if self.overwrite:
            os.replace(self.temp, self.target)
        else:
            try:
                os.link(self.temp, self.target)  # fails if the name is taken: no file is replaced
            except FileExistsError:
                self.discard()
                raise ValidationError(_("{path} already exists; choose another file name or replace it with --force",
                                        path=str(self.target)), field="out") from None
            except OSError:  # a file system without hard links
                if self.target.exists():
                    self.discard()
                    raise ValidationError(
                        _("{path} already exists; choose another file name or replace it with --force",
                          path=str(self.target)), field="out") from None
                os.replace(self.temp, self.target)
            else:
                self.temp.unlink(missing_ok=True)
        self.finalised = True
        return self.result

    def discard(self) -> None:
        self.temp.unlink(missing_ok=True)

    def withdraw(self) -> None:
        """Remove the finalised file again (the database change it belonged to failed)."""
        if self.finalised:
            self.target.unlink(missing_ok=True)
            self.finalised = False


def stage(path: str | os.PathLike, fmt: str, sheets: Sequence[Sheet], *, exported_by: str, exported_at: datetime,
          overwrite: bool = False, footer: bool = True, guard_formulas: bool = True,
          note: str | None = None) -> StagedFile:
    """Write the sheets to a temporary file next to ``path``; the caller finalises or discards it.
    ``note`` is added to the footer line (e.g. the approval of an unmasked export)."""
    fmt = check_format(fmt)
    target = check_destination(path, overwrite=overwrite)
    handle, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(handle)
    temp = Path(temp_name)
    try:
        line = footer_text(exported_by, exported_at, note) if footer else None
        if fmt == "csv":
            rows = _write_csv(temp, sheets, line, guard_formulas)
        else:
            rows = _write_xlsx(temp, sheets, line)
        digest = hashlib.sha256()
        with open(temp, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return StagedFile(temp, target, ExportResult(target, fmt, rows, digest.hexdigest()), overwrite)


def write(path: str | os.PathLike, fmt: str, sheets: Sequence[Sheet], *, exported_by: str, exported_at: datetime,
          overwrite: bool = False, footer: bool = True, guard_formulas: bool = True) -> ExportResult:
    """Write the sheets to ``path`` as CSV or XLSX; returns the row count and the file's SHA-256."""
    staged = stage(path, fmt, sheets, exported_by=exported_by, exported_at=exported_at, overwrite=overwrite,
                   footer=footer, guard_formulas=guard_formulas)
    return staged.finalise()


def _write_csv(temp: Path, sheets: Sequence[Sheet], footer: str | None, guard: bool) -> int:
    """One sheet: a plain table. Several: each under its name, a blank line between them."""
    count = 0
    with open(temp, "w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        titled = len(sheets) > 1
        for i, sheet in enumerate(sheets):
            if titled:
                if i:
                    writer.writerow([])
                writer.writerow([sheet.name])
            writer.writerow(list(sheet.headers))
            for row in sheet.rows:
                writer.writerow([csv_text(v, guard=guard) for v in row])
                count += 1
        if footer:
            writer.writerow([])
            writer.writerow([footer])
        f.flush()
        os.fsync(f.fileno())
    return count


def _sheet_title(name: str, used: set[str]) -> str:
    title = (name.translate(_SHEET_NAME_FORBIDDEN).strip("'") or "Sheet")[:SHEET_NAME_MAX]
    base, n = title, 2
    while title.casefold() in used:
        suffix = f" ({n})"
        title = base[:SHEET_NAME_MAX - len(suffix)] + suffix
        n += 1
    used.add(title.casefold())
    return title


def _write_xlsx(temp: Path, sheets: Sequence[Sheet], footer: str | None) -> int:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    bold = Font(bold=True)
    wb = Workbook(write_only=True)
    used: set[str] = set()
    count = 0

    def cell(ws, value: Value):
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, Percent):
            c = WriteOnlyCell(ws, value=float(value))
            c.number_format = PERCENT_FORMAT
            return c
        if isinstance(value, Decimal):
            c = WriteOnlyCell(ws, value=value)
            c.number_format = MONEY_FORMAT
            return c
        if isinstance(value, (int, float)):
            return value
        if isinstance(value, datetime):
            c = WriteOnlyCell(ws, value=_local(value))
            c.number_format = DATETIME_FORMAT
            return c
        if isinstance(value, date):
            c = WriteOnlyCell(ws, value=value)
            c.number_format = DATE_FORMAT
            return c
        text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
        if text.startswith("="):
            c = WriteOnlyCell(ws, value=text)
            c.data_type = "s"  # text, never a formula
            return c
        return text

    for sheet in sheets:
        ws = wb.create_sheet(_sheet_title(sheet.name, used))
        rows = iter(sheet.rows)
        ahead = list(islice(rows, WIDTH_SAMPLE))
        widths = [_display_width(str(h)) for h in sheet.headers]
        for row in ahead:
            for i, v in enumerate(row):
                w = _display_width(csv_text(v, guard=False)) + (3 if isinstance(v, Decimal) else 0)
                if i < len(widths):
                    widths[i] = max(widths[i], w)
                else:
                    widths.append(w)
        for i, w in enumerate(widths, 1):
            ws.column_dimensions[get_column_letter(i)].width = min(max(w + 2, 8), MAX_WIDTH)
        ws.freeze_panes = "A2"
        header = []
        for h in sheet.headers:
            c = WriteOnlyCell(ws, value=str(h))
            c.font = bold
            header.append(c)
        ws.append(header)
        for row in ahead:
            ws.append([cell(ws, v) for v in row])
            count += 1
        for row in rows:
            ws.append([cell(ws, v) for v in row])
            count += 1
    if footer:
        ws = wb.create_sheet(_sheet_title(_("Export"), used))
        ws.column_dimensions["A"].width = min(max(_display_width(footer) + 2, 8), 100)
        ws.append([footer])
    with open(temp, "wb") as f:
        wb.save(f)
        f.flush()
        os.fsync(f.fileno())
    return count
