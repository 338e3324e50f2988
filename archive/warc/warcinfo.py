"""The settings a crawl ran with that decide what re-extraction stores, as its warcinfo records say them.

Each WARC file of a crawl starts with a ``warcinfo`` record (``application/warc-fields``: one
``name: value`` line a field). Besides who and what wrote it, the crawl's records name the
settings that decide what it stored beyond the page itself (which requisites each page names:
``capture_requisites``), so ``reextract`` of the file stores what the crawl did without the user
knowing how it was run. Each setting is a field of its own name, lower case, ``_`` as ``-``
(``NEWSARCHIVE_REQUISITES`` is ``newsarchive-requisites``)."""

from __future__ import annotations

from typing import Any

# The crawl's settings its warcinfo records carry.
RECORDED_SETTINGS = ("NEWSARCHIVE_REQUISITES", "NEWSARCHIVE_REQUISITES_PER_PAGE", "NEWSARCHIVE_REQUISITE_MAXSIZE")
_MAX_FIELDS = 200  # a warcinfo is a few lines; a foreign one of thousands is not read further


def field_name(setting: str) -> str:
    return setting.lower().replace("_", "-")


def recorded_settings(settings: Any) -> dict[str, str]:
    """The warcinfo fields of the crawl's *settings* (Scrapy settings) that re-extraction reads back."""
    return {field_name(name): str(settings.get(name)) for name in RECORDED_SETTINGS}


def crawl_settings(block: bytes) -> dict[str, str]:
    """The settings a warcinfo record's block names (by setting name), as text; what it does not
    name is absent. Lines that are no ``name: value`` field are ignored."""
    wanted = {field_name(name): name for name in RECORDED_SETTINGS}
    found: dict[str, str] = {}
    for line in block.decode("utf-8", errors="replace").splitlines()[:_MAX_FIELDS]:
        name, sep, value = line.partition(":")
        setting = wanted.get(name.strip().lower())
        if sep and setting is not None and setting not in found:
            found[setting] = value.strip()
    return found
