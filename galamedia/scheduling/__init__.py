"""The request queue's edges: JOBDIR jobs that survive a kill, duplicates accounted."""
