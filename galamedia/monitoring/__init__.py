"""Watching a run: the progress lines, the run report and summary, the drift canary."""
