"""A local copy of the site, built from the stored pages, served on 127.0.0.1.

Tests start it through a fixture; a person can run it to watch the crawler work offline:

    python -m tests.testsite --port 8000
"""

from __future__ import annotations

import argparse
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self
from urllib.parse import urlsplit

from tests.pages_fixtures import PageCase, load_cases

ROBOTS_TXT = b"User-agent: *\nAllow: /\n"
HTML = {"Content-Type": "text/html; charset=utf-8"}


@dataclass
class Route:
    """What the server answers for one path (with its query)."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(
        default_factory=lambda: {"Content-Type": "text/html; charset=utf-8"}
    )


class TestSite:
    """The stored pages at their own paths: `/{kanal}/pr-{id}/{slug}`, `?page=N`, `?page=all`."""

    __test__ = False  # not a test class, whatever pytest thinks of its name

    def __init__(self, port: int = 0) -> None:
        self.routes: dict[str, Route] = {
            "/robots.txt": Route(body=ROBOTS_TXT, headers={"Content-Type": "text/plain"})
        }
        self.requests: list[str] = []
        self.cases = {case.name: case for case in load_cases()}
        for case in self.cases.values():
            self._add_case(case)
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def origin(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        """A local URL for a path, or for the path of a stored case's URL."""
        return self.origin + (urlsplit(path).path if "://" in path else path)

    def case_url(self, name: str) -> str:
        return self.url(self.cases[name].url)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _add_case(self, case: PageCase) -> None:
        path = urlsplit(case.url).path
        status = int(case.spec.get("status", 200))
        if not case.is_multipage:
            self.routes[path] = Route(status, (case.directory / "page.html").read_bytes())
            return
        for number, page in enumerate(case.page_files, start=1):
            self.routes[f"{path}?page={number}"] = Route(status, page.read_bytes())
        self.routes[path] = self.routes[f"{path}?page=1"]
        self.routes[f"{path}?page=all"] = Route(
            status, (case.directory / "page-all.html").read_bytes()
        )

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                site.requests.append(self.path)
                route = site.routes.get(self.path, Route(404, b"<html><title>404</title></html>"))
                self.send_response(route.status)
                for name, value in route.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                self.wfile.write(route.body)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                """Quiet: the test asserts on `site.requests` instead."""

        return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8000)
    with TestSite(parser.parse_args().port) as site:
        print(f"Serving the local test site on {site.origin}; its articles:")  # noqa: T201
        for name in site.cases:
            print(f"  {site.case_url(name)}")  # noqa: T201
        site._thread.join()


if __name__ == "__main__":
    main()
