"""Configuration names shared by the crawl (Scrapy settings) and the CLI.

The same names work everywhere: a Scrapy setting, an environment variable that overrides the
default, and the CLI's ``--db`` / ``--warc-dir`` options.
"""

from __future__ import annotations

import os

DEFAULT_DATABASE_URL = "sqlite:///data/newsarchive.db"
DEFAULT_WARC_DIR = "data/warc"


def database_url(explicit: str | None = None) -> str:
    """The database URL to use: an explicit value, else $NEWSARCHIVE_DATABASE_URL, else the default."""
    return explicit or os.environ.get("NEWSARCHIVE_DATABASE_URL") or DEFAULT_DATABASE_URL


def warc_dir(explicit: str | None = None) -> str:
    """The WARC directory to use: an explicit value, else $NEWSARCHIVE_WARC_DIR, else the default."""
    return explicit or os.environ.get("NEWSARCHIVE_WARC_DIR") or DEFAULT_WARC_DIR
