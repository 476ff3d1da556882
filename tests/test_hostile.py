"""Hostile responses: an article is lost loudly or not at all, and never delivered garbled."""

from __future__ import annotations

import pytest
import pytest_twisted

from galamedia.rules.urls import origin_of
from tests.helpers import crawl
from tests.testsite import Route, TestSite

ARTICLE = "wang-yi-classic"


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("http://127.0.0.1:8000/a/pr-1234567/x", "http://127.0.0.1:8000"),
        ("http://127.0.0.1:8001/a", "http://127.0.0.1:8001"),
        ("HTTPS://Galamedia.Pikiran-Rakyat.com:443/x", "https://galamedia.pikiran-rakyat.com"),
        ("http://galamedia.pikiran-rakyat.com:80/", "http://galamedia.pikiran-rakyat.com"),
        (
            "https://galamedia.pikiran-rakyat.com:8443/",
            "https://galamedia.pikiran-rakyat.com:8443",
        ),
    ],
)
def test_origins(url: str, origin: str) -> None:
    assert origin_of(url) == origin


@pytest_twisted.inlineCallbacks
def test_a_redirect_to_another_port_is_offsite_and_a_failure(site: TestSite) -> None:
    with TestSite() as elsewhere:  # the same host, another port: another site
        path = site.case_path(ARTICLE)
        site.redirect(path, f"{elsewhere.origin}{path}")
        elsewhere.routes[path] = Route(body=b"<html><body><p>no title here</p></body></html>")
        result = yield crawl(url=site.case_url(ARTICLE))
        assert elsewhere.requests == []  # never asked
    assert result.items == []
    assert result.stat("articles/not_written/offsite") == 1
    assert result.stat("articles/failed") == 1
    assert result.stat("articles/not_written/missing_title") is None
