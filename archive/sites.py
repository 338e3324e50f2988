"""What ``--site`` means in every command: a site profile's name, or a host.

``--site kyivindependent`` (a profile of the sites file in force) stands for the hosts of that
profile's start URLs; ``--site example.com`` for that host. Either way a host matches with its
subdomains (``news.example.com``), and a leading ``www.`` never matters. Queries, exports,
packages, reextract's record selection and ``runs`` all match through :class:`SiteSelector`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import ColumnElement, or_

from archive.urls import host_of


class UnknownSite(ValueError):
    """A ``--site`` value that is neither a profile name nor a host."""


def host_key(value: str) -> str:
    """A host, URL or --site value as the host it names: lower case, no www., no port."""
    return host_of(value if "://" in value else f"http://{value}")


@dataclass(frozen=True, slots=True)
class SiteSelector:
    spec: str  # as the user gave it
    hosts: frozenset[str]  # lower case, no www., no port
    profile: str | None = None  # the profile the spec named, if it named one

    def matches_host(self, host: str | None) -> bool:
        host = host_key(host or "")
        return any(host == h or host.endswith("." + h) for h in self.hosts)

    def matches_url(self, url: str) -> bool:
        return self.matches_host(urlsplit(url).hostname)

    def matches_run(self, sites: str | None) -> bool:
        """Whether a ``crawl_runs.site`` value (comma-separated profile names or hosts) is this site."""
        names = [n.strip() for n in (sites or "").split(",") if n.strip()]
        return any(n == self.profile or n == self.spec or self.matches_host(n) for n in names)

    def sql(self, host_column: Any) -> ColumnElement[bool]:
        """A condition on a column of hosts (``sites.host``: lower case, no www.)."""
        conditions = []
        for host in sorted(self.hosts):
            escaped = host.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            conditions += [host_column == host, host_column.like(f"%.{escaped}", escape="\\")]
        return or_(*conditions)


def resolve_site(spec: str, sites_file: str | None = None) -> SiteSelector:
    """The selector for a ``--site`` value; raises :class:`UnknownSite` for one that is neither."""
    from archive.profiles import profiles_for_hints

    spec = spec.strip()
    profile = profiles_for_hints(sites_file).get(spec)
    if profile is not None:
        return SiteSelector(spec, frozenset(host_key(h) for h in profile.hosts), profile.name)
    host = host_key(spec)
    if not host or any(c in host for c in " /?#@"):
        raise UnknownSite(f"--site {spec!r} is neither a site profile nor a host (e.g. example.com)")
    return SiteSelector(spec, frozenset({host}))


def as_selector(site: SiteSelector | str) -> SiteSelector:
    return site if isinstance(site, SiteSelector) else resolve_site(site)
