"""The running Twisted reactor, for the components that hand work to their own thread pools."""

from __future__ import annotations

from typing import Any


def get_reactor() -> Any:
    """``twisted.internet.reactor``, imported late: importing it at module level installs the default
    reactor before Scrapy installs the asyncio one (``TWISTED_REACTOR``)."""
    from twisted.internet import reactor

    return reactor
