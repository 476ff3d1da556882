"""Raw pages kept: every response in WARC files, and crawls replayed from them."""
