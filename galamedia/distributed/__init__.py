"""Crawls beyond one machine: per-site chunk jobs on Celery, booked in PostgreSQL."""
