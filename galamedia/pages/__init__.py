"""Page objects: one kind of page each, from a response to fields or URLs."""
