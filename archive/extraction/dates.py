"""When the story was published and last modified: the dates the page declares (JSON-LD, meta tags,
itemprop/<time pubdate>), then the date shown under the headline, a date the page labels as the publication's,
a <time> in the article, and htmldate's guess when none of these gives one."""

from __future__ import annotations

import datetime as dt
import email.utils
import re
from typing import Any
from urllib.parse import urlsplit

from lxml.html import HtmlElement

from .authors import FOREIGN_BYLINE_TAGS, FOREIGN_BYLINE_WORDS
from .normalize import class_words, clean
from .structured import PageData
from .title import heading_by_text, headline_h1

_PUB_META = (
    "article:published_time",
    "og:article:published_time",
    "published_time",
    "datepublished",
    "article.published",
    "pubdate",
    "publishdate",
    "publish-date",
    "publish_date",
    "parsely-pub-date",
    "sailthru.date",
    "dc.date.issued",
    "dcterms.issued",
    "dc.date",
    "dcterms.created",
    "dc.date.created",
    "cxenseparse:recs:publishtime",
    "article:published",
    "originalpublicationdate",
    "publication_date",
    "pub_date",
    "release_date",
    "citation_publication_date",
    # Last: a bare "date" is whatever date the CMS stamps on the page (its build, its last edit), a named
    # publication date above it the story's.
    "date",
)
_MOD_META = (
    "article:modified_time",
    "og:updated_time",
    "datemodified",
    "dcterms.modified",
    "dc.date.modified",
    "last-modified",
    "lastmod",
    "article.updated",
    "article:modified",
)


def iso_date(value: Any) -> str | None:
    """Normalize a declared date to ISO 8601, keeping time and offset when given."""
    if value is None:
        return None
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("@value")
    if isinstance(value, int | float) and not isinstance(value, bool):
        ts = value / 1000 if value > 1e11 else value
        try:
            return dt.datetime.fromtimestamp(ts, dt.UTC).isoformat()
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str):
        return None
    s = value.strip()
    if not s:
        return None
    if re.fullmatch(r"\d{10}(\d{3})?", s):
        return iso_date(int(s))
    m = re.match(
        r"(\d{4})-?(\d{2})-?(\d{2})(?:[T ](\d{2}):?(\d{2})(?::?(\d{2})(?:[.,](\d{1,9}))?)?\s*"
        r"(Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?)?",
        s,
    )
    if m:
        y, mo, d, hh, mi, ss, frac, tz = m.groups()
        try:
            if hh is None:
                return dt.date(int(y), int(mo), int(d)).isoformat()
            micro = int((frac or "0")[:6].ljust(6, "0"))
            tzinfo = None
            if tz:
                if tz in ("Z", "UTC", "GMT"):
                    tzinfo = dt.UTC
                else:
                    sign = -1 if tz[0] == "-" else 1
                    digits = tz[1:].replace(":", "")
                    off = dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0))
                    tzinfo = dt.timezone(sign * off)
            stamp = dt.datetime(int(y), int(mo), int(d), int(hh), int(mi), int(ss or 0), micro, tzinfo)
            return stamp.isoformat()
        except ValueError:
            return None
    try:
        parsed = email.utils.parsedate_to_datetime(s)
        return parsed.isoformat() if parsed else None
    except (TypeError, ValueError, IndexError):
        pass
    # A declared value written as the page shows dates ("October 27, 2012", "27.10.2012 10:00"): CMSs fill
    # datePublished from the display format too, and it is still the story's date.
    return shown_date(s) if len(s) <= 60 else None


_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_CLOCK = (
    r"(?:(?:T|,?\s*(?:at\s+|um\s+)?)(?P<hh>\d{1,2})[:時](?P<mi>\d{2})(?::(?P<ss>\d{2}))?\s*(?P<ampm>[ap]\.?m\.?)?)?"
)
_ZONE = r"(?:\s*(?P<tz>Z|UTC|GMT|[+-]\d{2}:?\d{2}))?"
# A shown date: "2019-09-05 11:10", "2019年9月5日 11:10", "05.09.2019, 11:10", "Thu, 14 May 2020 17:55 UTC",
# "December 27, 2014 at 12:10 PM". Month names in English only: other languages' are left to htmldate.
_SHOWN_DATES = tuple(
    re.compile(p + _CLOCK + _ZONE, re.I)
    for p in (
        r"(?<!\d)(?P<y>(?:19|20)\d{2})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})(?!\d)\s*日?",
        r"(?<![\d.])(?P<d>\d{1,2})\.\s?(?P<m>\d{1,2})\.\s?(?P<y>(?:19|20)\d{2})(?!\d)",
        r"\b(?P<d>\d{1,2})\.?\s+(?P<mon>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?,?\s+(?P<y>(?:19|20)\d{2})\b",
        r"\b(?P<mon>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?,?\s+"
        r"(?P<y>(?:19|20)\d{2})\b",
    )
)
_UPDATED = re.compile(r"updat|aktualisiert|更新|修改|mis à jour|actualiz|aggiornat", re.I)


def shown_date(text: str, updated: bool = False) -> str | None:
    """The first date (with its time and zone when shown) in a line of text, as ISO 8601: one not labelled as an
    update's, or with `updated` one that is ("Updated: Oct 9, 2019", "最終更新日：2019年4月2日")."""
    for pattern in _SHOWN_DATES:
        m = pattern.search(text)
        if not m or bool(_UPDATED.search(text[: m.start()])) != updated:
            continue
        g = m.groupdict()
        month = _MONTHS.index(g["mon"].lower()[:3]) + 1 if g.get("mon") else int(g["m"])
        try:
            day = dt.date(int(g["y"]), month, int(g["d"]))
            if g["hh"] is None:
                return day.isoformat()
            hour = int(g["hh"])
            if g["ampm"]:  # "12:10 PM"
                hour = hour % 12 + (12 if g["ampm"].lower().startswith("p") else 0)
            stamp = dt.datetime(day.year, day.month, day.day, hour, int(g["mi"]), int(g["ss"] or 0))
        except ValueError:
            continue
        zone = g["tz"] or ""
        return iso_date(stamp.isoformat() + ("Z" if zone.upper() in ("UTC", "GMT") else zone))
    return None


# Lists of other stories: a date inside one is that story's.
# The byline check's containers of other stories, and list items: a date in a linked list item is a teaser's.
_STORY_LIST_TAGS = FOREIGN_BYLINE_TAGS | {"li"}


def _in_story_list(el: HtmlElement, stop: set[HtmlElement]) -> bool:
    """The element sits in a list item, aside, nav or rail below the `stop` ancestors (those holding the
    headline: a header that is an <aside> holds the story's own date)."""
    for anc in (el, *el.iterancestors()):
        if anc in stop or anc.tag in ("body", "html"):
            return False  # page-level classes ("has-sidebar") describe the template
        if anc.tag in _STORY_LIST_TAGS and (anc.tag != "li" or anc.find(".//a") is not None):
            return True  # a list item only when it links somewhere: "<li>Published 3 May</li>" is a meta line
        if class_words(anc) & FOREIGN_BYLINE_WORDS:
            return True
    return False


def _headline_block_dates(h1: HtmlElement) -> tuple[str | None, str | None]:
    """The date shown between the headline and the story: a <time>, or a date in a line of text; and, when there
    is none, the first date shown there as an update's (the page's only date of the story)."""
    stop = set(h1.iterancestors())
    seen = 0
    started = False
    updated = None
    for el in h1.getroottree().iter():
        if el is h1:
            started = True
            continue
        if not started or not isinstance(el.tag, str) or el.tag in ("script", "style") or h1 in el.iterancestors():
            continue
        seen += 1
        if seen > 60:
            break
        if _in_story_list(el, stop):
            continue
        declared = iso_date(el.get("datetime")) if el.get("datetime") else None
        if declared:
            return declared, None
        for text in (el.text, *(c.tail for c in el)):
            text = clean(text)
            if len(text) >= 100:
                return None, updated  # the story has begun
            found = shown_date(text) if text else None
            if found:
                return found, None
            if text and updated is None:
                updated = shown_date(text, updated=True)
    return None, updated


def pick_dates(
    data: PageData, tree: HtmlElement, url: str, site_names: list[str], title: str | None = None
) -> tuple[str | None, str | None]:
    """(published, modified) as ISO 8601. What the page declares wins; a date it only shows is searched where
    the story's own date sits, as a site clock or a teaser's date elsewhere on the page is no publication date."""
    art = data.ld_article or {}
    published = _declared_published(data, tree)
    if not published:
        shown, updated = _shown_dates(tree, site_names, title)
        # A date shown only as the story's update is the closest to its publication the page tells: after any
        # other date the page gives, before htmldate's guess (a day only, from anywhere on the page or the URL).
        published = (
            shown
            or _labelled_date(tree)
            or _article_time(tree)
            or updated
            or _htmldate_published(tree, url)
            or _compact_url_date(url)
        )
    modified = iso_date(art.get("dateModified")) or next((d for d in map(iso_date, data.all(*_MOD_META)) if d), None)
    return published, modified


def _declared_published(data: PageData, tree: HtmlElement) -> str | None:
    """The publication date in JSON-LD, in meta tags (in `_PUB_META` order), or in itemprop/<time pubdate>."""
    art = data.ld_article or {}
    published = iso_date(art.get("datePublished")) or iso_date(art.get("dateCreated"))
    if published:
        return published
    for name in _PUB_META:
        published = next((d for d in map(iso_date, data.all(name)) if d), None)
        if published:
            return published
    for el in tree.xpath('//*[@itemprop="datePublished"]|//time[@pubdate]')[:5]:
        published = iso_date(el.get("datetime") or el.get("content"))
        if published:
            return published
    return None


def _shown_dates(tree: HtmlElement, site_names: list[str], title: str | None) -> tuple[str | None, str | None]:
    """Nothing declared: the date shown under the headline comes before a <time> elsewhere in the
    article, which may be a sidebar list's or a site clock; (that date, an update's date shown there)."""
    h1 = headline_h1(tree, site_names)
    if h1 is None:
        h1 = heading_by_text(tree, title)
    return _headline_block_dates(h1) if h1 is not None else (None, None)


def _article_time(tree: HtmlElement) -> str | None:
    """The first <time datetime> in the article or <main> that is not in a list of other stories."""
    for el in tree.xpath("//article//time[@datetime]|//main//time[@datetime]")[:8]:
        if not _in_story_list(el, set()):
            published = iso_date(el.get("datetime"))
            if published:
                return published
    return None


def _htmldate_published(tree: HtmlElement, url: str) -> str | None:
    """htmldate's guess, day only, from the URL and the rest of the page: the last resort."""
    try:
        # Imported here and guarded: a failure inside htmldate must cost the page only its date, never the article.
        from htmldate import find_date

        return find_date(tree, url=url, original_date=True, extensive_search=False, outputformat="%Y-%m-%d") or None
    except Exception:
        return None


# "/news/council-plan-20120608.html", "/news/20131023/council-plan": a day written as eight digits in the URL's
# path, between non-digits (not inside a longer number: an id), which htmldate reads only as /2012/06/08/.
_COMPACT_URL_DATE = re.compile(r"(?<![\d])((?:19|20)\d{2})(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])(?![\d])")


def _compact_url_date(url: str) -> str | None:
    """The day the URL's path names in eight digits, when the page itself names none: the publisher's own date."""
    match = _COMPACT_URL_DATE.search(urlsplit(url).path)
    if match is None:
        return None
    try:
        return dt.date(*map(int, match.groups())).isoformat()
    except ValueError:
        return None  # "20230231": eight digits, no day


# Languages whose readers keep one clock with no summer time: Japan and Korea UTC+9, the Chinese-speaking places
# (mainland, Taiwan, Hong Kong, Macau, Singapore) UTC+8, Thailand and Vietnam UTC+7. Every time given without a zone
# on the corpora's Chinese, Japanese and Thai pages is that clock's.
_ONE_CLOCK_LANGUAGES = {"ja": 9, "ko": 9, "zh": 8, "th": 7, "vi": 7}


def in_language_clock(value: str | None, language: str | None) -> str | None:
    """A date and time given without a zone, on a page in a language of one clock, in that clock's zone: without it
    the time is no instant (a story dated "28 April, 8:00" in Tokyo is 27 April in UTC). A day alone stays a day."""
    hours = _ONE_CLOCK_LANGUAGES.get((language or "").split("-")[0].lower())
    if not value or hours is None or "T" not in value:
        return value
    try:
        stamp = dt.datetime.fromisoformat(value)
    except ValueError:
        return value
    if stamp.tzinfo is not None:
        return value
    return stamp.replace(tzinfo=dt.timezone(dt.timedelta(hours=hours))).isoformat()


# "Veröffentlicht am 07.06.2019", "Published on June 7, 2019", "<strong>Date</strong> 10.06.2013": the page says
# which date is the publication's. Site clocks ("Montag, 09.12.2019") and teasers' dates carry no such label.
_PUBLICATION_LABEL = re.compile(
    r"\b(?:veröffentlicht|erschienen|publiziert|published|posted|publié|publicado|pubblicato|gepubliceerd|"
    r"publicerad|publisert|offentliggjort|date|datum|fecha)"
    r"(?:\s+(?:am|on|le|el|il|op|den|em))?\s*:?\s*"
    r"(?P<date>\d{1,2}\.\s?\d{1,2}\.\s?\d{4}|\d{4}-\d{2}-\d{2}|\d{1,2}\.?\s+[^\W\d_]{3,10}\.?\s+\d{4}"
    r"|[^\W\d_]{3,10}\.?\s+\d{1,2},?\s+\d{4})",
    re.I,
)
_MONTH_NUMBERS = {
    name: number
    for number, names in enumerate(
        (
            "jan january januar janvier enero gennaio",
            "feb february februar février febrero febbraio",
            "mar march märz mars marzo",
            "apr april avril abril aprile",
            "may mai mayo maggio",
            "jun june juni juin junio giugno",
            "jul july juli juillet julio luglio",
            "aug august août agosto",
            "sep sept september septembre septiembre settembre",
            "oct october oktober octobre octubre ottobre",
            "nov november novembre noviembre",
            "dec december dezember décembre diciembre dicembre",
        ),
        start=1,
    )
    for name in names.split()
}


def _labelled_date(tree: HtmlElement) -> str | None:
    body = tree.find("body")
    if body is None:
        return None
    match = _PUBLICATION_LABEL.search(" ".join(body.text_content()[:300_000].split()))
    if match is None:
        return None
    value = match.group("date")
    numbers = [int(n) for n in re.findall(r"\d+", value)]
    month_name = re.search(r"[^\W\d_]+", value)
    try:
        if month_name is None:
            year, month, day = numbers if "-" in value else numbers[::-1]
        else:
            month = _MONTH_NUMBERS.get(month_name.group().lower().rstrip("."), 0)
            day, year = numbers
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None
