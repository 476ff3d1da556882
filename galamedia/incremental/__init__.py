"""Scheduled runs: the state store, the one component that owns it, and new-or-changed delivery."""
