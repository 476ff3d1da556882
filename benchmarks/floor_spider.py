"""The framework's floor: a spider that requests the given URLs and does nothing with them.

    scrapy runspider benchmarks/floor_spider.py -a urls_file=urls.txt -s DOWNLOAD_DELAY=0 ...

`urls_file` holds one URL a line: the same index pages and article URLs the `articles` spider
requests in the crawl it is compared with. Responses are downloaded and dropped, unparsed.

`-a work=parse` builds each response's lxml tree (the least any HTML parser must do),
`-a work=item` also yields a one-field item per article page (the framework's cost of an item:
spider middlewares, pipelines, the feed export with `-O`), and `-a work=lean` yields the title
and the `article p` texts of each article page, read with `response.css()` (the "lean" spider
of issue 13): floors for what-if comparisons.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

from scrapy import Request, Spider
from scrapy.http import Response, TextResponse

WORK = ("none", "parse", "item", "lean")


class FloorSpider(Spider):
    name = "floor"

    def __init__(self, urls_file: str, work: str = "none", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if work not in WORK:
            raise ValueError(f"work: one of {', '.join(WORK)}, not {work!r}")
        self.urls_file = Path(urls_file)
        self.work = work

    async def start(self) -> AsyncIterator[Request]:
        with self.urls_file.open() as lines:
            for line in lines:
                if url := line.strip():
                    yield Request(url, callback=self.parse_nothing)

    def parse_nothing(self, response: Response) -> Iterator[dict[str, Any]]:
        """Nothing, unless asked: the lxml tree, and an item per article page."""
        if self.work == "none" or not isinstance(response, TextResponse):
            return
        response.selector.root  # noqa: B018 - the parse is the point
        if "/pr-" not in response.url:
            return
        if self.work == "item":
            yield {"url": response.url}
        elif self.work == "lean":
            yield {
                "url": response.url,
                "title": response.css("h1::text").get(),
                "paragraphs": response.css("article p ::text").getall(),
            }
