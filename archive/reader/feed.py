"""The Atom feed of recent edits (RFC 4287), built with ElementTree so every title and diff is
escaped as XML whatever the archived text holds."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

from archive.reader.data import Edit

ATOM = "http://www.w3.org/2005/Atom"


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attributes)
    if text is not None:
        element.text = _xml_text(text)
    return element


def _xml_text(text: str) -> str:
    # XML 1.0 cannot carry most control characters, escaped or not; archived text may hold them.
    return "".join(c for c in text if c in "\t\n\r" or ord(c) >= 0x20)


def edit_link(base: str, edit: Edit) -> str:
    return f"{base}/article/{edit.article_id}?a={edit.number - 1}&b={edit.number}#diff"


def atom_feed(base: str, self_url: str, title: str, edits: list[Edit]) -> bytes:
    """*base* is the server's URL (no trailing slash), *self_url* the feed's own."""
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    _sub(feed, "id", self_url)
    _sub(feed, "title", title)
    newest = edits[0].created_at if edits else dt.datetime.now(dt.UTC)
    _sub(feed, "updated", _stamp(newest))
    _sub(_sub(feed, "author"), "name", "newsarchive")
    _sub(feed, "link", rel="self", href=self_url, type="application/atom+xml")
    _sub(feed, "link", rel="alternate", href=f"{base}/edits", type="text/html")
    _sub(feed, "generator", "newsarchive")
    for edit in edits:
        entry = _sub(feed, "entry")
        link = edit_link(base, edit)
        _sub(entry, "id", link)
        _sub(entry, "title", f"{edit.title or '(untitled)'} — version {edit.number} ({edit.site})")
        _sub(entry, "updated", _stamp(edit.created_at))
        _sub(entry, "link", rel="alternate", href=link, type="text/html")
        _sub(entry, "summary", edit.summary or "(no change in the words)")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)
