"""The project's own signals, sent through `crawler.signals` beside Scrapy's."""

from __future__ import annotations

crawl_planned = object()
"""Sent by the spider as it starts: `arguments`, the `CrawlArguments` the run carries out (its
window already widened or narrowed by the incremental state)."""

listing_read = object()
"""Sent for every index, kanal or tag listing page the spider reads: `url`."""

article_listed = object()
"""Sent for every article URL a listing places inside the window: `url`, `listed_at` (the
listing's date for it, or None)."""

not_written = object()
"""Sent for every discovered URL that does not become an item: `url`, `reason`, `detail`."""

feed_published = object()
"""Sent when a file feed replaced its target: `path`."""
