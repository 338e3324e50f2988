"""Redirect chains read from a WARC: which URLs' 3xx answers led to a fetch.

The crawl knows the chain of each request (Scrapy's ``redirect_urls``) and puts it on the capture;
a WARC holds it as the 3xx response records themselves, each before the fetch it led to. Reading
in order, a 3xx record of *A* with ``Location: B`` is remembered until the next record of *B*,
which takes the chain (A's own, then A) with it: the capture the crawl made of that exchange.
"""

from __future__ import annotations

from collections import OrderedDict
from urllib.parse import urljoin

from archive.responses import REDIRECT_STATUSES
from archive.urls import canonicalize

# Redirects not yet followed by a record of their target, the most recent only: a crawl follows a
# redirect within moments, and one whose target never came (offsite, filtered as a duplicate) must
# not stay for the rest of a run over millions of records.
REDIRECTS_KEEP = 10_000


class RedirectChains:
    def __init__(self, keep: int = REDIRECTS_KEEP) -> None:
        self.keep = keep
        self._pending: OrderedDict[str, tuple[str, ...]] = OrderedDict()  # target, canonicalized -> chain

    def arrived(self, url: str) -> tuple[str, ...]:
        """The chain that led to this record of *url* (empty when none did); it is used up."""
        return self._pending.pop(canonicalize(url), ())

    def answered(self, url: str, chain: tuple[str, ...], status: int, location: str | None) -> None:
        """A record of *url*, reached by *chain*, answered *status* with *location*."""
        if status not in REDIRECT_STATUSES or not location or not location.strip():
            return
        try:
            target = canonicalize(urljoin(url, location.strip()))
        except ValueError:  # a Location no URL parser takes: nothing was followed
            return
        self._pending[target] = (*chain, url)
        self._pending.move_to_end(target)
        if len(self._pending) > self.keep:
            self._pending.popitem(last=False)
