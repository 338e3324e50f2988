"""``newsarchive serve``: the web reader (archive/reader/) and Datasette on a SQLite archive, read-only.

Datasette runs in this process with this module registered as a plugin, which
- makes every connection ``PRAGMA query_only`` (reads are ``mode=ro`` already; this also covers
  Datasette's write connection), so nothing can change the archive through the web;
- adds the SQL function ``newsarchive_match(text)``: the CLI's query parser turned into a safe FTS5
  MATCH expression, so the web search has the same syntax and cannot raise an FTS syntax error;
- links article IDs to the article's page (which lists its versions) and highlights snippets.

The metadata gives canned queries (search with site/author/date filters, the article list,
versions of an article with their WARC locations, articles per day) and facets on the tables.

Why no SQL view: a view (like the full-text triggers) would pin ``articles`` and
``article_versions`` for later SQLite batch migrations; canned queries live outside the database.
PostgreSQL: Datasette reads SQLite only, so ``serve`` refuses a PostgreSQL URL and says so.
"""

from __future__ import annotations

import argparse
import html
import re
import socket
import sys
from pathlib import Path
from typing import Any

from archive.commands.options import EXIT_OK, UserError, add_db, add_set, add_warc_dir, subcommand
from archive.commands.output import one_line_errors
from archive.config import database_url, warc_dir

NO_MATCH = '""'  # an FTS5 expression that matches nothing (an empty or refused query)

_AUTHORS = (
    "(SELECT group_concat(au.name, '; ') FROM article_version_authors va JOIN authors au ON au.id = va.author_id "
    "WHERE va.version_id = v.id)"
)
_FILTERS = """
  AND (:site = '' OR s.name = :site OR s.host = :site)
  AND (:author = '' OR v.id IN (SELECT va.version_id FROM article_version_authors va
                                JOIN authors au ON au.id = va.author_id WHERE au.name = :author))
  AND (:since = '' OR v.published_at >= :since)
  AND (:until = '' OR v.published_at < :until)"""

QUERIES: dict[str, dict[str, Any]] = {
    "search": {
        "title": "Search articles",
        "description": 'Full text of the latest versions. Words must all occur; "a phrase"; a OR b; -word excludes. '
        "Site, author and dates (YYYY-MM-DD, published) are optional.",
        "sql": f"""SELECT a.id AS article_id, v.published, s.name AS site, v.title, {_AUTHORS} AS authors,
  snippet(article_search, -1, '**', '**', ' … ', 24) AS snippet,
  (SELECT count(*) FROM article_versions x WHERE x.article_id = a.id) AS versions, a.url
FROM article_search
JOIN articles a ON a.current_version_id = article_search.rowid
JOIN article_versions v ON v.id = a.current_version_id
JOIN sites s ON s.id = a.site_id
WHERE article_search MATCH newsarchive_match(:q){_FILTERS}
ORDER BY bm25(article_search, 10.0, 1.0)
LIMIT 100""",
    },
    "article_list": {
        "title": "Articles",
        "description": "Latest version of each article, newest first; optional site, author and date filters.",
        "sql": f"""SELECT a.id AS article_id, v.published, s.name AS site, v.title, {_AUTHORS} AS authors,
  v.language, (SELECT count(*) FROM article_versions x WHERE x.article_id = a.id) AS versions, a.url
FROM articles a
JOIN article_versions v ON v.id = a.current_version_id
JOIN sites s ON s.id = a.site_id
WHERE 1 = 1{_FILTERS}
ORDER BY v.published_at IS NULL, v.published_at DESC, a.id DESC
LIMIT 1000""",
    },
    "versions": {
        "title": "Versions of an article",
        "description": "Every version with its content hash and the WARC record (file, offset, length) it came from.",
        "sql": """SELECT v.article_id, v.number AS version, c.fetched_at, v.content_hash, v.title, v.published,
  v.modified, v.extractor_version, c.status, c.warc_file, c.warc_offset, c.warc_length,
  a.current_version_id = v.id AS current
FROM article_versions v JOIN captures c ON c.id = v.capture_id JOIN articles a ON a.id = v.article_id
WHERE v.article_id = :article_id
ORDER BY v.number""",
    },
    "articles_per_day": {
        "title": "Articles per day",
        "description": "Articles (latest version) by UTC day of publication, per site.",
        "sql": """SELECT date(v.published_at) AS day, s.name AS site, count(*) AS articles
FROM articles a JOIN article_versions v ON v.id = a.current_version_id JOIN sites s ON s.id = a.site_id
WHERE v.published_at IS NOT NULL
GROUP BY day, site ORDER BY day DESC, site""",
    },
}

TABLES: dict[str, dict[str, Any]] = {
    "articles": {"label_column": "url", "facets": ["site_id"], "sort_desc": "last_captured_at"},
    "article_versions": {
        "label_column": "title",
        "facets": ["language", "section", {"date": "published_at"}],
        "fts_table": "article_search",
        "fts_pk": "id",
        "sort_desc": "published_at",
    },
    "article_version_authors": {"facets": ["author_id"]},
    "article_version_tags": {"facets": ["tag_id"]},
    "captures": {"facets": ["status", "record_type", "content_type"], "sort_desc": "fetched_at"},
    "sites": {"label_column": "name"},
    "authors": {"label_column": "name", "sort": "name"},
    "tags": {"label_column": "name", "sort": "name"},
}


def metadata(database: str) -> dict[str, Any]:
    return {
        "title": "newsarchive",
        "description": "Read-only view of the news archive. Start with the canned queries: search, "
        "article_list, versions, articles_per_day.",
        "databases": {database: {"tables": TABLES, "queries": QUERIES}},
    }


# ---------------------------------------------------------------- Datasette plugin hooks


def _match_expression(text: str | None) -> str:
    from archive.search import SearchError, parse_query, to_fts5

    if not text or not text.strip():
        return NO_MATCH
    try:
        return to_fts5(parse_query(text))
    except SearchError:
        return NO_MATCH


def _prepare_connection(conn: Any, database: str, datasette: Any) -> None:
    served = datasette.databases.get(database)
    if served is None or served.is_memory:
        return  # Datasette's own ("_internal", "_memory"); an archive file may be named "_x.db" all the same
    conn.execute("PRAGMA query_only = 1")
    conn.create_function("newsarchive_match", 1, _match_expression, deterministic=True)


_BOLD = re.compile(r"\*\*(.+?)\*\*")


def _render_cell(value: Any, column: str, table: str | None, database: str, datasette: Any) -> Any:
    from markupsafe import Markup

    if table is not None or value is None:
        return None  # table pages already link foreign keys
    if column == "article_id":
        if not isinstance(value, int) or isinstance(value, bool):
            return None  # any query may name a column article_id ("select 'x' as article_id"): shown as it is
        href = datasette.urls.table(database, "articles") + f"/{value}"
        return Markup(f'<a href="{html.escape(href)}">{value}</a>')
    if column == "versions" and isinstance(value, int):
        return None
    if column == "snippet" and isinstance(value, str):
        return Markup(_BOLD.sub(r"<mark>\1</mark>", html.escape(value)))
    return None


def _plugin() -> Any:
    from datasette import hookimpl

    class NewsarchivePlugin:
        __name__ = "newsarchive"

        @staticmethod
        @hookimpl
        def prepare_connection(conn: Any, database: str, datasette: Any) -> None:
            _prepare_connection(conn, database, datasette)

        @staticmethod
        @hookimpl
        def render_cell(value: Any, column: str, table: str | None, database: str, datasette: Any) -> Any:
            return _render_cell(value, column, table, database, datasette)

    return NewsarchivePlugin


def sqlite_path(url: str) -> Path:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        raise UserError(
            f"serve needs a SQLite database (Datasette reads SQLite only), not {parsed.get_backend_name()}; "
            "query PostgreSQL with search/articles/show/export, or crawl into SQLite to browse"
        )
    if not parsed.database or parsed.database == ":memory:":
        raise UserError("serve needs a SQLite database file")
    return Path(parsed.database)


def run(args: argparse.Namespace) -> int:
    import uvicorn
    from datasette.app import Datasette
    from datasette.plugins import pm

    from archive.db import open_database

    url = database_url(args.db)
    path = sqlite_path(url)
    open_database(url, create=False)  # a missing file is an error; an old schema gets the search index
    if not 0 <= args.port <= 65535:
        raise UserError(f"--port must be 0..65535, not {args.port}")
    name = path.stem
    if pm.get_plugin("newsarchive") is None:
        pm.register(_plugin(), name="newsarchive")
    from archive.commands.crawl import setting_overrides
    from archive.crawl import project_settings
    from archive.reader import plugin as reader_plugin

    if pm.get_plugin("newsarchive-reader") is None:
        try:
            reader = reader_plugin(path, Path(warc_dir(args.warc_dir)), name, project_settings(setting_overrides(args)))
        except ValueError as exc:  # a --set value out of range, or not a number
            raise UserError(str(exc)) from None
        pm.register(reader, name="newsarchive-reader")
    settings = {"default_page_size": 50, "sql_time_limit_ms": 5000, "facet_time_limit_ms": 500}
    for key, value in args.setting or []:
        settings[key] = int(value) if value.isdigit() else value
    files, immutables = ([], [str(path)]) if args.immutable else ([str(path)], [])
    try:
        ds = Datasette(files, immutables=immutables, metadata=metadata(name), settings=settings)
    except Exception as exc:  # Datasette's StartupError and bad --setting names
        raise UserError(f"cannot start Datasette: {exc}") from None
    from asgiref.sync import async_to_sync  # datasette's own dependency

    async_to_sync(ds.invoke_startup)()
    listening = _listen(args.host, args.port)
    print(
        f"serving {path} read-only at {_page_url(listening, ds, '')}/ (the data: {_page_url(listening, ds, name)}; "
        "Ctrl-C stops)",
        file=sys.stderr,
    )
    config = uvicorn.Config(ds.app(), log_level=args.log_level, lifespan="on")
    uvicorn.Server(config).run(sockets=[listening])
    return EXIT_OK


def _listen(host: str, port: int) -> socket.socket:
    """The socket serve answers on, bound before the URL is printed: with --port 0 the URL names
    the port the system chose, and a port in use is one line of error, not a server log."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family)
    except OSError as exc:
        raise UserError(f"cannot listen on {host}:{port} ({exc.strerror or exc})") from None


def _page_url(listening: socket.socket, ds: Any, name: str) -> str:
    """The database page's URL: Datasette's own path for *name*, which tilde-encodes what is not a
    plain name character ("my.archive" is /my~2Earchive; /my.archive would ask for the format "archive")."""
    host, port = listening.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}{ds.urls.database(name) if name else ''}"


def register(sub: Any) -> None:
    p = one_line_errors(
        subcommand(
            sub,
            "serve",
            run,
            "read the archive in a web browser (read-only, 127.0.0.1)",
            """\
            Serve the web reader on 127.0.0.1, read-only:

              /                      sites, the latest articles, a search box
              /search?q=             full-text search (same syntax as `newsarchive search`) with
                                     site, author and date filters
              /article/ID            the article, its versions and a word diff between any two,
                                     each capture's WARC record and the page as archived (sandboxed:
                                     it runs no script and loads nothing)
              /site/NAME             articles per day and the extraction health of recent runs
              /edits, /edits.atom    versions made in the last ?since=7d, as a page and a feed

            Datasette serves the data under /DATABASE for analysts: canned queries (search, the article
            list, versions with their WARC locations, articles per day), every table with facets; every
            Datasette page has a JSON form (add .json to the path). WARC records are read from
            --warc-dir. The reader's settings (NEWSARCHIVE_READER_*: hits a page, the edits' window and
            their most) and the health rules (NEWSARCHIVE_HEALTH_*) take --set NAME=VALUE.

            Needs a SQLite archive (Datasette reads SQLite only). While a crawl is writing, the view is
            live; --immutable is faster for a file nothing writes any more.

            example:
              newsarchive serve                      # http://127.0.0.1:8001/
              newsarchive serve --db sqlite:///archive.db --port 8080
              curl 'http://127.0.0.1:8001/newsarchive/search.json?q=bakhmut&site=&author=&since=&until=&_shape=array'
            """,
        )
    )
    p.add_argument("--port", type=int, default=8001, help="port (default 8001; 0: any free port)")
    p.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1: this machine only)")
    p.add_argument("--immutable", action="store_true", help="the file will not change: open it immutable")
    p.add_argument(
        "--setting", nargs=2, action="append", metavar=("NAME", "VALUE"), help="a Datasette setting (repeatable)"
    )
    p.add_argument("--log-level", default="warning", help="uvicorn log level (default warning)")
    add_db(p)
    add_warc_dir(p)
    add_set(p)
