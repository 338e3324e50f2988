"""URL canonicalization: one article is one row however many ways it was linked."""

from __future__ import annotations

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


def _is_tracking(name: str) -> bool:
    lowered = name.lower().lstrip("?")
    return lowered in TRACKING_PARAMETERS or lowered.startswith(_TRACKING_PREFIXES)


def canonicalize(url: str) -> str:
    """Normalize *url* for identity: lowercase scheme and host, no default port, no fragment,
    no tracking parameters, sorted and consistently escaped query. Never raises; a URL that cannot
    be parsed comes back stripped of surrounding whitespace."""
    url = url.strip()
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
