"""Full-text search over the current version of each article, on SQLite (FTS5) and PostgreSQL.

The index is made and kept in sync by migration ``0002_fulltext`` (FTS5 table ``article_search``
with triggers; on PostgreSQL the generated ``article_versions.search_vector`` with a GIN index).

One query language on both backends, parsed here, never handed to the database as syntax:

    bakhmut offensive         both words (AND is implied; ``AND`` may be written)
    "prime minister"          the words next to each other, in this order
    russia OR russian         either; OR binds tighter than the implied AND, so
                              ``bakhmut russia OR russian`` is bakhmut AND (russia OR russian)
    -rumour, NOT rumour       must not occur (at least one term must be positive)

Everything else is literal text: FTS5 or tsquery operators, column filters, stray quotes, SQL.
Each term becomes a quoted FTS5 string, or a ``websearch_to_tsquery`` of a quoted phrase combined
with ``tsquery_and/or/not``, and every term travels as a bound parameter. An unbalanced quote
runs to the end of the query. A query with nothing to search for is refused with
:class:`SearchError`, whose message is meant for the user.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, bindparam, column, func, literal_column, select, table, text, true
from sqlalchemy.dialects.postgresql import TSQUERY, TSVECTOR
from sqlalchemy.orm import Session

from archive import models
from archive.db import as_utc
from archive.query import Filters, apply_filters, names_by_version

MAX_TERMS = 64
# Matches scored for one search, newest first. Past this many, scoring every match is what costs
# (at 100,000 articles bm25 over every FTS5 row: 170 ms; ts_rank_cd reading every TOASTed vector:
# about 7 us a row), and the best of the newest 2,000 is what a reader of a news archive wants.
CANDIDATES = 2_000
# Snippet highlight marks; callers choose how to show them (rich style, **bold**, <mark>).
MARK_START, MARK_END = "\ue000", "\ue001"

_WORDISH = re.compile(r"[^\W_]")
_OPERATORS = {"AND", "OR", "NOT"}

FTS_TABLE = table("article_search", column("rowid"), column("title"), column("text"))


class SearchError(ValueError):
    """A query that cannot be searched; the message is meant for the user."""


@dataclass(frozen=True, slots=True)
class Term:
    text: str  # words as the user typed them, no double quotes
    phrase: bool = False  # came in "quotes"


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    """AND of OR-groups, minus the excluded terms."""

    groups: tuple[tuple[Term, ...], ...]
    excluded: tuple[Term, ...] = ()

    def terms(self) -> list[Term]:
        return [t for g in self.groups for t in g] + list(self.excluded)


def _tokens(query: str) -> list[tuple[str, str, bool]]:
    """(kind, text, negated) with kind "word" or "phrase"; quotes never end up inside a text."""
    tokens: list[tuple[str, str, bool]] = []
    i, n = 0, len(query)
    while i < n:
        if query[i].isspace():
            i += 1
            continue
        negated = False
        if query[i] == "-" and i + 1 < n and not query[i + 1].isspace():
            negated = True
            i += 1
        if query[i] == '"':
            end = query.find('"', i + 1)
            end = n if end < 0 else end
            tokens.append(("phrase", " ".join(query[i + 1 : end].split()), negated))
            i = end + 1
        else:
            start = i
            while i < n and not query[i].isspace() and query[i] != '"':
                i += 1
            tokens.append(("word", query[start:i], negated))
    return tokens


def parse_query(query: str) -> ParsedQuery:
    """Parse user text into terms; raise :class:`SearchError` when nothing is left to search."""
    groups: list[list[Term]] = []
    excluded: list[Term] = []
    pending_or = negate_next = False
    for kind, value, negated in _tokens(query):
        if kind == "word" and not negated and value in _OPERATORS:
            if value == "OR":
                pending_or = bool(groups)
            elif value == "NOT":
                negate_next = True
            continue
        negated, negate_next = negated or negate_next, False
        if not _WORDISH.search(value):
            pending_or = False  # punctuation only: nothing a tokenizer would index
            continue
        term = Term(value, phrase=kind == "phrase")
        if negated:
            excluded.append(term)
        elif pending_or:
            groups[-1].append(term)
        else:
            groups.append([term])
        pending_or = False
    if not groups:
        if excluded:
            raise SearchError("a search needs at least one term that must occur, not only excluded ones")
        raise SearchError(f'nothing to search for in {query!r}: give words or a "quoted phrase"')
    parsed = ParsedQuery(tuple(tuple(g) for g in groups), tuple(excluded))
    if len(parsed.terms()) > MAX_TERMS:
        raise SearchError(f"too many search terms (at most {MAX_TERMS})")
    return parsed


def _fts5_string(term: Term) -> str:
    return '"' + term.text.replace('"', '""') + '"'


def to_fts5(parsed: ParsedQuery) -> str:
    """The FTS5 MATCH expression: every term a quoted string, so none of its text is syntax."""
    parts = [
        _fts5_string(g[0]) if len(g) == 1 else "(" + " OR ".join(_fts5_string(t) for t in g) + ")"
        for g in parsed.groups
    ]
    expression = " AND ".join(parts)
    for term in parsed.excluded:
        expression = f"({expression}) NOT {_fts5_string(term)}"
    return expression


def _pg_leaf(term: Term) -> ColumnElement[Any]:
    # A quoted phrase is the one websearch_to_tsquery form with no operators in it; the text is bound.
    return func.websearch_to_tsquery(literal_column("'simple'::regconfig"), f'"{term.text}"', type_=TSQUERY)


def to_tsquery(parsed: ParsedQuery) -> ColumnElement[Any]:
    """The PostgreSQL tsquery expression with the same meaning as :func:`to_fts5`."""
    expression: ColumnElement[Any] | None = None
    for group in parsed.groups:
        alternatives = _pg_leaf(group[0])
        for term in group[1:]:
            alternatives = func.tsquery_or(alternatives, _pg_leaf(term), type_=TSQUERY)
        expression = alternatives if expression is None else func.tsquery_and(expression, alternatives, type_=TSQUERY)
    assert expression is not None  # parse_query guarantees a group
    for term in parsed.excluded:
        expression = func.tsquery_and(expression, func.tsquery_not(_pg_leaf(term), type_=TSQUERY), type_=TSQUERY)
    return expression


def _needs_positions(term: Term) -> bool:
    """Whether the GIN index, which keeps no word positions, cannot decide *term* alone: a quoted
    phrase, or a word the parser splits into one (``covid-19``, ``u.s.``)."""
    return term.phrase or not term.text.isalnum()


def _index_decides(parsed: ParsedQuery) -> bool:
    """Whether the GIN index answers the whole tsquery exactly: no term needs positions. A NOT of
    plain words it decides too (it reads the excluded word's entries as well)."""
    return not any(_needs_positions(t) for t in parsed.terms())


def to_tsquery_without_positions(parsed: ParsedQuery) -> ColumnElement[Any]:
    """A tsquery matching everything :func:`to_tsquery` matches and maybe more, that the GIN index
    answers alone: every phrase as all of its words; excluded plain words kept, excluded phrases
    left out (a page may have their words apart)."""
    config: ColumnElement[Any] = literal_column("'simple'::regconfig")
    expression: ColumnElement[Any] | None = None
    for group in parsed.groups:
        alternatives = func.plainto_tsquery(config, group[0].text, type_=TSQUERY)
        for term in group[1:]:
            alternatives = func.tsquery_or(
                alternatives, func.plainto_tsquery(config, term.text, type_=TSQUERY), type_=TSQUERY
            )
        expression = alternatives if expression is None else func.tsquery_and(expression, alternatives, type_=TSQUERY)
    assert expression is not None  # parse_query guarantees a group
    for term in parsed.excluded:
        if not _needs_positions(term):
            expression = func.tsquery_and(expression, func.tsquery_not(_pg_leaf(term), type_=TSQUERY), type_=TSQUERY)
    return expression


@dataclass(frozen=True, slots=True)
class SearchHit:
    id: int
    url: str
    site: str
    title: str | None
    authors: list[str]
    published: str | None
    language: str | None
    version: int
    fetched_at: str
    score: float
    snippet: str  # with MARK_START / MARK_END around matched words

    def as_dict(self, marks: tuple[str, str] = ("**", "**")) -> dict[str, Any]:
        row = {name: getattr(self, name) for name in self.__slots__}  # type: ignore[attr-defined]
        row["snippet"] = highlight(self.snippet, *marks)
        return row


def highlight(snippet: str, start: str, end: str) -> str:
    return snippet.replace(MARK_START, start).replace(MARK_END, end)


def _ranked(
    session: Session, parsed: ParsedQuery, filters: Filters, limit: int | None, candidates: int | None
) -> list[tuple[int, float]]:
    """(version id, score) of the best *limit* current versions, best first; narrow rows only, so
    sorting many matches never drags their text along.

    Only the *candidates* most recently stored matches (highest version id) are scored: the
    index hands them over newest first and stops there, so a word in every article costs as much
    as one in *candidates* of them. Scores are unchanged (bm25 and ts_rank_cd read the whole
    index's statistics or the row alone); a query with fewer matches ranks all of them."""
    A, V = models.Article, models.ArticleVersion
    candidate: Select[*tuple[Any, ...]]
    walk = False
    if session.get_bind().dialect.name == "sqlite":
        bm25 = -func.bm25(literal_column("article_search"), 10.0, 1.0)  # title counts 10x
        candidate = (
            select(FTS_TABLE.c.rowid.label("vid"), bm25.label("score"))
            .select_from(FTS_TABLE)
            .where(literal_column("article_search").op("MATCH")(bindparam("match", to_fts5(parsed))))
            .order_by(FTS_TABLE.c.rowid.desc())
        )
        if filters != Filters():
            # Unfiltered, no join: article_search holds current versions only (its triggers see to it).
            candidate = candidate.join(V, V.id == FTS_TABLE.c.rowid).join(A, A.current_version_id == V.id)
        chosen = apply_filters(candidate, filters).limit(candidates).subquery()
        query = select(chosen.c.vid, chosen.c.score)
    else:
        tsquery = to_tsquery(parsed)
        walk = filters == Filters() and _estimated_share(session, _index_query(parsed)) >= WALK_SHARE
        chosen = (_walked(tsquery) if walk else _from_index(parsed, tsquery, filters)).limit(candidates).subquery()
        # Only the candidates' vectors are read (a TOAST pointer travels through the sort unread).
        query = select(chosen.c.vid, func.ts_rank_cd(chosen.c.vector, tsquery).label("score"))
    query = query.order_by(literal_column("score").desc(), chosen.c.vid).limit(limit)
    if session.get_bind().dialect.name == "sqlite":
        return [(row[0], float(row[1])) for row in session.execute(query)]
    with _planner(session, PG_WALK_PLANNER if walk else PG_RANKING_PLANNER):
        return [(row[0], float(row[1])) for row in session.execute(query)]


_VECTOR = literal_column("article_versions.search_vector", TSVECTOR)


def _index_query(parsed: ParsedQuery) -> ColumnElement[Any]:
    """What the GIN index is asked: the query itself when it decides it, else a superset."""
    return to_tsquery(parsed) if _index_decides(parsed) else to_tsquery_without_positions(parsed)


def _walked(tsquery: ColumnElement[Any]) -> Select[Any]:
    """(vid, vector) of the current versions matching *tsquery*, newest first, each tested in turn.

    For a query most versions match: the walk reaches the candidates after reading about
    CANDIDATES / share vectors, where the index would hand over every match (100,000 ids for
    `the`, a heap tuple read each) before the newest could be picked."""
    A, V = models.Article, models.ArticleVersion
    walk = select(V.id.label("vid"), _VECTOR.label("vector")).join(A, A.current_version_id == V.id)
    return cast("Select[Any]", walk.where(_VECTOR.op("@@")(tsquery)).order_by(V.id.desc()))


def _from_index(parsed: ParsedQuery, tsquery: ColumnElement[Any], filters: Filters) -> Select[Any]:
    """(vid, vector) of the current versions matching *tsquery* and *filters*, newest first, found
    by the GIN index alone, apart, so that no filter's index or ordering tempts the planner into
    testing `@@` row by row: each test reads a whole TOASTed vector."""
    A, V = models.Article, models.ArticleVersion
    matches = select(V.id.label("vid")).where(_VECTOR.op("@@")(_index_query(parsed)))
    found = matches.cte("matches").prefix_with("MATERIALIZED")
    versions = cast("Select[Any]", select(V.id.label("vid"), _VECTOR.label("vector")))
    if _index_decides(parsed):
        return apply_filters(
            versions.select_from(found)
            .join(V, V.id == found.c.vid)
            .join(A, A.current_version_id == V.id)
            .order_by(V.id.desc()),
            filters,
        )
    # The index knows no word positions: it found the versions with all of a phrase's words. The
    # phrase (an excluded one too) is tested on them newest first, one id at a time (OFFSET 0 keeps
    # the test a step of its own for each), so the caller's LIMIT stops the testing once there are
    # enough candidates, instead of after every match's vector was read.
    newest = select(found.c.vid).order_by(found.c.vid.desc()).subquery("newest")
    tested = apply_filters(
        versions.join(A, A.current_version_id == V.id).where(V.id == newest.c.vid, _VECTOR.op("@@")(tsquery)),
        filters,
    )
    checked = tested.offset(0).lateral("checked")
    return (
        select(checked.c.vid, checked.c.vector).select_from(newest).join(checked, true()).order_by(newest.c.vid.desc())
    )


# The planner prices `@@` as if the vectors were in the row; they are TOASTed, so a sequential scan
# reads every vector (0.5 s at 100,000 articles) where the GIN index gives the matches' ids, and a
# bitmap scan of a word in every article reads every match's heap tuple where the newest-first walk
# stops after a few thousand. And a generic plan (psycopg prepares a statement run five times)
# cannot see how common the words are.
PG_RANKING_PLANNER = {"enable_seqscan": "off", "plan_cache_mode": "force_custom_plan"}
PG_WALK_PLANNER = {**PG_RANKING_PLANNER, "enable_bitmapscan": "off"}
# The share of all versions a query must match (as the planner's statistics estimate it) for the
# newest-first walk to beat the index: the walk reads ~CANDIDATES / share vectors (~12 us each at
# 100,000 articles), the index ~1 us a match plus the ranking; they cross near 0.4 (benchmarks/README.md).
WALK_SHARE = 0.4


def _estimated_share(session: Session, found: ColumnElement[Any]) -> float:
    """The share of versions matching *found* by the planner's statistics (most common words and
    their frequencies, kept by ANALYZE): 0.0 when the table has none yet."""
    V = models.ArticleVersion
    statement = select(V.id).where(literal_column("article_versions.search_vector", TSVECTOR).op("@@")(found))
    compiled = statement.compile(dialect=session.get_bind().dialect)
    connection = session.connection()
    plan = connection.exec_driver_sql("EXPLAIN (FORMAT JSON) " + str(compiled), compiled.params).scalar()
    rows = float(plan[0]["Plan"]["Plan Rows"]) if plan else 0.0
    total = connection.exec_driver_sql(
        "SELECT reltuples FROM pg_class WHERE oid = 'article_versions'::regclass"
    ).scalar()
    return rows / float(total) if total and float(total) > 0 else 0.0


@contextlib.contextmanager
def _planner(session: Session, settings: dict[str, str]) -> Iterator[None]:
    """PostgreSQL planner *settings* for the statements run inside, restored after (transaction-local)."""
    names = list(settings)
    previous = {name: session.scalar(text("SELECT current_setting(:name)"), {"name": name}) for name in names}
    set_local = text("SELECT set_config(:name, :value, true)")
    for name in names:
        session.execute(set_local, {"name": name, "value": settings[name]})
    try:
        yield
    finally:
        for name in names:
            session.execute(set_local, {"name": name, "value": previous[name]})


def _snippets(session: Session, parsed: ParsedQuery, version_ids: list[int]) -> dict[int, str]:
    if session.get_bind().dialect.name == "sqlite":
        rows = session.execute(
            text(
                "SELECT rowid, snippet(article_search, -1, :start, :end, ' … ', 24) FROM article_search "
                "WHERE article_search MATCH :match AND rowid IN :ids"
            ).bindparams(bindparam("ids", expanding=True)),
            {"start": MARK_START, "end": MARK_END, "match": to_fts5(parsed), "ids": version_ids},
        )
        return {row[0]: _squeeze(row[1]) for row in rows}
    V = models.ArticleVersion
    options = f"StartSel={MARK_START}, StopSel={MARK_END}, MaxWords=30, MinWords=12, MaxFragments=2"
    config: ColumnElement[Any] = literal_column("'simple'::regconfig")
    tsquery = to_tsquery(parsed)
    rows = session.execute(
        select(
            V.id,
            func.ts_headline(config, V.text, tsquery, options),
            func.ts_headline(config, func.coalesce(V.title, ""), tsquery, options),
        ).where(V.id.in_(version_ids))
    )
    # Like FTS5's snippet(-1): the body's fragment, or the title's when only the title matched.
    return {row[0]: _squeeze(row[1] if MARK_START in (row[1] or "") else row[2]) for row in rows}


def _squeeze(snippet: str | None) -> str:
    return " ".join((snippet or "").split())


def search(
    session: Session, query: str, filters: Filters | None = None, limit: int | None = 20, candidates: int = CANDIDATES
) -> list[SearchHit]:
    """The *limit* best matches of *query* among current versions, best first (None: every match),
    ranked among the *candidates* newest matches (see :func:`_ranked`; every match when *limit* is None)."""
    parsed = parse_query(query)
    ranked = _ranked(session, parsed, filters or Filters(), limit, None if limit is None else max(candidates, limit))
    if not ranked:
        return []
    ids = [version_id for version_id, _ in ranked]
    snippets = _snippets(session, parsed, ids)
    authors = names_by_version(session, models.ArticleVersionAuthor, models.Author, "author_id", ids)
    A, V, S, C = models.Article, models.ArticleVersion, models.Site, models.Capture
    details = {
        row.vid: row
        for row in session.execute(
            select(
                V.id.label("vid"),
                A.id,
                A.url,
                S.name.label("site"),
                V.title,
                V.published,
                V.language,
                V.number,
                C.fetched_at,
            )
            .join(A, A.current_version_id == V.id)
            .join(S, S.id == A.site_id)
            .join(C, C.id == V.capture_id)
            .where(V.id.in_(ids))
        )
    }
    hits = []
    for version_id, score in ranked:
        row = details.get(version_id)
        if row is None:  # an FTS5 row left stale by writes that bypassed its triggers (see reindex())
            continue
        hits.append(
            SearchHit(
                id=row.id,
                url=row.url,
                site=row.site,
                title=row.title,
                authors=authors.get(version_id, []),
                published=row.published,
                language=row.language,
                version=row.number,
                fetched_at=as_utc(row.fetched_at).isoformat(),
                score=round(score, 6),
                snippet=snippets.get(version_id, ""),
            )
        )
    return hits


def reindex(session: Session) -> int:
    """Rebuild the SQLite index from the current versions (after bulk writes that bypassed the
    triggers, or a migration that had to drop them); returns the number of articles indexed.
    PostgreSQL's generated column needs no rebuild."""
    if session.get_bind().dialect.name != "sqlite":
        return 0
    session.execute(text("INSERT INTO article_search(article_search) VALUES ('delete-all')"))
    session.execute(
        text(
            "INSERT INTO article_search(rowid, title, text) SELECT v.id, v.title, v.text "
            "FROM articles a JOIN article_versions v ON v.id = a.current_version_id"
        )
    )
    # Not count(*) on article_search: with external content that counts the content table.
    return int(session.scalar(text("SELECT count(*) FROM articles WHERE current_version_id IS NOT NULL")) or 0)


def explain(query: str) -> dict[str, Sequence[str] | str]:
    """How *query* was understood (for ``--explain`` and tests)."""
    parsed = parse_query(query)
    return {
        "all_of": [" OR ".join(repr(t.text) for t in g) for g in parsed.groups],
        "none_of": [repr(t.text) for t in parsed.excluded],
        "fts5": to_fts5(parsed),
    }
