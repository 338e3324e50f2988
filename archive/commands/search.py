"""``newsarchive search``: ranked full-text search over the latest version of every article."""

from __future__ import annotations

import argparse
from typing import Any

from archive.commands.options import (
    EXIT_FAILURE,
    EXIT_OK,
    UserError,
    add_db,
    add_filters,
    filters_from,
    limit_from,
    subcommand,
)
from archive.commands.output import add_format, for_terminal, is_terminal, one_line_errors, write_rows
from archive.config import database_url

COLUMNS = ("id", "score", "published", "site", "title", "authors", "snippet", "url")


def _snippet_cell(snippet: str) -> Any:
    from rich.text import Text

    from archive.search import MARK_END, MARK_START

    text = Text()
    for i, part in enumerate(snippet.replace(MARK_END, MARK_START).split(MARK_START)):
        text.append(for_terminal(part), style="bold yellow" if i % 2 else None)
    return text


def run(args: argparse.Namespace) -> int:
    from archive.db import open_database
    from archive.search import SearchError, explain, reindex, search

    limit = limit_from(args)
    query = " ".join(args.text)
    filters = filters_from(args)  # a usage error is reported before the database is opened
    sessions = open_database(database_url(args.db), create=False)
    if args.reindex:
        with sessions.begin() as session:
            count = reindex(session)
        print(f"reindexed {count} articles")
        if not query:
            return EXIT_OK
    if not query.strip():
        raise UserError('give something to search for, e.g. newsarchive search bakhmut "counter-offensive"')
    try:
        if args.explain:
            write_rows([explain(query)], "json", ())
            return EXIT_OK
        with sessions() as session:
            hits = search(session, query, filters, limit=limit)
    except SearchError as exc:
        raise UserError(str(exc)) from None
    rich_table = args.format == "table" and is_terminal()
    rows = []
    for hit in hits:
        row = hit.as_dict(marks=("**", "**"))
        if rich_table:
            row["snippet"] = hit.snippet  # the marks become a highlight style in the cell
        if args.format == "table":
            row["published"] = (row["published"] or "")[:16]
        rows.append(row)
    write_rows(
        rows,
        args.format,
        COLUMNS,
        title=f"{len(rows)} best matches for {query!r}",
        styles={"id": "cyan", "title": "bold"},
        rich_cells={"snippet": _snippet_cell},
    )
    return EXIT_OK if rows else EXIT_FAILURE


def register(sub: Any) -> None:
    p = one_line_errors(
        subcommand(
            sub,
            "search",
            run,
            "full-text search over title and text, ranked, with snippets",
            """\
        Search the latest version of every article (title and text), best matches first, with a
        highlighted snippet. Exit status 1 when nothing matches.

        query syntax (the same on SQLite and PostgreSQL):
          bakhmut offensive        both words
          "prime minister"         the exact phrase
          russia OR russian        either word (binds tighter than the implied AND)
          -rumour   NOT rumour     exclude a word or "a phrase"
        Anything else is searched literally; no stemming ("attack" does not find "attacks").

        ranking: the 2,000 most recently stored matching articles are scored (title words count
        more); a query matching more articles, such as a very common word, shows the best of those.
        Narrow it (more words, --site, --since) to reach older ones.

        example:
          newsarchive search bakhmut --site kyivindependent.com --since 2023-07-01 --until 2023-07-16
          newsarchive search '"counter-offensive" zaporizhzhia -rumour' --format jsonl --limit 100
        """,
        )
    )
    p.add_argument("text", nargs="*", metavar="TEXT", help="what to search for (quote it in the shell)")
    # `search strike -teachers`: the shell hands "-teachers" over as an option; say to quote.
    p.set_defaults(
        unknown_option_hint="to search for a word with a leading -, quote the whole query: "
        "newsarchive search 'strike -teachers'"
    )
    add_filters(p)
    p.add_argument("--limit", type=int, default=20, metavar="N", help="at most N results (default 20; 0: all)")
    add_format(p)
    p.add_argument("--explain", action="store_true", help="print how the query was understood, do not search")
    p.add_argument(
        "--reindex", action="store_true", help="rebuild the SQLite full-text index from the current versions first"
    )
    add_db(p)
