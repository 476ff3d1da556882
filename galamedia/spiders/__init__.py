"""Spiders: they route requests; pages parse."""
