"""Management reports (F6): the reports on the left, the figures of the one chosen on the right.

Above them, the period (this year, this quarter… or custom days typed as ``ocrm report``
takes them) and, for managers and administrators, the branch (their own scope first). The
heading names the report, the period and whose figures they are, with the report's notes
(as of when its monthly figures were summed). A report holds one or more tables: [ and ]
move between them; each shows as its chart when it has one, T shows the table instead (and
back). X writes the report to a CSV or XLSX file, masked as on the screen and audited.

Every report is read in a worker (``reports.run``) with the screen saying so meanwhile; a
refusal (a branch outside the user's scope, a period not begun) is said in its place.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from rich.cells import cell_len
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Input, Label, OptionList, RadioButton, RadioSet, Select, Static
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from ocrm_tui.i18n import _, _c
from ocrm_tui.screens.base import OcrmModal, OcrmScreen
from ocrm_tui.widgets.footer import OcrmFooter
from ocrm_tui.widgets.header import AppHeader
from ocrm_tui.widgets.list_table import ListTable
from ocrm_tui.widgets.report_chart import ReportChart

CUSTOM = "custom"  # the period choice that opens the field for days
OWN_SCOPE = ""  # the branch choice "no branch chosen": the user's own scope
HIGHLIGHT_DELAY = 0.25  # seconds on a report in the list before it is read (Enter reads it at once)
NUMERIC = frozenset({"int", "money", "percent", "number"})
SHA_SHOWN = 12  # characters of the file's SHA-256 in the message after an export


def cell_text(value: Any, kind: str) -> str:
    """A value as the reports screen shows it: 1,234 · 1,234,567.89 · 12.34 % · 4.5 · —."""
    if value is None:
        return "—"
    if kind == "int":
        return f"{int(value):,}"
    if kind == "money":
        return f"{Decimal(value):,.2f}"
    if kind == "percent":
        return f"{float(value) * 100:,.2f} %"
    if kind == "number":
        return f"{float(value):,.1f}"
    return str(value)


def cell(value: Any, kind: str) -> Text:
    return Text(cell_text(value, kind), justify="right" if kind in NUMERIC else "left")


def default_export_path(report) -> str:
    return f"~/ocrm-{report.name}-{report.period.text}.xlsx"


class ReportTable(ListTable):
    """The figures of one table of the report."""


class ReportsScreen(OcrmScreen):
    """The reports the user may open, and the one open."""

    AUTO_FOCUS = "#report-list"
    BINDINGS = [
        Binding("escape", "back", "Back", id="reports.back", tooltip="Back to where you came from"),
        Binding("t", "show_table", "Table", id="reports.show_table",
                tooltip="Show the figures of the chart as a table"),
        Binding("t", "show_chart", "Chart", id="reports.show_chart", tooltip="Show the table as a chart"),
        Binding("left_square_bracket", "step_table(-1)", "Previous table", key_display="[", show=False,
                id="reports.previous_table", tooltip="Show the report's previous table"),
        Binding("right_square_bracket", "step_table(1)", "Next table", key_display="]", show=False,
                id="reports.next_table", tooltip="Show the report's next table"),
        Binding("p", "choose_period", "Period…", id="reports.period", tooltip="Choose the period of the report"),
        Binding("b", "choose_branch", "Branch…", id="reports.branch",
                tooltip="Choose the branch whose figures are shown"),
        Binding("x", "export", "Export…", id="reports.export", tooltip="Write the report to a CSV or XLSX file"),
    ]

    DEFAULT_CSS = """
    ReportsScreen { background: $background; }
    ReportsScreen #reports-bar { height: 1; padding: 0 1; margin-top: 1; }
    ReportsScreen #reports-bar Label { height: 1; color: $text-muted; margin-right: 1; }
    ReportsScreen #period-select { width: 30; margin-right: 2; }
    ReportsScreen #period-custom { width: 30; margin-right: 2; display: none; }
    ReportsScreen #period-custom.-shown { display: block; }
    ReportsScreen #branch-label { display: none; }
    ReportsScreen #branch-label.-shown { display: block; }
    ReportsScreen #branch-select { width: 36; }
    ReportsScreen #period-help { height: auto; padding: 0 1; color: $text-muted; display: none; }
    ReportsScreen #period-help.-shown { display: block; }
    ReportsScreen #period-help.-error { color: $text-error; text-style: bold; }
    ReportsScreen #reports-main { height: 1fr; margin-top: 1; }
    ReportsScreen #reports-menu { width: 34; height: 1fr; padding: 0 1; }
    ReportsScreen #report-list { height: 9; border: round $primary 50%; }
    ReportsScreen #report-list:focus { border: round $primary; }
    ReportsScreen #report-about { height: auto; padding: 1 1 0 1; color: $text-muted; }
    ReportsScreen #reports-view { width: 1fr; height: 1fr; padding: 0 1 0 0; }
    ReportsScreen #report-heading { height: auto; }
    ReportsScreen #report-notes { height: auto; color: $text-muted; }
    ReportsScreen #report-tabs { height: 1; margin-top: 1; }
    ReportsScreen #report-state { height: auto; padding: 1 0; color: $text-muted; display: none; }
    ReportsScreen #report-state.-shown { display: block; }
    ReportsScreen #report-state.-error { color: $text-error; text-style: bold; }
    ReportsScreen #report-body { height: 1fr; }
    ReportsScreen #report-body.-hidden { display: none; }
    ReportsScreen ReportChart { display: none; }
    ReportsScreen #report-body.-chart ReportChart { display: block; }
    ReportsScreen #report-body.-chart ReportTable { display: none; }
    ReportsScreen ReportTable { height: 1fr; }
    ReportsScreen ReportTable.-empty { height: 2; }
    ReportsScreen #table-note { height: auto; color: $text-muted; }
    """

    @dataclass
    class Loaded(Message):
        generation: int
        report: Any  # services.reports.Report

    @dataclass
    class LoadFailed(Message):
        generation: int
        message: str

    @dataclass
    class BranchesRead(Message):
        choices: list[tuple[str, str]]

    def __init__(self, actor) -> None:
        from ocrm_tui.services import reports

        super().__init__()
        self.actor = actor
        self.kinds = reports.available(actor)
        self.report_name = self.kinds[0].name if self.kinds else ""
        self.today = self._today()
        self.period_choices = reports.period_choices(self.today)
        self.period = reports.parse_period(self.period_choices[0][0], self.today)
        self.branch: str | None = None
        self.branches: list[tuple[str, str]] = []
        self.report = None  # the Report shown
        self.table_index = 0
        self.charts_on = True  # a table with a chart shows it (T: the table)
        self.reading = False
        self.error = ""
        self.drawn = False  # True once the report read last is on screen
        self._generation = 0
        self._pending = None  # the timer of a report highlighted in the list
        self._enter_when_drawn = False  # Enter on a report: its figures take the focus once shown

    def _today(self):
        return self.app.clock().astimezone().date()  # type: ignore[attr-defined]

    # -- layout ------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        from ocrm_tui.services import reports

        a = self.actor
        yield AppHeader(user_name=a.name, employee_no=a.employee_no, role=a.role, org_name=a.org_name)
        with Horizontal(id="reports-bar"):
            yield Label(_c("reports", "Period"), id="period-label")
            options = [(_("{label} ({period})", label=label, period=text), text) for text, label in self.period_choices]
            yield Select([*options, (_("Custom…"), CUSTOM)], value=self.period_choices[0][0], allow_blank=False,
                         compact=True, id="period-select")
            yield Input(id="period-custom", compact=True, max_length=40, placeholder="2026-01-15..2026-03-31")
            yield Label(_c("reports", "Branch"), id="branch-label")  # and the choice, for managers
        yield Static(reports.period_hint(), id="period-help", markup=False)
        with Horizontal(id="reports-main"):
            with Vertical(id="reports-menu"):
                yield OptionList(*(Option(k.title(), id=k.name) for k in self.kinds), id="report-list")
                yield Static("", id="report-about", markup=False)
            with Vertical(id="reports-view"):
                yield Static("", id="report-heading", markup=False)
                yield Static("", id="report-notes", markup=False)
                yield Static("", id="report-tabs", markup=False)
                yield Static("", id="report-state", markup=False)
                with Vertical(id="report-body", classes="-hidden"):
                    yield ReportChart(id="report-chart")
                    yield ReportTable(id="report-table", cursor_type="row", zebra_stripes=True)
                yield Static("", id="table-note", markup=False)
        yield OcrmFooter()

    def on_mount(self) -> None:
        self.sub_title = _("Reports")
        for header in self.query(AppHeader).results(AppHeader):
            header.pane_title = self.sub_title
        listing = self.query_one("#report-list", OptionList)
        self.set_focus(listing)
        if not self.kinds:  # not a reader: the service says why
            self._read_report()
            return
        listing.highlighted = 0
        self._describe(self.report_name)
        self._read_branches()
        self._read_report()

    # -- reading -------------------------------------------------------------------------------
    def _read_report(self) -> None:
        self._generation += 1
        self.reading = True
        self.drawn = False
        self.error = ""
        kind = next((k for k in self.kinds if k.name == self.report_name), None)
        self._heading(kind.title() if kind else _("Reports"), "")
        self.query_one("#report-notes", Static).update("")
        self.query_one("#report-tabs", Static).update("")
        self.query_one("#table-note", Static).update("")
        self.query_one("#report-body").add_class("-hidden")
        self._set_state(_("Loading the report…"))
        self.refresh_bindings()
        self._load(self._generation, self.report_name, self.period, self.branch, self.today)

    @work(thread=True, exclusive=True, exit_on_error=False, group="reports", description="report")
    def _load(self, generation: int, name: str, period, branch: str | None, today) -> None:
        from ocrm_tui.services import reports
        from ocrm_tui.services.errors import OcrmError

        try:
            with self.app.session() as s:  # type: ignore[attr-defined]
                if not name:  # no report to offer: let the service say why
                    reports.resolve_scope(s, self.actor)
                report = reports.run(s, self.actor, name, period, branch=branch, today=today)
        except OcrmError as exc:
            self.post_message(self.LoadFailed(generation, exc.message))
            return
        self.post_message(self.Loaded(generation, report))

    @work(thread=True, exclusive=True, exit_on_error=False, group="reports-branches", description="report branches")
    def _read_branches(self) -> None:
        from ocrm_tui.services import reports

        with self.app.session() as s:  # type: ignore[attr-defined]
            choices = reports.branch_choices(s, self.actor)
        self.post_message(self.BranchesRead(choices))

    def on_reports_screen_loaded(self, message: Loaded) -> None:
        if message.generation != self._generation:
            return
        self.reading = False
        self.report = message.report
        self.table_index = 0
        self._set_state("")
        self.query_one("#report-body").remove_class("-hidden")
        self._show_report()
        if self._enter_when_drawn:
            self._enter_when_drawn = False
            self._focus_body()
        self.drawn = True
        self.refresh_bindings()

    def on_reports_screen_load_failed(self, message: LoadFailed) -> None:
        if message.generation != self._generation:
            return
        self.reading = False
        self._enter_when_drawn = False
        self.report = None
        self.error = message.message
        self._set_state(message.message, error=True)
        self.drawn = True
        self.refresh_bindings()

    @on(Worker.StateChanged)
    def _load_ended(self, event: Worker.StateChanged) -> None:
        # An unexpected failure is shown by the app's error dialog (OcrmScreen); here the screen
        # stops saying it is loading.
        if event.worker.group == "reports" and event.state in (WorkerState.ERROR, WorkerState.CANCELLED):
            if event.state == WorkerState.ERROR:
                self.reading = False
                self.drawn = True
                self._set_state(_("The report could not be read."), error=True)
                self.refresh_bindings()

    def on_reports_screen_branches_read(self, message: BranchesRead) -> None:
        self.branches = message.choices
        if not message.choices:
            return
        options: list[tuple[str, str]] = []
        if self.actor.role == "admin":
            options.append((_("The whole bank"), OWN_SCOPE))
        for code, name in message.choices:
            own = code == self.actor.org_code and self.actor.role != "admin"
            options.append((f"{name} ({code})", OWN_SCOPE if own else code))
        self.query_one("#reports-bar").mount(
            Select(options, value=OWN_SCOPE, allow_blank=False, compact=True, id="branch-select"))
        self.query_one("#branch-label").add_class("-shown")
        self.refresh_bindings()

    # -- showing -------------------------------------------------------------------------------
    def _set_state(self, text: str, *, error: bool = False) -> None:
        state = self.query_one("#report-state", Static)
        state.update(text)
        state.set_class(bool(text), "-shown")
        state.set_class(error, "-error")

    def _heading(self, title: str, subtitle: str) -> None:
        heading = Text()
        heading.append(title, style="bold")
        if subtitle:
            heading.append("   ", style="bold")  # with the title: some renderers squeeze leading spaces
            heading.append(subtitle)
        self.query_one("#report-heading", Static).update(heading)

    @property
    def table(self):
        """The table of the report shown now (services.reports.Table), if any."""
        if self.report is None or not self.report.tables:
            return None
        return self.report.tables[min(self.table_index, len(self.report.tables) - 1)]

    @property
    def showing_chart(self) -> bool:
        table = self.table
        return table is not None and table.chart is not None and self.charts_on

    def _show_report(self) -> None:
        report = self.report
        self._heading(report.title, report.subtitle)
        self.query_one("#report-notes", Static).update("\n".join(report.notes))
        self._show_table()

    def _show_tabs(self) -> None:
        tables = self.report.tables if self.report is not None else []
        line = Text(no_wrap=True, overflow="ellipsis")
        if len(tables) == 1:
            line.append(tables[0].title, style="bold")
        elif tables:
            for i, t in enumerate(tables):
                if i:
                    line.append("  ")
                label = f" {i + 1} {t.title} "
                line.append(label, style="bold reverse" if i == self.table_index else "dim")
            hint = "   " + _("[ ] other tables")
            room = self.query_one("#report-tabs", Static).size.width
            if not room or line.cell_len + cell_len(hint) <= room:
                line.append(hint, style="dim")
        self.query_one("#report-tabs", Static).update(line)

    def on_resize(self) -> None:
        if self.report is not None:
            self._show_tabs()

    def _show_table(self) -> None:
        table = self.table
        self._show_tabs()
        body = self.query_one("#report-body")
        if table is None:
            body.add_class("-hidden")
            return
        body.set_class(self.showing_chart, "-chart")
        if table.chart is not None:
            self.query_one(ReportChart).show(table.chart)
        self._fill_table(table)
        self.query_one("#table-note", Static).update(table.note)
        self.refresh_bindings()

    def _fill_table(self, table) -> None:
        grid = self.query_one(ReportTable)
        grid.clear(columns=True)
        for i, column in enumerate(table.columns):
            header = Text(column.header, justify="right") if column.kind in NUMERIC else column.header
            grid.add_column(header, key=f"c{i}")
        grid.add_rows([[cell(v, c.kind) for v, c in zip(row, table.columns)] for row in table.rows])
        empty = not table.rows
        grid.set_class(empty, "-empty")
        if empty:
            self.query_one("#table-note", Static).update(table.note)

    def _describe(self, name: str) -> None:
        kind = next((k for k in self.kinds if k.name == name), None)
        self.query_one("#report-about", Static).update(kind.describe() if kind else "")

    # -- choosing ------------------------------------------------------------------------------
    def open_report(self, name: str) -> None:
        if self._pending is not None:
            self._pending.stop()
            self._pending = None
        if name == self.report_name and (self.reading or self.report is not None):
            return
        self.report_name = name
        self._read_report()

    @on(OptionList.OptionHighlighted, "#report-list")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        name = event.option.id or ""
        self._describe(name)
        if self._pending is not None:
            self._pending.stop()
        self._pending = self.set_timer(HIGHLIGHT_DELAY, lambda: self.open_report(name))

    @on(OptionList.OptionSelected, "#report-list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.open_report(event.option.id or "")
        if self.reading:
            self._enter_when_drawn = True
        else:
            self._focus_body()

    def _focus_body(self) -> None:
        if self.showing_chart:
            self.query_one("#chart-scroll").focus()
        else:
            self.query_one(ReportTable).focus()

    @on(Select.Changed, "#period-select")
    def _period_chosen(self, event: Select.Changed) -> None:
        from ocrm_tui.services import reports
        from ocrm_tui.services.errors import ValidationError

        custom = self.query_one("#period-custom", Input)
        if event.value == CUSTOM:
            custom.add_class("-shown")
            self._period_help(reports.period_hint())
            custom.focus()
            return
        custom.remove_class("-shown")
        self._period_help(None)
        try:
            self.period = reports.parse_period(str(event.value), self.today)
        except ValidationError as exc:  # the choices offered are periods begun: not expected
            self._period_help(exc.message, error=True)
            return
        self._read_report()

    @on(Input.Submitted, "#period-custom")
    def _custom_period(self, event: Input.Submitted) -> None:
        from ocrm_tui.services import reports
        from ocrm_tui.services.errors import ValidationError

        event.stop()
        try:
            period = reports.parse_period(event.value, self.today)
        except ValidationError as exc:
            self._period_help(exc.message, error=True)  # what was typed stays
            return
        self._period_help(reports.period_hint())
        self.period = period
        self._read_report()

    def _period_help(self, text: str | None, *, error: bool = False) -> None:
        line = self.query_one("#period-help", Static)
        line.set_class(text is not None, "-shown")
        line.set_class(error, "-error")
        if text is not None:
            line.update(text)

    @on(Select.Changed, "#branch-select")
    def _branch_chosen(self, event: Select.Changed) -> None:
        value = event.value
        branch = None if value in (OWN_SCOPE, Select.BLANK) else str(value)
        if branch != self.branch:
            self.branch = branch
            self._read_report()

    # -- keys ----------------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        table = self.table
        if action == "show_table":
            return self.showing_chart and not self.reading
        if action == "show_chart":
            return table is not None and table.chart is not None and not self.charts_on and not self.reading
        if action == "step_table":
            return self.report is not None and len(self.report.tables) > 1 and not self.reading
        if action == "choose_branch":
            return bool(self.branches)
        if action == "choose_period":
            return bool(self.kinds)
        if action == "export":
            if not self.kinds:
                return False
            return None if self.report is None or self.reading else True
        return True

    def action_back(self) -> None:
        if self.focused is self.query_one("#period-custom", Input):
            self.query_one("#report-list", OptionList).focus()  # Escape in the field: back to the list
            return
        self.dismiss(None)

    def action_show_table(self) -> None:
        self._toggle(False)

    def action_show_chart(self) -> None:
        self._toggle(True)

    def _toggle(self, charts_on: bool) -> None:
        chart_had_focus = self.focused is not None and self.focused.id == "chart-scroll"
        table_had_focus = isinstance(self.focused, ReportTable)
        self.charts_on = charts_on
        self.query_one("#report-body").set_class(self.showing_chart, "-chart")
        if chart_had_focus or table_had_focus:
            self._focus_body()
        self.refresh_bindings()

    def action_step_table(self, step: int) -> None:
        if self.report is None or len(self.report.tables) < 2:
            return
        self.table_index = (self.table_index + step) % len(self.report.tables)
        self._show_table()

    def action_choose_period(self) -> None:
        select = self.query_one("#period-select", Select)
        select.focus()
        select.expanded = True

    def action_choose_branch(self) -> None:
        if not self.branches:
            return
        select = self.query_one("#branch-select", Select)
        select.focus()
        select.expanded = True

    def action_export(self) -> None:
        if self.report is None or self.reading:
            return

        def exported(result) -> None:
            if result is not None:
                self.notify(_("Report written to {path}: {rows} rows, SHA-256 {sha}…", path=str(result.path),
                              rows=f"{result.rows:,}", sha=result.sha256[:SHA_SHOWN]), timeout=8)

        self.app.push_screen(ExportDialog(self.actor, self.report), callback=exported)


# -- export --------------------------------------------------------------------------------------

FORMATS = ("xlsx", "csv")


class ExportDialog(OcrmModal[Any]):
    """Where to write the report and as what. Enter or Ctrl+S writes it (in a worker); a file of
    that name is replaced only when the user says so. Dismisses with the ExportResult, or None."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Write the file", id="report_export.save", tooltip="Write the file", priority=True),
        Binding("escape", "cancel", "Cancel", id="report_export.cancel", tooltip="Close without writing a file"),
    ]
    DEFAULT_CSS = """
    ExportDialog .dialog { width: 76; max-width: 100%; }
    ExportDialog RadioSet { width: 100%; layout: horizontal; }
    ExportDialog #export-error { height: auto; color: $text-error; margin-top: 1; }
    ExportDialog #export-error.-busy { color: $text-muted; }
    """

    @dataclass
    class Written(Message):
        result: Any  # services.exports.ExportResult

    @dataclass
    class Refused(Message):
        message: str
        path: str
        exists: bool

    def __init__(self, actor, report) -> None:
        super().__init__(classes="dialog-screen")
        self.actor = actor
        self.report = report
        self.busy = False

    def compose(self) -> ComposeResult:
        r = self.report
        with Vertical(classes="dialog"):
            yield Static(_("Export the report"), classes="dialog-title", markup=False)
            yield Static(f"{r.title}\n{r.subtitle}", classes="dialog-message", markup=False)
            yield Label(_("File to write"), classes="field-label")
            yield Input(default_export_path(r), id="export-path", max_length=500)
            yield Label(_("File format"), classes="field-label")
            with RadioSet(id="export-format"):
                yield RadioButton("XLSX", value=True, id="format-xlsx")
                yield RadioButton("CSV", id="format-csv")
            yield Static(_("Customers are masked as on the screen; the export is recorded in the audit trail."),
                         classes="help-note", markup=False)
            yield Static("", id="export-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Write the file") + " (Ctrl+S)", variant="primary", id="export-save")
                yield Button(_("Cancel"), id="export-cancel")

    def on_mount(self) -> None:
        self.query_one("#export-path", Input).focus()

    @property
    def path(self) -> str:
        return self.query_one("#export-path", Input).value.strip()

    @property
    def format(self) -> str:
        return "csv" if self.query_one("#format-csv", RadioButton).value else "xlsx"

    @property
    def error(self) -> str:
        return str(self.query_one("#export-error", Static).render())

    @on(RadioSet.Changed, "#export-format")
    def _format_chosen(self, event: RadioSet.Changed) -> None:
        """The file name follows the format chosen."""
        field = self.query_one("#export-path", Input)
        path = field.value
        stem, dot, ext = path.rpartition(".")
        if dot and ext.lower() in FORMATS and ext.lower() != self.format:
            field.value = f"{stem}.{self.format}"

    @on(Input.Changed, "#export-path")
    def _path_typed(self, event: Input.Changed) -> None:
        """The format follows the file name's extension."""
        ext = event.value.strip().rpartition(".")[2].lower()
        if ext in FORMATS and ext != self.format:
            self.query_one(f"#format-{ext}", RadioButton).value = True

    @on(Input.Submitted, "#export-path")
    def _entered(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def action_save(self, overwrite: bool = False) -> None:
        if self.busy:
            return
        error = self.query_one("#export-error", Static)
        if not self.path:
            error.update(_("Name the file to write"))
            return
        self.busy = True
        error.update(_("Writing the file…"))
        error.add_class("-busy")
        self._export(self.path, self.format, overwrite)

    @work(thread=True, exclusive=True, exit_on_error=False, group="report-export", description="report export")
    def _export(self, path: str, fmt: str, overwrite: bool) -> None:
        from ocrm_tui.services import reports
        from ocrm_tui.services.errors import OcrmError

        app = self.app
        try:
            with app.session(write=True) as s:  # type: ignore[attr-defined]
                result = reports.export_report(s, self.actor, self.report, path, fmt, overwrite=overwrite,
                                               clock=app.clock)  # type: ignore[attr-defined]
        except OcrmError as exc:
            exists = not overwrite and exc.field == "out" and Path(path).expanduser().is_file()
            self.post_message(self.Refused(exc.message, path, exists))
            return
        self.post_message(self.Written(result))

    def on_export_dialog_written(self, message: Written) -> None:
        self.busy = False
        self.dismiss(message.result)

    def on_export_dialog_refused(self, message: Refused) -> None:
        from ocrm_tui.screens.dialogs import ConfirmDialog

        self.busy = False
        error = self.query_one("#export-error", Static)
        error.remove_class("-busy")
        if not message.exists:
            error.update(message.message)
            self.query_one("#export-path", Input).focus()
            return
        error.update(_("{path} already exists", path=message.path))

        def answered(replace: bool | None) -> None:
            if replace:
                self.action_save(overwrite=True)
            else:
                error.update(_("{path} already exists: choose another file name", path=message.path))
                self.query_one("#export-path", Input).focus()

        self.app.push_screen(ConfirmDialog(_("Replace the file?"),
                                           _("{path} already exists. Replace it with this report?", path=message.path),
                                           yes=_("Replace it"), no=_("Keep it")), callback=answered)

    @on(Worker.StateChanged)
    def _export_ended(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "report-export" and event.state in (WorkerState.ERROR, WorkerState.CANCELLED):
            self.busy = False
            error = self.query_one("#export-error", Static)
            error.remove_class("-busy")
            error.update(_("The file could not be written."))

    def action_cancel(self) -> None:
        if not self.busy:
            self.dismiss(None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "export-save":
            self.action_save()
        else:
            self.action_cancel()
