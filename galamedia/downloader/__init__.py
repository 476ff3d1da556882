"""Downloader middlewares: what stock Scrapy lets through on a hostile or flaky site."""
