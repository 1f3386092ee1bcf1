"""Benchmarks (not tests): see README.md. bench.settings and bench.urls serve the runs."""
