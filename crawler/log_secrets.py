"""Passwords out of the crawl's log: Scrapy logs the settings a crawl overrides as they are,
``HTTPAUTH_PASS`` (the way to give a site's credentials) included, and any URL in them whole."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from scrapy import signals

from archive.urls import redact_urls

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

# Settings whose value is a secret, whatever it looks like.
SECRET_SETTINGS = ("HTTPAUTH_PASS",)
# Scrapy's logger of the overridden settings, at start-up.
_SETTINGS_LOGGER = "scrapy.crawler"


class SecretsFilter(logging.Filter):
    """Rewrites a record that shows a secret value, or a URL with a password, before any handler sees it."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        hidden = redact_urls(message)
        for secret in self.secrets:
            hidden = hidden.replace(secret, "***")
        if hidden != message:
            record.msg, record.args = hidden, ()
        return True


class HideSecretsInLog:
    """An extension only because extensions are made before Scrapy logs the settings."""

    def __init__(self, crawler: Crawler) -> None:
        secrets = [str(crawler.settings.get(name)) for name in SECRET_SETTINGS if crawler.settings.get(name)]
        self.filter = SecretsFilter(secrets)
        self.logger = logging.getLogger(_SETTINGS_LOGGER)
        self.logger.addFilter(self.filter)
        crawler.signals.connect(self.engine_stopped, signal=signals.engine_stopped)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> HideSecretsInLog:
        return cls(crawler)

    def engine_stopped(self) -> None:
        self.logger.removeFilter(self.filter)  # a later crawl in the same process brings its own
