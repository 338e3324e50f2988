"""URLs: canonicalization (one article is one row however many ways it was linked), which URLs
are crawled, how several start URLs travel in one ``-a start_url=``, and what of a URL may be shown."""

from __future__ import annotations

import contextlib
import re
from urllib.parse import urlsplit

from w3lib.url import canonicalize_url, url_query_cleaner

# Query parameters that identify a campaign or a click, never the resource.
TRACKING_PARAMETERS: frozenset[str] = frozenset(
    {
        "fbclid",
        "gclid",
        "gclsrc",
        "dclid",
        "msclkid",
        "yclid",
        "twclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "_ga",
        "_gl",
        "_hsenc",
        "_hsmi",
        "ocid",
        "cmpid",
        "ncid",
        "sr_share",
        "mkt_tok",
        "oly_enc_id",
        "oly_anon_id",
        "vero_id",
        "wt_mc",
        "wt.mc_id",
        "s_cid",
        "ito",
        "at_medium",
        "at_campaign",
        "smid",
        "ref_src",
        "ref_url",
        "spm",
        "xtor",
        "ns_source",
        "ns_mchannel",
        "ns_campaign",
        "ns_linkname",
        "ns_fee",
    }
)
_TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "at_", "hsa_", "__s", "oly_")
_DEFAULT_PORTS = {"http": 80, "https": 443}
# The only schemes the crawl fetches: Scrapy would also read file://, ftp://, s3:// and data:
# URLs, which archive local files or other services as if they were pages of the site.
CRAWLED_SCHEMES = frozenset({"http", "https"})
# Schemes whose URLs SQLAlchemy renders (with their dialect's "+driver" suffix removed).
_DATABASE_DIALECTS = frozenset({"sqlite", "postgresql", "postgres", "mysql", "mariadb", "oracle", "mssql"})
_HIDDEN = "***"
_URL_IN_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://\S+")


def _is_tracking(name: str) -> bool:
    lowered = name.lower().lstrip("?")
    return lowered in TRACKING_PARAMETERS or lowered.startswith(_TRACKING_PREFIXES)


# What the WHATWG URL parser strips from both ends of a URL: C0 controls and space. Not str.strip()'s
# Unicode whitespace: a trailing NEL or no-break space is part of the URL (browsers percent-encode it),
# and dropping it would make two URLs one.
_C0_AND_SPACE = "".join(map(chr, range(0x21)))


def canonicalize(url: str) -> str:
    """Normalize *url* for identity: lowercase scheme and host, no default port, no fragment,
    no tracking parameters, sorted and consistently escaped query. Never raises; a URL that cannot
    be parsed comes back stripped of surrounding whitespace."""
    url = url.strip(_C0_AND_SPACE)
    try:
        parts = urlsplit(url)
        if parts.query:
            names = re.findall(r"(?:^|&)([^=&]*)", parts.query)
            drop = [name for name in names if _is_tracking(name)]
            if drop:
                url = url_query_cleaner(url, drop, remove=True, keep_fragments=True)
        canonical = canonicalize_url(url, keep_fragments=False)
        parts = urlsplit(canonical)
        if parts.port is not None and _DEFAULT_PORTS.get(parts.scheme) == parts.port:
            canonical = parts._replace(netloc=parts.hostname or "").geturl()
        return canonical
    except ValueError:
        return url


def host_of(url: str) -> str:
    """The host of *url*, lowercase, without a leading ``www.`` (the site's identity)."""
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.")


def is_http_url(url: str) -> bool:
    """Whether an absolute *url* is http(s), its scheme in any case (RFC 3986 §3.1): the cheap test of
    a URL already resolved; :func:`is_crawlable` also parses it for a host."""
    return url[:8].lower().startswith(("http://", "https://"))


def is_crawlable(url: str) -> bool:
    """Whether the crawl may fetch *url*: http or https, with a host."""
    try:
        parts = urlsplit(url)
        return parts.scheme.lower() in CRAWLED_SCHEMES and bool(parts.hostname)
    except ValueError:
        return False


def start_url_problem(url: str) -> str | None:
    """Why *url* cannot start a crawl, as one line that shows no password, or None when it can."""
    shown = redact_url(url)
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError as exc:
        return f"not a URL: {shown} ({exc})"
    if "://" not in url and parts.scheme.lower() not in CRAWLED_SCHEMES:  # example.com, or example.com:8080/x
        return f"no scheme in {shown}: give the whole URL, e.g. https://{shown}"
    if parts.scheme.lower() not in CRAWLED_SCHEMES:
        return f"only http and https URLs are crawled, not {shown}"
    if not parts.hostname:
        return f"no host in {shown}"
    if "@" in parts.netloc:
        # Scrapy cannot fetch such a URL (it takes the userinfo for part of the host), and the
        # credentials would be in the URL of every page archived from it.
        return (
            f"credentials in a start URL are not supported: {shown}; give them as "
            "--set HTTPAUTH_USER=NAME --set HTTPAUTH_PASS=PASSWORD --set HTTPAUTH_DOMAIN=HOST"
        )
    return None


def split_start_urls(value: str) -> list[str]:
    """The URLs of one ``-a start_url=`` value: separated by whitespace, which no URL contains
    unescaped. Commas are not separators: ``/kraj,12345.html`` is one URL."""
    return value.split()


def start_urls(value: str) -> list[str]:
    """The start URLs of one ``-a start_url=`` value (or seed), canonical; a URL the crawl cannot
    start from is a ValueError saying why."""
    urls = split_start_urls(value)
    for url in urls:
        problem = start_url_problem(url)
        if problem:
            raise ValueError(problem)
    return [canonicalize(url) for url in urls]


def join_start_urls(urls: list[str]) -> str:
    """One ``-a start_url=`` value holding *urls*, whitespace inside a URL percent-escaped so it
    stays one URL (as a browser would send it)."""
    return " ".join(re.sub(r"\s", lambda m: f"%{ord(m.group()):02X}", url.strip()) for url in urls if url.strip())


def redact_url(url: str) -> str:
    """*url* fit to print or log: the password of its userinfo as ``***`` (a userinfo with no
    password, as a token in ``https://TOKEN@host/``, is hidden whole). Database URLs are rendered by
    SQLAlchemy, as its own log lines show them, user names kept."""
    if "@" not in url:
        return url
    if url.partition(":")[0].split("+")[0].lower() in _DATABASE_DIALECTS:
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        with contextlib.suppress(ArgumentError, ValueError):  # not parseable: masked below all the same
            url = make_url(url).render_as_string(hide_password=True)
        # Also after SQLAlchemy: it ends a password at its first '@', a URL parser at the last.
        return _hide_userinfo(url, keep_user=True)
    return _hide_userinfo(url, keep_user=False)


def redact_urls(text: str) -> str:
    """*text* with every URL in it passed through :func:`redact_url`."""
    return _URL_IN_TEXT.sub(lambda found: redact_url(found.group()), text) if "@" in text else text


def _hide_userinfo(url: str, *, keep_user: bool) -> str:
    # A URL without its scheme (a typo) may still start with a userinfo.
    scheme, separator, rest = url.partition("://") if "://" in url else ("", "", url)
    end = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
    userinfo, at, host = rest[:end].rpartition("@")
    if not at:
        return url
    user, colon, _ = userinfo.partition(":")
    shown = f"{user}:{_HIDDEN}" if colon else user if keep_user else _HIDDEN
    return f"{scheme}{separator}{shown}@{host}{rest[end:]}"
