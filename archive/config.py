"""Configuration names shared by the crawl (Scrapy settings) and the CLI, and the one place the
environment is read.

A name of ``ENV_SETTINGS`` works everywhere: a Scrapy setting (``-s NAME=VALUE``), an environment
variable that overrides its default, and, for some, a CLI option (``--db``, ``--warc-dir``,
``--redis``, ...). Precedence: the explicit value (``-s``, a CLI option) over the environment over
the default. ``crawler/settings.py`` takes its value of each from ``env_setting``; the CLI asks the
same function, so both agree on every default.
"""

from __future__ import annotations

import os
from typing import Any

# Environment-backed names and their defaults. The type of the default is the type of the value:
# a float's variable is parsed as a float. An empty variable counts as unset.
ENV_SETTINGS: dict[str, Any] = {
    "NEWSARCHIVE_DATABASE_URL": "sqlite:///data/newsarchive.db",
    "NEWSARCHIVE_WARC_DIR": "data/warc",
    "NEWSARCHIVE_WARC_PREFIX": "newsarchive",
    "NEWSARCHIVE_OPERATOR": "",
    "NEWSARCHIVE_INDEX_FILE": "",
    "NEWSARCHIVE_SITES_FILE": "",
    "NEWSARCHIVE_REFRESH_WINDOW_HOURS": 48.0,
    "NEWSARCHIVE_DISTRIBUTED": "",
    "NEWSARCHIVE_DISTRIBUTED_KEY_PREFIX": "newsarchive",
    "NEWSARCHIVE_DISTRIBUTED_IDLE_SECONDS": 30.0,
    # Scrapy's LOG_LEVEL for crawls (crawler/settings.py).
    "NEWSARCHIVE_LOG_LEVEL": "INFO",
    # Where `newsarchive crawl` and `demo` write Scrapy's log, one file per crawl (archive/progress.py).
    "NEWSARCHIVE_LOG_DIR": "data/logs",
}

DEFAULT_DATABASE_URL: str = ENV_SETTINGS["NEWSARCHIVE_DATABASE_URL"]
DEFAULT_WARC_DIR: str = ENV_SETTINGS["NEWSARCHIVE_WARC_DIR"]


def env_setting(name: str, explicit: Any = None) -> Any:
    """The value of the environment-backed *name*: *explicit* when given (not None or empty), else
    ``$name``, else its default from ``ENV_SETTINGS``."""
    default = ENV_SETTINGS[name]
    if explicit is not None and explicit != "":
        return explicit
    value = os.environ.get(name)
    if not value:
        return default
    return float(value) if isinstance(default, float) else value


def database_url(explicit: str | None = None) -> str:
    """The database URL to use: an explicit value, else $NEWSARCHIVE_DATABASE_URL, else the default."""
    return str(env_setting("NEWSARCHIVE_DATABASE_URL", explicit))


def warc_dir(explicit: str | None = None) -> str:
    """The WARC directory to use: an explicit value, else $NEWSARCHIVE_WARC_DIR, else the default."""
    return str(env_setting("NEWSARCHIVE_WARC_DIR", explicit))
