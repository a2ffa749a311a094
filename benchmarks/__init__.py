"""Benchmarks: run from the repository root, e.g. `.venv/bin/python benchmarks/sandbox_lists.py`."""
