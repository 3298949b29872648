"""docs/BENCHMARKS.md: the machine, then every result; a hand-kept section is preserved."""

from __future__ import annotations

from pathlib import Path

from bench.core import Result

KEEP_START = "<!-- recorded-runs:start -->"
KEEP_END = "<!-- recorded-runs:end -->"


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "s":
        return f"{value:.3f}" if value < 10 else f"{value:,.1f}"
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.2f}"


def table_lines(results: list[Result]) -> list[str]:
    lines = [
        "| benchmark | backend | item | unit | median | p95 | baseline | baseline median | baseline p95 | ratio | n | note |",
        "|---|---|---|---|---:|---:|---|---:|---:|---:|---:|---|",
    ]
    for r in results:
        ratio = f"{r.ratio:.2f}×" if r.ratio is not None else "—"
        lines.append(
            f"| {r.benchmark} | {r.backend} | {r.item} | {r.unit} | {fmt(r.median, r.unit)} | {fmt(r.p95, r.unit)} | "
            f"{r.baseline or '—'} | {fmt(r.baseline_median, r.unit)} | {fmt(r.baseline_p95, r.unit)} | {ratio} | "
            f"{r.samples} | {r.note} |"
        )
    return lines


def render(machine: list[tuple[str, str]], results: list[Result], command: str, notes: list[str],
           kept: str | None) -> str:
    out = [
        "# Benchmarks",
        "",
        f"Written by `{command}` (`bench/`); re-run it after a change that could matter.",
        "Ratios are the product's median over the baseline's median (higher = slower than raw).",
        "Per-table demo rows are microseconds per row of each insert batch; `n` is the number of samples.",
        "",
        "## Machine",
        "",
        "| | |",
        "|---|---|",
        *[f"| {k} | {v} |" for k, v in machine],
        "",
        "## Results",
        "",
        *table_lines(results),
        "",
    ]
    if notes:
        out += ["## Notes", "", *[f"- {n}" for n in notes], ""]
    out += ["## Recorded runs", "", KEEP_START, kept.strip("\n") if kept else "(none yet)", KEEP_END, ""]
    return "\n".join(out)


def kept_section(path: Path) -> str | None:
    if not path.exists():
        return None
    text = path.read_text(encoding="utf-8")
    if KEEP_START in text and KEEP_END in text:
        return text.split(KEEP_START, 1)[1].split(KEEP_END, 1)[0]
    return None


def write(path: Path, machine, results, command: str, notes: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(machine, results, command, notes, kept_section(path)), encoding="utf-8")
