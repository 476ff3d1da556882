"""Block and challenge pages (Cloudflare, "Access Denied"): how to recognise them."""

from __future__ import annotations

import re

# Never on an article: Cloudflare's challenge and its interstitials.
STRONG_MARKERS = (
    "<title>Just a moment...</title>",
    "Checking your browser before accessing",
    "Attention Required! | Cloudflare",
    "window._cf_chl_opt",
    "cf-browser-verification",
)
# Possible on an article (a `<noscript>` notice), so they count only on a page without body
# text, or on an error status.
WEAK_MARKERS = (
    "Access Denied",
    "Please enable JavaScript to continue",
    "Enable JavaScript and cookies to continue",
)
# Titles (lower case) of block pages, whatever their status.
BLOCK_TITLES = frozenset(
    {"just a moment...", "access denied", "attention required! | cloudflare", "403 forbidden"}
)
_TITLE = re.compile(r"<title[^>]*>\s*([^<]{1,80}?)\s*</title>", re.IGNORECASE)


# Challenge and block pages are a few KiB, their markers near the top: an article page (~100 KiB)
# need not be read to its end to clear it.
_HEAD = 32 * 1024


def strong_marker(text: str) -> str | None:
    """The first sign that `text` is a block page whatever else it holds, or None."""
    head = text[:_HEAD]
    if marker := next((marker for marker in STRONG_MARKERS if marker in head), None):
        return marker
    title = _TITLE.search(text[:4096])
    if title and (name := title[1].strip().lower()) in BLOCK_TITLES:
        return f"title {name!r}"
    return None


def weak_marker(text: str) -> str | None:
    """A sign of a block page that only counts where no article text is found."""
    head = text[:_HEAD]
    return next((marker for marker in WEAK_MARKERS if marker in head), None)


def block_marker(text: str, *, status: int, mitigated: bool) -> str | None:
    """Why a response is a block page (any status), or None.

    `mitigated` is Cloudflare's `cf-mitigated: challenge` header; weak markers count on error
    statuses only, since an article may carry them in a `<noscript>`.
    """
    if mitigated:
        return "cf-mitigated header"
    return strong_marker(text) or (weak_marker(text) if status >= 400 else None)
