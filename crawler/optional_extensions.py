"""Scrapy's telnet console and remote control, imported only when turned on.

Both are off here (``TELNETCONSOLE_ENABLED``, ``REMOTE_CONTROL_ENABLED``), yet Scrapy imports an
extension to let it find that out, and their modules (``twisted.conch``, aiohttp's web server:
8 MB) then stayed in every crawl process. These stand in their place in ``EXTENSIONS_BASE``: off,
they are ``NotConfigured`` without importing anything; turned on, they are Scrapy's own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from scrapy.exceptions import NotConfigured
from scrapy.utils.misc import build_from_crawler, load_object

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


class _WhenEnabled:
    """Scrapy's extension *extension*, imported and made only when *setting* is on."""

    setting: str
    extension: str

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Any:
        if not crawler.settings.getbool(cls.setting):
            raise NotConfigured
        return build_from_crawler(load_object(cls.extension), crawler)


class TelnetConsoleWhenEnabled(_WhenEnabled):
    setting, extension = "TELNETCONSOLE_ENABLED", "scrapy.extensions.telnet.TelnetConsole"


class RemoteControlWhenEnabled(_WhenEnabled):
    setting, extension = "REMOTE_CONTROL_ENABLED", "scrapy.extensions.remote_control.RemoteControl"
