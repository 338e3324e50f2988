"""robots.txt once per distributed run, not once per worker.

Every worker of a shared frontier (``crawler/distributed.py``) would fetch each host's robots.txt
for itself. In its place, Scrapy's ``RobotsTxtMiddleware`` keeps the answers in the run's Redis hash
``<dupefilter key>:robots`` (host -> status and body, gone with the run): the first worker to need a
host claims it and fetches, the others wait for its answer and parse that, firing
``robots_parsed`` as a fetch would (the spider's sitemaps from robots.txt then go through the shared
dupefilter). A claim whose answer does not come within ``DOWNLOAD_TIMEOUT`` (its worker died) is
fetched again. Every worker reads the shared answer by its status as a fetch would be
(``crawler/robots.py``). A local crawl gets that middleware without the sharing.
"""

from __future__ import annotations

import base64
import json
import logging
from typing import TYPE_CHECKING, Any

from scrapy.http import Request, Response
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet import reactor, task
from twisted.internet.defer import Deferred

from crawler.distributed import DUPEFILTER_TTL_SECONDS, crawler_run, distributed_url
from crawler.robots import RobotsTxtMiddleware

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.robotstxt import RobotParser

logger = logging.getLogger(__name__)

_CLAIM = "fetching"
_WAIT_STEP_SECONDS = 0.1


class SharedRobotsTxtMiddleware(RobotsTxtMiddleware):
    """``crawler.robots.RobotsTxtMiddleware`` whose fetches are shared by the workers of one distributed run."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        run, _ = crawler_run(crawler)
        self._server = run.server
        self._key = run.dupefilter_key + ":robots"
        self._wait_seconds = crawler.settings.getfloat("DOWNLOAD_TIMEOUT")
        self._claimed: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Any:
        if not distributed_url(crawler.settings):
            return RobotsTxtMiddleware.from_crawler(crawler)
        return cls(crawler)

    async def robot_parser(self, request: Request) -> RobotParser | None:
        netloc = urlparse_cached(request).netloc
        if netloc in self._parsers:
            return await super().robot_parser(request)
        # This worker's other requests to the host wait on it, as on Scrapy's own fetch.
        waiting: Deferred[RobotParser | None] = Deferred()
        self._parsers[netloc] = waiting
        answer = await self._shared_answer(netloc)
        if answer is not None:
            status, body = answer
            url = f"{urlparse_cached(request).scheme}://{netloc}/robots.txt"
            self._stats.inc_value("newsarchive/robotstxt/shared")
            await self._parse_robots(Response(url, status=status, body=body), netloc, request)  # fires waiting
            parser = self._parsers[netloc]
            assert not isinstance(parser, Deferred)
            return parser
        del self._parsers[netloc]
        parser = await super().robot_parser(request)  # fetches it
        waiting.callback(parser)
        return parser

    async def _shared_answer(self, netloc: str) -> tuple[int, bytes] | None:
        """Another worker's answer for *netloc*, waited for while it fetches; None when this
        worker is to fetch it (it claimed the host, or the claim was not answered in time)."""
        waited = 0.0
        while True:
            try:
                if self._server.hsetnx(self._key, netloc, _CLAIM):
                    self._server.expire(self._key, int(DUPEFILTER_TTL_SECONDS))
                    self._claimed.add(netloc)
                    return None
                value = self._server.hget(self._key, netloc)
            except Exception as exc:  # Redis out of reach: robots.txt is still obeyed, fetched here
                logger.warning("cannot reach Redis for the robots.txt of %s (%s): fetching it", netloc, exc)
                return None
            if value is not None and value != _CLAIM.encode():
                try:
                    stored = json.loads(value)
                    return int(stored["status"]), base64.b64decode(stored["body"])
                except (ValueError, KeyError, TypeError):
                    logger.warning("unreadable shared robots.txt answer for %s: fetching it", netloc)
                    return None
            if waited >= self._wait_seconds:
                logger.warning("no robots.txt answer for %s from the worker fetching it: fetching it", netloc)
                return None
            await maybe_deferred_to_future(task.deferLater(reactor, _WAIT_STEP_SECONDS, lambda: None))
            waited += _WAIT_STEP_SECONDS

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        if netloc in self._claimed:
            self._share(netloc, response.status, response.body)
        await super()._parse_robots(response, netloc, request)

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        if netloc in self._claimed:
            # Scrapy crawls a host whose robots.txt failed as allowing everything: so do the others.
            self._share(netloc, 404, b"")
        super()._robots_error(exc, netloc)

    def _share(self, netloc: str, status: int, body: bytes) -> None:
        self._claimed.discard(netloc)
        answer = json.dumps({"status": status, "body": base64.b64encode(body).decode("ascii")})
        try:
            self._server.hset(self._key, netloc, answer)
        except Exception as exc:  # the others then fetch it themselves once their wait is over
            logger.warning("cannot share the robots.txt of %s: %s", netloc, exc)
