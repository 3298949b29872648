"""Benchmarks of ocrm_tui: `python -m bench [--customers N] [--quick] [--out docs/BENCHMARKS.md]`.

A small registry: each module in this package registers its benchmarks with
``@benchmark(...)``; a benchmark receives a ``Context`` (the cached database, the
PostgreSQL server if reachable, the options) and returns ``Result`` rows, each with the
product's timing next to a raw baseline of the same work. Add a feature's benchmark by
adding a module and importing it in ``MODULES``.
"""

from bench.core import Context, Result, benchmark, registry

MODULES = (
    "bench.bench_demo", "bench.bench_startup", "bench.bench_customers", "bench.bench_tickets", "bench.bench_campaigns",
    "bench.bench_alerts", "bench.bench_imports", "bench.bench_reports",
)

__all__ = ["Context", "Result", "benchmark", "registry", "MODULES"]
