"""Feed storage and exporters: how items reach the user's files."""
