"""kit's benchmark harness: `python -m benchmarks.run --help` (see docs/performance.md)."""
