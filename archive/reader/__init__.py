"""The reader's pages: a Datasette plugin (``register_routes``) that gives readers a home page,
search, articles with their versions and archived captures, sites with their extraction health,
and the recent edits with their Atom feed. Datasette's own pages (tables, facets, SQL, JSON) stay
under /<database> for analysts.

Reads go through sessions of their own on the archive file opened read-only (archive/reader/data.py),
run in a worker thread so a slow query never stalls the server; templates autoescape everything.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from w3lib.url import safe_url_string

from archive.reader import data
from archive.reader.chart import per_day_svg
from archive.reader.feed import atom_feed, edit_link
from archive.reader.records import REPLAY_CSP, RecordUnavailable, archived_page, rendered_dom, stored_record

TEMPLATES = Path(__file__).with_name("templates")
PAGE_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
ARCHIVED_HEADERS = PAGE_HEADERS | {"Content-Security-Policy": REPLAY_CSP}
# The archived view's document has an opaque origin (sandboxed, without allow-same-origin): the
# fonts it loads from the reader are cross-origin CORS requests from "null", answered as such.
REQUISITE_HEADERS = ARCHIVED_HEADERS | {"Access-Control-Allow-Origin": "null"}


class Reader:
    """The pages of one served archive (its file, its WARC directory, its Datasette name)."""

    def __init__(self, database: Path, warc_dir: Path, datasette_name: str, settings: data.ReaderSettings) -> None:
        self.settings = settings
        self.sessions = data.read_only_sessions(database)
        self.warc_dir = warc_dir
        self.datasette_name = datasette_name
        self.templates = Environment(
            loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True), trim_blocks=True
        )

    def routes(self) -> list[tuple[str, Callable[..., Any]]]:
        return [
            (r"^/$", self.home),
            (r"^/search$", self.search),
            (r"^/article/(?P<id>\d+)$", self.article),
            (r"^/capture/(?P<id>\d+)\.warc$", self.record),
            (r"^/capture/(?P<id>\d+)/archived$", self.replay),
            (r"^/capture/(?P<id>\d+)/archived/requisite$", self.requisite),
            (r"^/capture/(?P<id>\d+)/archived/link$", self.archived_link),
            (r"^/site/(?P<name>[^/]+)$", self.site),
            (r"^/site/(?P<name>[^/]+)/edits$", self.edits),
            (r"^/edits$", self.edits),
            (r"^/edits\.atom$", self.edits_atom),
        ]

    # ------------------------------------------------------------------------------ plumbing
    def _render(self, template: str, status: int = 200, **context: Any) -> Any:
        from datasette.utils.asgi import Response

        context.setdefault("datasette_path", f"/{self.datasette_name}")
        body = self.templates.get_template(template).render(**context)
        return Response.html(body, status=status, headers=PAGE_HEADERS)

    async def _page(self, build: Callable[[Any], Any]) -> Any:
        """*build(session)* in a worker thread; a missing thing or a bad parameter is a page that says so."""

        def run() -> Any:
            with self.sessions() as session:
                return build(session)

        try:
            return await asyncio.to_thread(run)
        except data.NotFound as missing:
            return self._render("error.html", 404, title="Not found", message=str(missing))
        except (ValueError, RecordUnavailable) as bad:
            status = 404 if isinstance(bad, RecordUnavailable) else 400
            return self._render("error.html", status, title="Cannot show this", message=str(bad))

    # ------------------------------------------------------------------------------ pages
    async def home(self, request: Any) -> Any:
        return await self._page(
            lambda s: self._render(
                "home.html",
                title="newsarchive",
                sites=data.sites(s),
                articles=data.latest_articles(s, self.settings.latest),
            )
        )

    async def search(self, request: Any) -> Any:
        query = (request.args.get("q") or "").strip()
        form = {name: (request.args.get(name) or "").strip() for name in ("site", "author", "since", "until")}
        page = request.args.get("page") or "1"

        def build(session: Any) -> Any:
            from archive.query import Filters
            from archive.search import SearchError, search

            number = int(page) if page.isdigit() and int(page) > 0 else 1
            size = self.settings.page_size
            filters = Filters(
                site=data.site_by_name(session, form["site"]).host if form["site"] else None,
                author=form["author"] or None,
                since=data.parse_day(form["since"]),
                until=data.parse_day(form["until"]),
            )
            hits, error = [], None
            if query:
                try:
                    hits = search(session, query, filters, limit=number * size + 1)
                except SearchError as refused:
                    error = str(refused)
            shown = hits[(number - 1) * size : number * size]
            return self._render(
                "search.html",
                title=query or "Search",
                query=query,
                form=form,
                hits=shown,
                error=error,
                page=number,
                page_size=size,
                previous=_page_link(query, form, number - 1) if number > 1 else None,
                next=_page_link(query, form, number + 1) if len(hits) > number * size else None,
                sites=data.site_names(session),
                marks=_marks,
            )

        return await self._page(build)

    async def article(self, request: Any) -> Any:
        article_id = int(request.url_vars["id"])
        a, b = request.args.get("a"), request.args.get("b")
        if (a is None) != (b is None) or not all(x is None or x.isdigit() for x in (a, b)):
            return self._render(
                "error.html", 400, title="Cannot show this", message="a diff needs two version numbers: ?a=1&b=2"
            )
        pair = (int(a), int(b)) if a is not None and b is not None else None
        shown = request.args.get("view")

        def build(session: Any) -> Any:
            view = data.article(session, article_id, pair)
            replay = next((c for c in view.captures if c.replayable and str(c.id) == shown), None)
            return self._render("article.html", title=view.title or view.url, article=view, replay=replay)

        return await self._page(build)

    async def site(self, request: Any) -> Any:
        name = request.url_vars["name"]

        def build(session: Any) -> Any:
            from archive.commands.health import COLUMNS
            from archive.commands.health import _display as health_cells

            site = data.site_by_name(session, name)
            verdicts = data.health_rows(session, site, self.settings.health)
            return self._render(
                "site.html",
                title=site.name,
                site=site,
                chart=per_day_svg(data.per_day(session, site)),
                columns=COLUMNS,
                health=[health_cells(v) for v in verdicts],
                verdicts=[v.describe() for v in verdicts],
            )

        return await self._page(build)

    async def edits(self, request: Any) -> Any:
        name = request.url_vars.get("name")
        since_text = request.args.get("since") or self.settings.edits_since

        def build(session: Any) -> Any:
            site = data.site_by_name(session, name) if name else None
            found = data.edits(session, data.parse_since(since_text), site, self.settings.edits_limit)
            feed = "/edits.atom" + (f"?site={site.name}" if site else "")
            return self._render(
                "edits.html",
                title=f"Recent edits{f' on {site.name}' if site else ''}",
                site=site,
                since=since_text,
                edits=found,
                feed=feed,
                link=lambda edit: edit_link("", edit),
            )

        return await self._page(build)

    async def edits_atom(self, request: Any) -> Any:
        from datasette.utils.asgi import Response

        name = request.args.get("site")
        since_text = request.args.get("since") or self.settings.edits_since
        base = f"{request.scheme}://{request.host}"

        def build(session: Any) -> Any:
            site = data.site_by_name(session, name) if name else None
            found = data.edits(session, data.parse_since(since_text), site, self.settings.edits_limit)
            title = f"newsarchive: recent edits{f' on {site.name}' if site else ''}"
            body = atom_feed(base, base + request.full_path, title, found)
            return Response(body, headers=PAGE_HEADERS, content_type="application/atom+xml; charset=utf-8")

        return await self._page(build)

    # ------------------------------------------------------------------------------ captures
    async def record(self, request: Any) -> Any:
        from datasette.utils.asgi import Response

        capture_id = int(request.url_vars["id"])

        def build(session: Any) -> Any:
            capture = self._capture(session, capture_id)
            stored = stored_record(self.warc_dir, capture.warc_file, capture.warc_offset)
            suffix = ".warc.gz" if stored.compressed else ".warc"
            headers = PAGE_HEADERS | {"Content-Disposition": f'attachment; filename="capture-{capture_id}{suffix}"'}
            return Response(stored.data, headers=headers, content_type="application/warc")

        return await self._page(build)

    async def replay(self, request: Any) -> Any:
        """The archived page (its rendered DOM when render mode made one) with every URL pointing
        at the reader (archive/reader/rewrite.py), served under REPLAY_CSP."""
        from datasette.utils.asgi import Response

        from archive.extraction.decode import decode_html
        from archive.reader.rewrite import ReaderRoutes, rewrite_html
        from archive.requisite_records import full_record
        from archive.responses import body_is_read, is_html, media_type

        capture_id = int(request.url_vars["id"])

        def build(session: Any) -> Any:
            capture = self._capture(session, capture_id)
            if not body_is_read(capture.method):
                raise RecordUnavailable(
                    f"capture {capture_id} answered a {capture.method}, not a GET: no page published at its URL "
                    f"(its record is /capture/{capture_id}.warc)"
                )
            full = full_record(session, capture)
            if full is None:
                kind = f"{capture.status} {capture.record_type}"
                raise RecordUnavailable(f"capture {capture_id} is a {kind} whose full copy is not in this archive")
            page = archived_page(self.warc_dir, full.warc_file, full.warc_offset)
            if not is_html(page.content_type):
                raise RecordUnavailable(
                    f"capture {capture_id} is not an HTML page but {media_type(page.content_type) or 'untyped'}: "
                    f"its record is /capture/{capture_id}.warc"
                )
            dom = None
            if capture.status == 200:  # the spider renders only what it extracts
                location = (capture.warc_file, capture.warc_offset, capture.warc_record_id)
                dom = rendered_dom(self.warc_dir, *location, self.settings.rendered_within)
            if dom is not None:
                text = dom.decode("utf-8", errors="replace")  # crawler/render.py writes it as UTF-8
            else:
                text = decode_html(page.body, {"Content-Type": page.content_type})
            body = rewrite_html(text, capture.url, ReaderRoutes(capture_id))
            return Response(body, headers=ARCHIVED_HEADERS, content_type="text/html; charset=utf-8")

        return await self._page(build)

    async def requisite(self, request: Any) -> Any:
        """What the archived view of capture <id> loads (?url=): the archive's copy nearest that
        capture in time, as archived (a stylesheet's own URLs pointing at the reader); never the live site."""
        from datasette.utils.asgi import Response

        from archive.reader.rewrite import ReaderRoutes, rewrite_css, stylesheet_text
        from archive.requisite_records import REDIRECTS
        from archive.responses import media_type

        capture_id = int(request.url_vars["id"])

        def build(session: Any) -> Any:
            url = _asked_url(request.args.get("url"))
            found, full = self._answering(session, capture_id, url, f"{url} is not in this archive")
            routes = ReaderRoutes(capture_id)
            if full.status in REDIRECTS:
                return Response.redirect(routes.requisite(self._redirected_to(found, full)), headers=REQUISITE_HEADERS)
            answer = archived_page(self.warc_dir, full.warc_file, full.warc_offset)
            body, content_type = answer.body, answer.content_type
            if media_type(content_type) == "text/css":
                css = rewrite_css(stylesheet_text(body, content_type), found.url, routes)
                body, content_type = css.encode("utf-8"), "text/css; charset=utf-8"
            return Response(body, headers=REQUISITE_HEADERS, content_type=content_type)

        return await self._page(build)

    async def archived_link(self, request: Any) -> Any:
        """A link followed in the archived view of capture <id> (?url=): the archived view of the
        linked page's capture nearest in time, or a page saying it is not archived."""
        from datasette.utils.asgi import Response

        from archive.reader.rewrite import ReaderRoutes
        from archive.requisite_records import REDIRECTS
        from archive.responses import is_html

        capture_id = int(request.url_vars["id"])

        def build(session: Any) -> Any:
            url = _asked_url(request.args.get("url"))
            missing = f"{url} is not in this archive (the archived view never goes to the live site)"
            found, full = self._answering(session, capture_id, url, missing)
            if full.status in REDIRECTS:
                target = ReaderRoutes(capture_id).link(self._redirected_to(found, full))
                return Response.redirect(target, headers=ARCHIVED_HEADERS)
            if not is_html(full.content_type):
                raise data.NotFound(f"{url} is archived, but not as an HTML page: it is not shown as one")
            return Response.redirect(f"/capture/{found.id}/archived", headers=ARCHIVED_HEADERS)

        return await self._page(build)

    def _answering(self, session: Any, capture_id: int, url: str, missing: str) -> tuple[Any, Any]:
        """The capture of *url* that answers it in the archived view of capture *capture_id*
        (archive/requisite_records.py ``replayed``: nearest in time) and the one holding its body;
        NotFound(*missing*)."""
        from archive.requisite_records import replayed

        # As the crawl recorded it: Scrapy's requests escape a URL so (w3lib), and captures keep it.
        answer = replayed(session, safe_url_string(url), self._capture(session, capture_id).fetched_at)
        if answer is None:
            raise data.NotFound(missing)
        return answer

    def _redirected_to(self, found: Any, full: Any) -> str:
        """Where the archived redirect *full* (answering *found*) points, absolute."""
        from archive.reader.rewrite import absolute_url
        from archive.responses import first_header

        answer = archived_page(self.warc_dir, full.warc_file, full.warc_offset)
        target = absolute_url(first_header(answer.headers, "Location") or "", found.url)
        if target is None:
            raise data.NotFound(f"{found.url} is archived as a redirect to no http(s) URL")
        return target

    @staticmethod
    def _capture(session: Any, capture_id: int) -> Any:
        from archive import models

        capture = session.get(models.Capture, capture_id)
        if capture is None:
            raise data.NotFound(f"no capture {capture_id} in this archive")
        return capture


def _asked_url(value: str | None) -> str:
    """The absolute http(s) URL a request names (?url=); ValueError, which the page reports, for anything else."""
    from archive.reader.rewrite import absolute_url

    absolute = absolute_url(value or "", "")
    if absolute is None:
        raise ValueError(f"url= must be an absolute http(s) URL, not {value!r}")
    return absolute


def _page_link(query: str, form: dict[str, str], page: int) -> str:
    from urllib.parse import urlencode

    return "/search?" + urlencode({"q": query, **{k: v for k, v in form.items() if v}, "page": page})


def _marks(snippet: str) -> Any:
    """A search snippet escaped, its matched words in <mark>."""
    from markupsafe import Markup, escape

    from archive.search import MARK_END, MARK_START

    return Markup(str(escape(snippet)).replace(MARK_START, "<mark>").replace(MARK_END, "</mark>"))


def plugin(database: Path, warc_dir: Path, datasette_name: str, settings: Any) -> Any:
    """The object to register with Datasette's plugin manager; *settings* are Scrapy settings
    (crawler/settings.py with any overrides). ValueError for a reader setting out of range."""
    from datasette import hookimpl

    reader = Reader(database, warc_dir, datasette_name, data.ReaderSettings.from_settings(settings))

    class ReaderPlugin:
        __name__ = "newsarchive-reader"

        @staticmethod
        @hookimpl
        def register_routes() -> list[tuple[str, Callable[..., Any]]]:
            return reader.routes()

    return ReaderPlugin
