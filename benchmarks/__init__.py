"""Benchmarks of the crawler (issue 7), outside the test suite: `python -m benchmarks.run`."""
