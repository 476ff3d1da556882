"""Pure rules: PRMN URLs, Indonesian dates and text, block pages, crawl arguments; no Scrapy."""
