"""python -m bench [--customers N] [--quick] [--out docs/BENCHMARKS.md]"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from bench import MODULES
from bench.core import Context, Result, log, registry
from bench.report import fmt, write


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description="Benchmarks of ocrm_tui on SQLite and PostgreSQL.")
    p.add_argument("--customers", type=int, default=100_000, help="customers in the benchmark database (default 100,000)")
    p.add_argument("--seed", type=int, default=None, help="demo seed (default: the demo's)")
    p.add_argument("--gen-customers", type=int, default=None,
                   help="customers of the demo-generation benchmark (default min(N, 100,000); 5,000 with --quick)")
    p.add_argument("--quick", action="store_true", help="fewer runs and a small generation benchmark (a smoke test)")
    p.add_argument("--out", type=Path, default=Path("docs/BENCHMARKS.md"), help="report file (default docs/BENCHMARKS.md)")
    p.add_argument("--backends", default="sqlite,postgres", help="comma-separated: sqlite,postgres")
    p.add_argument("--only", default="", help="comma-separated benchmark names (default: all)")
    p.add_argument("--cache-dir", type=Path, default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if not 1 <= args.customers <= 1_000_000:
        p.error("--customers must be between 1 and 1,000,000")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    from ocrm_tui.services import demo

    for module in MODULES:
        importlib.import_module(module)
    ctx = Context(customers=args.customers, seed=args.seed if args.seed is not None else demo.DEFAULT_SEED,
                  quick=args.quick, backends=tuple(b.strip() for b in args.backends.split(",") if b.strip()))
    ctx.gen_customers = args.gen_customers
    if args.cache_dir is not None:
        ctx.cache_dir = args.cache_dir
    from bench.machine import describe

    machine = describe(ctx)
    only = {n.strip() for n in args.only.split(",") if n.strip()}
    results: list[Result] = []
    if not only or only & {b.name for b in registry()}:
        ctx.cached_sqlite()  # build (or reuse) the benchmark database first: its build time is reported
    for bench in registry():
        if only and bench.name not in only:
            continue
        log(f"{bench.name}: {bench.title}")
        rows = bench.func(ctx)
        for r in rows:
            ratio = f"{r.ratio:.2f}x" if r.ratio is not None else "-"
            print(f"  {r.benchmark:8} {r.backend:8} {r.item:36} median {fmt(r.median, r.unit):>9} {r.unit:6} "
                  f"p95 {fmt(r.p95, r.unit):>9}  baseline {fmt(r.baseline_median, r.unit):>9}  ratio {ratio:>7}  {r.note}",
                  flush=True)
        results.extend(rows)
    if "postgres" in ctx.backends:
        ctx.postgres_available()
    command = "python -m bench " + " ".join(argv if argv is not None else sys.argv[1:])
    write(args.out, machine, results, command.strip(), ctx.notes)
    log(f"report written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
