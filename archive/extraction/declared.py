"""The fields a page only declares (JSON-LD, OpenGraph, meta tags) and that need no look at its markup:
canonical URL, image, tags, section, description and the site's name, each normalized."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from .normalize import clean, ld_text, norm, strip_tags
from .structured import PageData


def absolute(url: str | None, base: str) -> str | None:
    """The URL made absolute against the page, None unless it is a web address (no script, data or anchor)."""
    if not url or not isinstance(url, str):
        return None
    url = url.strip()
    if not url or url.startswith(("javascript:", "data:", "#")):
        return None
    try:
        out = urljoin(base, url)
    except ValueError:
        return None
    return out if urlsplit(out).scheme in ("http", "https") else None


def declared_urls(data: PageData, url: str) -> tuple[str, ...]:
    """Each URL the page names as its own, once, first the one trusted most: <link rel=canonical>,
    og:url, then JSON-LD url / mainEntityOfPage. More than one is a page that disagrees with itself."""
    art = data.ld_article or {}
    main = art.get("mainEntityOfPage")
    ld_url = main.get("@id") if isinstance(main, dict) else main if isinstance(main, str) else None
    named = (absolute(c, url) for c in (data.canonical_link, data.first("og:url"), ld_text(art.get("url")), ld_url))
    return tuple(dict.fromkeys(u for u in named if u))


def pick_image(data: PageData, url: str) -> str | None:
    """The story's image: og:image or twitter:image, then JSON-LD image / thumbnailUrl."""
    art = data.ld_article or {}
    img = art.get("image") or art.get("thumbnailUrl")
    if isinstance(img, list):
        img = img[0] if img else None
    if isinstance(img, dict):
        img = img.get("url") or img.get("contentUrl") or img.get("@id")
    return absolute(
        data.first("og:image", "og:image:url", "og:image:secure_url", "twitter:image")
        or (img if isinstance(img, str) else None),
        url,
    )


def pick_tags(data: PageData) -> tuple[str, ...]:
    """JSON-LD keywords and article:tag, or the keywords meta when neither is there; each tag once (compared
    by `norm`), at most 50."""
    art = data.ld_article or {}
    raw: list[str] = []
    kw = art.get("keywords")
    if isinstance(kw, str):
        raw.extend(kw.split(","))
    elif isinstance(kw, list):
        raw.extend(k for k in kw if isinstance(k, str))
    raw.extend(data.all("article:tag"))
    if not raw:
        for v in data.all("news_keywords", "keywords"):
            raw.extend(v.split(","))
    out: list[str] = []
    seen: set[str] = set()
    for t in raw:
        t = clean(t)
        if t and len(t) <= 80 and norm(t) not in seen:
            seen.add(norm(t))
            out.append(t)
    return tuple(out[:50])


def pick_section(data: PageData) -> str | None:
    """The section the page files the story under."""
    art = data.ld_article or {}
    return ld_text(art.get("articleSection")) or data.first("article:section", "parsely-section", "section")


def pick_description(data: PageData) -> str | None:
    """The page's summary: og:description, description or twitter:description, then JSON-LD description."""
    art = data.ld_article or {}
    return clean(strip_tags(data.first("og:description", "description", "twitter:description") or "")) or ld_text(
        art.get("description")
    )


def pick_site_name(data: PageData) -> str | None:
    """What the site calls itself: og:site_name, application-name or publisher meta, then JSON-LD publisher."""
    return clean(data.first("og:site_name", "application-name", "publisher") or "") or data.ld_publisher
