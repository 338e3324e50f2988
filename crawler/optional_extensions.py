"""Scrapy's telnet console and remote control, imported only when turned on.

Both are off here (``TELNETCONSOLE_ENABLED``, ``REMOTE_CONTROL_ENABLED``), yet Scrapy imports an
extension to let it find that out, and their modules (``twisted.conch``, aiohttp's web server:
8 MB) then stayed in every crawl process. These stand in their place in ``EXTENSIONS_BASE``: off,
they are ``NotConfigured`` without importing anything; turned on, they are Scrapy's own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from scrapy.exceptions import NotConfigured

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


class TelnetConsoleWhenEnabled:
    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Any:
        if not crawler.settings.getbool("TELNETCONSOLE_ENABLED"):
            raise NotConfigured
        from scrapy.extensions.telnet import TelnetConsole

        return TelnetConsole.from_crawler(crawler)


class RemoteControlWhenEnabled:
    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Any:
        if not crawler.settings.getbool("REMOTE_CONTROL_ENABLED"):
            raise NotConfigured
        from scrapy.extensions.remote_control import RemoteControl

        return RemoteControl.from_crawler(crawler)
