"""Render mode: a page of a site whose story its scripts build is loaded in headless Chromium.

Playwright drives the browser directly (not scrapy-playwright: its download handler answers a
request with the browser's DOM in place of the bytes received, and its browser fetches
subresources around Scrapy's downloader, so nothing would record them as received). Here:

- the page's own answer is the one Scrapy already downloaded and archived; the browser is handed
  it (``route.fulfill``) and does not fetch it again;
- every other request the browser makes is intercepted (``page.route``) and downloaded by Scrapy's
  own downloader (``engine.download_async``), so WarcArchiveMiddleware writes its request and
  response records from the wire like every other exchange, robots.txt and politeness included;
  the browser gets the decoded body back (its content codings are undone by then, so the
  ``Content-Encoding`` line is dropped from what it is given, never from the record);
- a GET the browser made for one page is answered from memory for every later page of the run
  (``_RunDownloads``): a stylesheet a thousand pages share is fetched and archived once, as the
  spider's requisites are (the spider does not ask again for what a rendered page's browser got);
  what the stylesheets a browser fetched name and no browser loaded (a 2x candidate of an
  ``image-set()``, a font of another weight) is downloaded after the page (``complete``), the same way;
- the DOM after the load event and a bounded wait for the network to go quiet is returned, to
  be written as a WARC ``conversion`` record referring to the page's response record.

One browser per crawl, a context per page, at most ``NEWSARCHIVE_RENDER_PAGES`` at once; a page
that takes longer than ``NEWSARCHIVE_RENDER_TIMEOUT`` or a browser that crashes is a
``RenderError`` for that URL; the browser is closed when the spider closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from scrapy import Request, signals
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

from archive.responses import decoded_pairs, header_pairs
from crawler.stylesheets import record_stylesheet

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

# Chromium's flags that work in containers and CI without a display or a user namespace sandbox.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--headless=new"]
# Headers the browser computes for its own connection; Scrapy's downloader sets its own.
_HOP_HEADERS = frozenset({"host", "connection", "content-length", "accept-encoding", "user-agent"})
# Headers that would describe the coded body: the browser is given the decoded one.
_CODED_HEADERS = frozenset({"content-length", "transfer-encoding", "content-encoding"})
RENDERED_FOR_META_KEY = "newsarchive_rendered_for"


class _RunDownloads:
    """The browser's GET downloads of this run by URL, shared by every page it renders: one
    download per URL however many pages (or pages at once) ask for it, bodies kept up to *limit* bytes."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.size = 0
        self._answers: OrderedDict[str, asyncio.Future[Response]] = OrderedDict()
        self.fetched: set[str] = set()  # every URL downloaded this run, evicted ones included

    async def get(self, url: str, download: Callable[[], Awaitable[Response]]) -> Response:
        pending = self._answers.get(url)
        if pending is not None:
            self._answers.move_to_end(url)
            return await asyncio.shield(pending)
        pending = asyncio.get_running_loop().create_future()
        self._answers[url] = pending
        try:
            answer = await download()
        except BaseException as exc:
            del self._answers[url]  # a failure is this page's: the next page tries again
            pending.set_exception(exc)
            pending.exception()  # retrieved: no "never retrieved" warning when nobody else waited
            raise
        self.fetched.add(url)
        if answer.status >= 500:  # a server's trouble of the moment is not handed on
            del self._answers[url]
        else:
            self.size += len(answer.body)
            while self.size > self.limit and len(self._answers) > 1:
                _, oldest = self._answers.popitem(last=False)
                if oldest.done() and not oldest.exception():
                    self.size -= len(oldest.result().body)
        pending.set_result(answer)
        return answer


class RenderError(Exception):
    """The page could not be rendered (timeout, browser crash): a download error of its URL."""


class PageRenderer:
    def __init__(
        self,
        crawler: Crawler,
        executable: str,
        timeout: float,
        idle_wait: float,
        pages: int,
        requisites: tuple[str, int],
        shared_bytes: int,
    ) -> None:
        self.crawler = crawler
        # NEWSARCHIVE_REQUISITES and _PER_PAGE: what a stylesheet the browser fetches loads is recorded.
        self.requisite_level, self.requisites_per_page = requisites
        self.downloads = _RunDownloads(shared_bytes)
        self._stylesheets_named: list[str] = []
        self.executable = executable
        self.timeout = timeout
        self.idle_wait = idle_wait
        self._slots = asyncio.Semaphore(max(1, pages))
        self._playwright: Any = None
        self._browser: Any = None
        self._starting: asyncio.Lock | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PageRenderer:
        try:
            import playwright.async_api  # noqa: F401
        except ImportError:
            raise NotConfigured("render mode needs Playwright: pip install -e '.[browser]'") from None
        settings = crawler.settings
        renderer = cls(
            crawler,
            settings.get("NEWSARCHIVE_RENDER_CHROMIUM"),
            settings.getfloat("NEWSARCHIVE_RENDER_TIMEOUT"),
            settings.getfloat("NEWSARCHIVE_RENDER_IDLE_WAIT"),
            settings.getint("NEWSARCHIVE_RENDER_PAGES"),
            (settings.get("NEWSARCHIVE_REQUISITES"), settings.getint("NEWSARCHIVE_REQUISITES_PER_PAGE")),
            settings.getint("NEWSARCHIVE_RENDER_SHARED_BYTES"),
        )
        crawler.signals.connect(renderer.spider_closed, signal=signals.spider_closed)
        return renderer

    async def _browser_up(self) -> Any:
        if self._starting is None:
            self._starting = asyncio.Lock()
        async with self._starting:
            if self._browser is None or not self._browser.is_connected():
                from playwright.async_api import async_playwright

                if self._playwright is None:
                    self._playwright = await async_playwright().start()
                self._browser = await self._playwright.chromium.launch(
                    executable_path=self.executable, args=CHROMIUM_ARGS, headless=True
                )
        return self._browser

    async def spider_closed(self) -> None:
        browser, self._browser = self._browser, None
        playwright, self._playwright = self._playwright, None
        try:
            if browser is not None:
                await browser.close()
        finally:
            if playwright is not None:
                await playwright.stop()

    def has_fetched(self, url: str) -> bool:
        """Whether a page's browser downloaded *url* in this run (so it is archived already)."""
        return url in self.downloads.fetched

    async def render(self, response: Response) -> bytes:
        """The DOM *response*'s page has once its scripts ran, as UTF-8 HTML."""
        async with self._slots:
            try:
                # Starting the browser (once, a second or two) is not the page's time.
                browser = await self._browser_up()
                return await asyncio.wait_for(self._render(browser, response), self.timeout)
            except TimeoutError:
                raise RenderError(f"not rendered within {self.timeout:g} s") from None
            except RenderError:
                raise
            except Exception as exc:  # the browser crashed or refused: this page, not the run
                raise RenderError(f"{type(exc).__name__}: {exc}".splitlines()[0][:300]) from exc

    async def _render(self, browser: Any, response: Response) -> bytes:
        context = await browser.new_context(user_agent=self.crawler.settings.get("USER_AGENT"), service_workers="block")
        try:
            page = await context.new_page()
            answering: set[asyncio.Task[None]] = set()

            def route_request(route: Any) -> None:
                # A task of its own: Playwright waits on a handler before it hands over the next
                # request, so one slow download would hold up every other page's requests.
                task = asyncio.get_running_loop().create_task(self._answer(route, page, response))
                answering.add(task)
                task.add_done_callback(answering.discard)

            await page.route("**/*", route_request)
            await page.goto(response.url, wait_until="load", timeout=self.timeout * 1000)
            try:
                await page.wait_for_load_state("networkidle", timeout=self.idle_wait * 1000)
            except Exception:  # a page that never goes quiet (a live ticker) is read as it is by then
                logger.debug("%s: network still busy after %g s", response.url, self.idle_wait)
            html: str = await page.content()
            return html.encode("utf-8")
        finally:
            await context.close()

    async def _answer(self, route: Any, page: Any, response: Response) -> None:
        request = route.request
        try:
            if request.url == response.url and request.is_navigation_request() and request.frame == page.main_frame:
                answer = response  # downloaded and archived already: not fetched twice
            elif request.method == "GET":
                answer = await self.downloads.get(request.url, lambda: self._download(request, response.url))
            else:
                answer = await self._download(request, response.url)
            pairs = decoded_pairs(header_pairs(answer.headers))
            headers = [(n, v) for n, v in pairs if n.lower() not in _CODED_HEADERS]
            await route.fulfill(status=answer.status, headers=_joined(headers), body=answer.body)
        except Exception as exc:
            logger.info("render of %s: %s not loaded (%s)", response.url, request.url, exc)
            with contextlib.suppress(Exception):  # the page is gone already (closed by a timeout)
                await route.abort()

    async def _download(self, browser_request: Any, page_url: str) -> Response:
        """One request of the browser's, made by Scrapy's downloader (and so archived from the wire)."""
        headers = {k: v for k, v in (await browser_request.all_headers()).items() if k.lower() not in _HOP_HEADERS}
        return await self._fetch(
            browser_request.url,
            page_url,
            method=browser_request.method,
            headers=headers,
            body=browser_request.post_data_buffer or b"",
        )

    async def complete(self, page_url: str) -> None:
        """Download what the browsers' stylesheets named and no browser loaded (a 2x candidate, a
        font of another weight): a replay at another width or density asks for it. Through the
        run's shared downloads, so a URL a browser asks for meanwhile is still fetched once."""
        while self._stylesheets_named:
            named, self._stylesheets_named = list(dict.fromkeys(self._stylesheets_named)), []
            for url in named:
                if not self.has_fetched(url):
                    try:
                        await self.downloads.get(url, functools.partial(self._fetch, url, page_url))
                    except Exception as exc:  # one requisite, not the page
                        logger.info("render of %s: %s not loaded (%s)", page_url, url, exc)

    async def _fetch(
        self, url: str, page_url: str, *, method: str = "GET", headers: dict[str, str] | None = None, body: bytes = b""
    ) -> Response:
        request = Request(
            url,
            method=method,
            headers=headers,
            body=body,
            dont_filter=True,
            priority=100,  # the page waits on it: ahead of discovery
            meta={
                "dont_redirect": True,  # the browser follows redirects itself, each hop recorded
                "handle_httpstatus_all": True,
                # The page is waiting within its render timeout: a retry would outlive it.
                "dont_retry": True,
                "allow_offsite": True,  # CDNs: a page's requisites live on other hosts
                RENDERED_FOR_META_KEY: page_url,
            },
        )
        assert self.crawler.engine is not None
        answer = await self.crawler.engine.download_async(request)
        # A stylesheet only the browser asked for is a capture whose rows nobody else would write.
        named = record_stylesheet(self.crawler, answer, request.meta, self.requisite_level, self.requisites_per_page)
        if named is not None:
            self._stylesheets_named.extend(named.urls)  # what no browser loads: `complete` gets it
        return answer


def _joined(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """Header lines as Playwright takes them (one value per name: repeated lines joined, cookies by newline)."""
    joined: dict[str, str] = {}
    for name, value in pairs:
        key = name.lower()
        if key in joined:
            joined[key] += ("\n" if key == "set-cookie" else ", ") + value
        else:
            joined[key] = value
    return joined
