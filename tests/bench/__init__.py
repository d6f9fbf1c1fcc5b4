"""Benchmarks: `python -m tests.bench.bench_<what>` (not collected by pytest)."""
