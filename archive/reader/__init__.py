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

from archive.reader import data
from archive.reader.chart import per_day_svg
from archive.reader.feed import atom_feed, edit_link
from archive.reader.records import REPLAY_CSP, RecordUnavailable, archived_page, stored_record

TEMPLATES = Path(__file__).with_name("templates")
PAGE_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}


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
        from datasette.utils.asgi import Response

        capture_id = int(request.url_vars["id"])

        def build(session: Any) -> Any:
            capture = self._capture(session, capture_id)
            page = archived_page(self.warc_dir, capture.warc_file, capture.warc_offset)
            headers = PAGE_HEADERS | {"Content-Security-Policy": REPLAY_CSP}
            return Response(page.body, headers=headers, content_type=page.content_type)

        return await self._page(build)

    @staticmethod
    def _capture(session: Any, capture_id: int) -> Any:
        from archive import models

        capture = session.get(models.Capture, capture_id)
        if capture is None:
            raise data.NotFound(f"no capture {capture_id} in this archive")
        return capture


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
