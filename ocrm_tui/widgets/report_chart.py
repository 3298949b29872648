"""The chart of a report table (``services.reports.Chart``), drawn in the terminal with plotext.

- line: one line per series over the x labels (months); stacked: the series stacked on each
  x label; bar: grouped bars (one bar per series), or plain bars for one series.
- Bars stand upright while their labels fit side by side; otherwise (staff or branch names,
  many of them) they lie down, one row per label, names on the left, and the chart grows
  downwards and scrolls.
- A bar chart's last series that has the same value everywhere (a target) is drawn as a line
  across the bars instead of a bar beside each one.
- The title and the legend are ordinary text above the plot; the unit names the value axis.
- Chinese characters take two cells on the screen but plotext counts one per character: each
  wide character is followed by a filler that plotext counts and that is taken out again after
  drawing, so that labels keep their width and the axes stay straight.
- Colours: the canvas and text follow the application's theme (textual-plotext's "auto"
  theme); the series take colours that read on both dark and light backgrounds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult, RenderResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static
from textual_plotext import PlotextPlot

from ocrm_tui.i18n import _


def _keep_first_seen_order(data) -> list:
    return list(dict.fromkeys(data))


# plotext drops repeated ticks through a set, whose order changes with Python's hash seed
# from one run to the next, and with it which of two close labels is drawn last: the same
# chart came out one cell different. Keep the order in which plotext met them.
import plotext._utility as _plotext_utility  # noqa: E402

_plotext_utility.no_duplicates = _keep_first_seen_order

if TYPE_CHECKING:
    from ocrm_tui.services.reports import Chart

FILLER = "\ue000"  # a private-use character: never in the data
PALETTE = [(0, 130, 200), (60, 180, 75), (245, 130, 48), (145, 30, 180), (0, 160, 160), (170, 110, 40),
           (240, 50, 230), (128, 128, 128)]
REFERENCE_COLOUR = (230, 25, 75)
MAX_LABEL = 24  # cells of a label beside lying bars; longer ones are shortened
AXIS_ROOM = 12  # cells the value ticks and the frame take beside upright bars
AXIS_ROWS = 3  # rows the frame and the value ticks take around lying bars (the unit one more)


def cells(text: str) -> int:
    return cell_len(text)


def shorten(text: str, width: int) -> str:
    """``text`` cut to ``width`` cells, with an ellipsis when cut."""
    if cell_len(text) <= width:
        return text
    out, used = [], 0
    for ch in text:
        w = cell_len(ch)
        if used + w > width - 1:
            break
        out.append(ch)
        used += w
    return "".join(out) + "…"


def for_plotext(text: str) -> str:
    """Each wide character followed by a filler, so that plotext counts the cells it takes."""
    if text.isascii():
        return text
    return "".join(ch + FILLER if cell_len(ch) == 2 else ch for ch in text)


@dataclass(frozen=True)
class Plan:
    """How a chart is drawn at a width."""

    kind: str  # line / stacked / bar
    lying: bool  # bars lying down, one row per label
    labels: list[str]  # the x labels as drawn (shortened)
    series: list[tuple[str, list[float]]]  # drawn as lines or bars
    reference: tuple[str, float] | None  # a series drawn as one line across the bars
    rows: int  # the height the plot needs (lying bars), else 0: as high as there is room

    @property
    def empty(self) -> bool:
        return not self.labels or not self.series


def plan(chart: Chart, width: int) -> Plan:
    """How ``chart`` is drawn in ``width`` cells."""
    labels = [str(x) for x in chart.x]
    series = [(name, [float(v or 0) for v in values]) for name, values in chart.series if values]
    if chart.kind != "bar":
        return Plan(chart.kind, False, labels, series, None, 0)
    reference = None
    if len(series) >= 2 and len(labels) >= 3:
        name, values = series[-1]
        if values and values[0] and all(v == values[0] for v in values):
            reference, series = (name, values[0]), series[:-1]
    widest = max((cells(x) for x in labels), default=0)
    per_label = max(widest + 2, 2 * len(series) + 1)
    upright = len(labels) * per_label <= max(width - AXIS_ROOM, 0) and widest <= MAX_LABEL
    if upright:
        return Plan("bar", False, labels, series, reference, 0)
    # One row per bar (with fewer, plotext leaves labels out), a blank row between groups of
    # several bars.
    k = max(len(series), 1)
    bar_rows = len(labels) * k + (len(labels) - 1 if k > 1 else 0)
    rows = bar_rows + AXIS_ROWS + (1 if chart.unit else 0)
    return Plan("bar", True, [shorten(x, MAX_LABEL) for x in labels], series, reference, rows)


def colour(index: int) -> tuple[int, int, int]:
    return PALETTE[index % len(PALETTE)]


def legend(p: Plan, width: int = 0) -> Text:
    """The series and their colours, as text above the plot; an entry is never split over two
    lines (``width``: the room, 0 for one line)."""
    entries: list[Text] = []
    swatch = "──" if p.kind == "line" else "██"
    for i, (name, _values) in enumerate(p.series):
        entries.append(Text.assemble((swatch, Style(color=_rgb(colour(i)))), " " + name))
    if p.reference is not None:
        name, value = p.reference
        entries.append(Text.assemble(("┃" if p.lying else "━━", Style(color=_rgb(REFERENCE_COLOUR))),
                                     " " + _("{name}: {value}", name=name, value=f"{value:g}")))
    text, used = Text(), 0
    for entry in entries:
        room = entry.cell_len + (3 if used else 0)
        if used and width and used + room > width:
            text.append("\n")
            used, room = 0, entry.cell_len
        elif used:
            text.append("   ")
        text.append_text(entry)
        used += room
    return text


def _rgb(rgb: tuple[int, int, int]) -> str:
    return "rgb({},{},{})".format(*rgb)


class ChartPlot(PlotextPlot):
    """The plot itself: draws its Plan each time it renders (at its size)."""

    DEFAULT_CSS = """
    ChartPlot { width: 1fr; height: 1fr; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.plan: Plan | None = None
        self.unit = ""
        # The fillers come out of plotext's output before it becomes text on the screen.
        build = self.plt.build
        self.plt.build = lambda: build().replace(FILLER, "")  # type: ignore[method-assign]

    def render(self) -> RenderResult:
        self.plt.clear_figure()
        if self.plan is not None and not self.plan.empty:
            self._draw(self.plan)
        return super().render()

    def _draw(self, p: Plan) -> None:
        plt = self.plt
        labels = [for_plotext(x) for x in p.labels]
        unit = for_plotext(self.unit)
        values = [v for _n, vs in p.series for v in vs]
        if p.kind == "line":
            xs = list(range(1, len(labels) + 1))
            for i, (_name, vs) in enumerate(p.series):
                if len(xs) == 1:
                    plt.scatter(xs, vs, color=colour(i), marker="●")
                else:
                    plt.plot(xs, vs, color=colour(i), marker="dot")
            plt.xticks(xs, labels)
            if len(xs) == 1:
                plt.xlim(0, 2)
        elif p.kind == "stacked":
            plt.stacked_bar(labels, [vs for _n, vs in p.series], color=[colour(i) for i in range(len(p.series))],
                            width=0.6)
            totals = [sum(col) for col in zip(*(vs for _n, vs in p.series))]
            values = totals
        elif p.lying:
            values = values + self._lay_bars(p, labels)
        else:
            if len(p.series) == 1:
                plt.bar(labels, p.series[0][1], color=colour(0), width=0.6)
            else:
                plt.multiple_bar(labels, [vs for _n, vs in p.series], color=[colour(i) for i in range(len(p.series))],
                                 width=0.8)
            if p.reference is not None:
                plt.horizontal_line(p.reference[1], color=REFERENCE_COLOUR)  # over the bars
                values = values + [p.reference[1]]
        top = max(values, default=0)
        bottom = min(values + [0], default=0)
        if top <= 0 and bottom >= 0:  # nothing but zeros: an axis from 0 to 1 rather than none
            if p.kind == "bar" and p.lying:
                plt.xlim(0, 1)
            else:
                plt.ylim(0, 1)
        if unit:
            if p.kind == "bar" and p.lying:
                plt.xlabel(unit)
            else:
                plt.ylabel(unit)


    def _lay_bars(self, p: Plan, labels: list[str]) -> list[float]:
        """Bars lying down, the first label on top: one row per bar, a blank row between groups.

        Each series is drawn at its own numeric rows (plotext's own grouped and categorical
        lying bars overlap their neighbours when a bar gets one row); returns the reference
        value drawn, if any, for the axis."""
        plt = self.plt
        n, k = len(labels), len(p.series)
        per = k + 1 if k > 1 else 1
        last = n * per - (per - k)  # the bottom row, counted from 1
        for j, (_name, vs) in enumerate(p.series):
            rows = [last - (i * per + j) for i in range(n)]
            plt.bar(rows, vs, color=colour(j), orientation="horizontal", width=0.5 / per)
        ticks = [last - i * per for i in range(n)]
        plt.yticks(ticks, labels)
        if p.reference is None:
            return []
        at = p.reference[1]
        # A mark across each bar (a line drawn first would be hidden by the bars).
        plt.scatter([at] * n * k, [last - (i * per + j) for i in range(n) for j in range(k)], color=REFERENCE_COLOUR,
                    marker="┃")
        return [at]


class ReportChart(Vertical):
    """A report table's chart: its title, a legend, and the plot (which scrolls when it grows)."""

    DEFAULT_CSS = """
    ReportChart { height: 1fr; background: $surface; }
    ReportChart #chart-title { height: auto; padding: 0 1; text-style: bold; }
    ReportChart #chart-legend { height: auto; padding: 0 1; color: $text; }
    ReportChart #chart-scroll { height: 1fr; scrollbar-gutter: stable; background: $surface; }
    ReportChart #chart-empty { display: none; height: 1fr; padding: 1 1; color: $text-muted; }
    ReportChart.-empty #chart-empty { display: block; }
    ReportChart.-empty #chart-scroll, ReportChart.-empty #chart-legend { display: none; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.chart: Chart | None = None
        self.plan: Plan | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="chart-title", markup=False)
        yield Static("", id="chart-legend", markup=False)
        with VerticalScroll(id="chart-scroll", can_focus=True):
            yield ChartPlot(id="chart-plot")
        yield Static(_("No figures to draw for this period."), id="chart-empty", markup=False)

    def show(self, chart: Chart) -> None:
        """Draw ``chart`` (from the top)."""
        self.chart = chart
        self.query_one("#chart-title", Static).update(chart.title)
        self.query_one("#chart-plot", ChartPlot).unit = chart.unit
        self._plan()
        self.query_one("#chart-scroll", VerticalScroll).scroll_home(animate=False)

    def on_resize(self) -> None:
        if self.chart is not None:
            self._plan()

    def _plan(self) -> None:
        assert self.chart is not None
        scroll = self.query_one("#chart-scroll", VerticalScroll)
        width = scroll.scrollable_content_region.width or scroll.size.width or self.size.width
        p = plan(self.chart, width)
        self.plan = p
        plot = self.query_one("#chart-plot", ChartPlot)
        plot.plan = p
        plot.styles.height = p.rows if p.rows else "1fr"
        self.set_class(p.empty, "-empty")
        self.query_one("#chart-legend", Static).update(legend(p, max(width - 2, 0)))
        plot.refresh(layout=True)
