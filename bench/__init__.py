"""Benchmarks: ``python -m bench.NAME [--quick]``; see STYLE.md and scripts/run_benches.py."""
