"""What becomes of every URL, what counts as a failure, and the run's verdict."""
