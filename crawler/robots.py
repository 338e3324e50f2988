"""robots.txt read by its status (RFC 9309 §2.3.1), not by whatever body came back.

Scrapy's ``RobotsTxtMiddleware`` parses the body of any final answer. A server error page holds no
rules, so a host whose robots.txt answered 503 (after the retries), or a plain-http proxy's own 502
when it could not reach the origin, was crawled as allowing everything: at the moment the site
asked crawlers to stay away, or when nobody could say what it allows. A 404 page that happens to
show an example robots.txt was obeyed as the site's rules. Here, on the final answer (redirects
followed, retries spent):

* 2xx: the body is the host's rules;
* a server error (5xx), or 429 (too many requests), read as RFC 9309 reads an unreachable
  robots.txt: every URL of the host disallowed for the run, with one WARNING line and the stat
  ``newsarchive/robotstxt/server_error``. The answer itself is in the WARC as received;
* anything else (4xx, a redirect not followed): no robots.txt, every URL allowed, its body unread.

Sitemaps named by robots.txt come only from a 2xx body, since the others are parsed as empty.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware as ScrapyRobotsTxtMiddleware

from crawler.download_errors import retries_said, status_reason

if TYPE_CHECKING:
    from scrapy.http import Request, Response

logger = logging.getLogger(__name__)

SERVER_ERROR_STAT = "newsarchive/robotstxt/server_error"
_DISALLOW_ALL = b"User-agent: *\nDisallow: /\n"


def is_server_error(status: int) -> bool:
    """Whether a robots.txt answer of *status* disallows the host: 5xx, and 429, which Google and
    Bing read as a server error (the site asks crawlers to back off)."""
    return status >= 500 or status == 429


class RobotsTxtMiddleware(ScrapyRobotsTxtMiddleware):
    """Scrapy's middleware, with each robots.txt read by its status (the module says how)."""

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        if 200 <= response.status < 300:
            rules = response
        elif is_server_error(response.status):
            asked = response.request or request
            logger.warning(
                "robots.txt of %s answered %s%s: nothing of %s is crawled this run (a server error is read as"
                " disallowing every URL, RFC 9309; ROBOTSTXT_OBEY=False crawls regardless)",
                netloc,
                status_reason(asked, response.status),
                retries_said(asked),
                netloc,
            )
            self._stats.inc_value(SERVER_ERROR_STAT)
            rules = response.replace(body=_DISALLOW_ALL)
        else:
            rules = response.replace(body=b"")
        await super()._parse_robots(rules, netloc, request)
