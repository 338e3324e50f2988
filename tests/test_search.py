"""Full-text search on SQLite (FTS5) and PostgreSQL (tsvector): the query parser, ranking, filters,
snippets, the index following the current version, hostile input, migration backfill."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import text, update

from archive import models
from archive import search as search_module
from archive.db import open_database
from archive.query import Filters
from archive.search import MARK_END, MARK_START, SearchError, Term, parse_query, search, to_fts5
from archive.store import store
from tests.support.archive_data import OTHER, SITE, T0, ArchiveDB, article, capture
from tests.support.cli import newsarchive


def _urls(hits: list) -> list[str]:
    return [h.url for h in hits]


# ------------------------------------------------------------------ parser (no database)


def test_parser_terms_phrases_or_and_not() -> None:
    parsed = parse_query('bakhmut "prime  minister" russia OR russian -rumour NOT "fake news" AND x')
    assert parsed.groups == (
        (Term("bakhmut"),),
        (Term("prime minister", phrase=True),),
        (Term("russia"), Term("russian")),
        (Term("x"),),
    )
    assert parsed.excluded == (Term("rumour"), Term("fake news", phrase=True))
    assert (
        to_fts5(parsed)
        == '(("bakhmut" AND "prime minister" AND ("russia" OR "russian") AND "x") NOT "rumour") NOT "fake news"'
    )


@pytest.mark.parametrize(
    "query",
    [
        '"unbalanced quote',
        "NEAR(a b)",
        "title:x",
        "a AND",
        "OR b",
        'x" OR "y',
        "'; DROP TABLE articles; --",
        "a*",
        "^a",
        "-",
        '""',
    ],
)
def test_parser_makes_every_term_a_quoted_string(query: str) -> None:
    try:
        expression = to_fts5(parse_query(query))
    except SearchError:
        return
    # every quote in the expression opens or closes a term: nothing of the user's is syntax
    assert expression.count('"') % 2 == 0
    stripped = expression
    for term in parse_query(query).terms():
        stripped = stripped.replace('"' + term.text.replace('"', '""') + '"', "T")
    assert set(stripped) <= set("T()ANDORT "), (query, expression)


@pytest.mark.parametrize("query", ["", "   ", "OR", "AND NOT", "-alone", "NOT alone", "--- ;;;", '""'])
def test_parser_refuses_queries_with_nothing_to_find(query: str) -> None:
    with pytest.raises(SearchError):
        parse_query(query)


# ------------------------------------------------------------------ both backends


def test_words_phrases_or_not(archive_db: ArchiveDB) -> None:
    _, sessions, urls = archive_db
    with sessions() as session:
        assert set(_urls(search(session, "bakhmut"))) == {
            urls["/news/bakhmut-offensive/"],
            urls["/news/bakhmut-shelling/"],
            urls["other"],
        }
        # all words, any order: both stories; the phrase: only the one with the words in order
        assert set(_urls(search(session, "prime minister"))) == {
            urls["/news/prime-minister-visit/"],
            urls["/news/minister-prime-rates/"],
        }
        assert _urls(search(session, '"prime minister"')) == [urls["/news/prime-minister-visit/"]]
        assert set(_urls(search(session, "bakhmut -shelling"))) == {urls["/news/bakhmut-offensive/"], urls["other"]}
        assert set(_urls(search(session, "bakhmut NOT shelling NOT analysis"))) == {urls["/news/bakhmut-offensive/"]}
        # OR binds tighter than the implied AND
        assert set(_urls(search(session, "bakhmut artillery OR klishchiivka"))) == {
            urls["/news/bakhmut-offensive/"],
            urls["/news/bakhmut-shelling/"],
        }
        assert set(_urls(search(session, "harbour OR heatwave"))) == {
            urls["/news/prime-minister-visit/"],
            urls["/news/heatwave/"],
        }
        assert search(session, "nonexistentword") == []


def test_ranked_with_title_matches_first_and_snippet_highlighted(archive_db: ArchiveDB) -> None:
    _, sessions, urls = archive_db
    with sessions() as session:
        hits = search(session, "harvest")  # only in the heatwave story's text
        assert _urls(hits) == [urls["/news/heatwave/"]]
        assert f"{MARK_START}harvest{MARK_END}" in hits[0].snippet
        assert hits[0].as_dict()["snippet"].count("**harvest**") == 1
        # "shelling": in one title, and only there; "shelled" (no stemming) does not count
        hits = search(session, "shelling")
        assert _urls(hits) == [urls["/news/bakhmut-shelling/"]]
        scores = [h.score for h in search(session, "bakhmut")]
        assert scores == sorted(scores, reverse=True) and scores[0] > 0
        assert all(h.title and h.site in (SITE, OTHER) for h in search(session, "bakhmut"))


def test_filters_site_author_dates_language(archive_db: ArchiveDB) -> None:
    _, sessions, urls = archive_db
    utc = dt.UTC
    with sessions() as session:
        assert _urls(search(session, "bakhmut", Filters(site=OTHER))) == [urls["other"]]
        assert set(_urls(search(session, "bakhmut", Filters(author="Jonas Brandt")))) == {
            urls["/news/bakhmut-shelling/"],
            urls["other"],
        }
        july_1_to_7 = Filters(since=dt.datetime(2023, 7, 1, tzinfo=utc), until=dt.datetime(2023, 7, 8, tzinfo=utc))
        assert set(_urls(search(session, "bakhmut", july_1_to_7))) == {urls["/news/bakhmut-offensive/"], urls["other"]}
        assert _urls(search(session, "hitzewelle OR heatwave", Filters(language="de"))) == [urls["/de/hitzewelle/"]]
        assert len(search(session, "bakhmut", limit=1)) == 1


def test_only_the_current_version_is_searched(archive_db: ArchiveDB) -> None:
    _, sessions, urls = archive_db
    offensive = urls["/news/bakhmut-offensive/"]
    with sessions() as session:
        assert search(session, "monday") == []  # the first version said Monday; the edit says Tuesday
        assert _urls(search(session, "tuesday correction")) == [offensive]
        assert _urls(search(session, '"advance south"')) == [offensive]
        assert search(session, '"advance near"') == []
    # a third version (via store(), as a crawl would) moves the index with it
    with sessions.begin() as session:
        store(
            session,
            [
                (
                    capture(offensive, T0 + dt.timedelta(days=5), 70_000),
                    article(offensive, "Troops dig in near Bakhmut", "They dug in on Wednesday.", None),
                )
            ],
        )
    with sessions() as session:
        assert search(session, "tuesday") == []
        assert _urls(search(session, "wednesday")) == [offensive]
        # any writer: pointing the article back at version 1 by hand re-indexes version 1
        version_1 = session.scalar(
            text(
                "SELECT v.id FROM article_versions v JOIN articles a ON a.id = v.article_id "
                "WHERE a.url = :u AND v.number = 1"
            ),
            {"u": offensive},
        )
        session.execute(
            update(models.Article).where(models.Article.url == offensive).values(current_version_id=version_1)
        )
        session.commit()
        assert _urls(search(session, "monday")) == [offensive]
        assert search(session, "wednesday") == []


@pytest.mark.parametrize(
    "query",
    [
        "Robert'); DROP TABLE articles;--",
        '"unbalanced',
        "NEAR(operators)",
        "col:umn",
        'quotes" OR "x',
        "a* ^b",
        "\\x00 %s {} $1 ?",
        "tsquery & | ! <-> :*",
    ],
)
def test_hostile_queries_are_literal_and_never_raise(archive_db: ArchiveDB, query: str) -> None:
    _, sessions, urls = archive_db
    with sessions() as session:
        try:
            hits = search(session, query)
        except SearchError:
            return
        for hit in hits:
            assert hit.url  # an ordinary result
        assert session.scalar(text("SELECT count(*) FROM articles")) == 8
    if query.startswith("Robert"):
        assert _urls(hits) == [urls["/news/sql-story/"]]


def test_migration_backfills_existing_articles(backend: str, new_database_url) -> None:
    """Articles written under revision 0001 (plain SQL: today's store() may need later columns)
    are searchable once the rest of the migrations, 0002_fulltext among them, are applied."""
    from sqlalchemy import create_engine

    from archive.db import upgrade_to

    url = new_database_url(backend)
    engine = create_engine(url)
    with engine.begin() as connection:
        upgrade_to(connection, "0001")
        story = f"https://{SITE}/news/before-fulltext/"
        for statement in (
            "INSERT INTO sites (id, name, host, created_at) VALUES (1, 'news.example', 'news.example', :t)",
            "INSERT INTO captures (id, site_id, url, method, status, fetched_at, record_type, warc_file, warc_offset,"
            " warc_length, warc_record_id) VALUES (1, 1, :u, 'GET', 200, :t, 'response', 'a.warc.gz', 0, 10, '<x>')",
            "INSERT INTO articles (id, site_id, url, first_captured_at, last_captured_at) VALUES (1, 1, :u, :t, :t)",
            "INSERT INTO article_versions (id, article_id, number, capture_id, content_hash, created_at, extractor,"
            " extractor_version, title, text) VALUES (1, 1, 1, 1, 'h', :t, 'x', '1', 'Written before the index',"
            " 'Zaporizhzhia front.')",
            "UPDATE articles SET current_version_id = 1",
        ):
            connection.execute(text(statement), {"t": T0, "u": story})
    engine.dispose()
    sessions = open_database(url)  # migrates to heads: 0002_fulltext backfills
    with sessions() as session:
        assert _urls(search(session, "zaporizhzhia")) == [story]
        assert _urls(search(session, '"before the index"')) == [story]


def test_cli_search_formats_and_errors(archive_db: ArchiveDB) -> None:
    url, _, urls = archive_db
    done = newsarchive("search", "bakhmut", "--site", SITE, "--format", "jsonl", "--db", url)
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert {r["url"] for r in rows} == {urls["/news/bakhmut-offensive/"], urls["/news/bakhmut-shelling/"]}
    assert all("**bakhmut**" in r["snippet"].lower() for r in rows)
    table = newsarchive("search", '"prime minister"', "--db", url)  # piped: plain, tab-separated
    assert table.returncode == 0 and table.stdout.splitlines()[0].split("\t")[:3] == ["id", "score", "published"]
    assert "minister**" in table.stdout.lower()  # FTS5 marks the phrase, ts_headline each word
    nothing = newsarchive("search", "nonexistentword", "--db", url)
    assert nothing.returncode == 1 and nothing.stdout.count("\n") == 1
    for bad in (["NOT x"], ["bakhmut", "--since", "July"], ["OR"], ["bakhmut", "--limit", "-1"]):
        done = newsarchive("search", *bad, "--db", url)
        assert done.returncode == 2, (bad, done.stderr)
        assert len(done.stderr.strip().splitlines()) == 1 and "error" in done.stderr and "Traceback" not in done.stderr
    missing = newsarchive("search", "x", "--db", "sqlite:////nonexistent/dir/a.db")
    assert missing.returncode != 0 and missing.stderr.count("\n") == 1


# ------------------------------------------------------------------ candidates (the newest matches)


def _archive_of(sessions, stories: list[tuple[str, str]]) -> list[str]:
    """Store (path, text) stories oldest first, one transaction each (so version ids follow the
    list); return their URLs."""
    urls = []
    for n, (path, body) in enumerate(stories):
        url = f"https://{SITE}{path}"
        with sessions.begin() as session:
            store(
                session, [(capture(url, T0 + dt.timedelta(hours=n), 1000 + n), article(url, f"Story {n}", body, None))]
            )
        urls.append(url)
    return urls


def test_many_matches_are_ranked_among_the_newest_candidates(backend: str, new_database_url) -> None:
    sessions = open_database(new_database_url(backend))
    # The oldest stories say "harbour" most often: ranking every match puts them first.
    urls = _archive_of(
        sessions,
        [
            (f"/news/harbour-{n}/", " ".join(["The harbour reopened."] * (12 - n) + ["Boats waited."] * n))
            for n in range(12)
        ],
    )
    with sessions() as session:
        every = search(session, "harbour", limit=12, candidates=1000)
        newest = set(urls[-5:])
        capped = search(session, "harbour", limit=3, candidates=5)
        assert search(session, "harbour", limit=12) == every  # fewer matches than candidates: all ranked
    assert sorted(_urls(every)) == sorted(urls)
    assert _urls(every)[:3] == urls[:3]
    expected = [hit for hit in every if hit.url in newest][:3]
    assert capped == expected  # same hits, same scores, same snippets: only the candidates differ
    assert _urls(capped) == urls[7:10]


def test_phrase_and_not_candidates_are_real_matches(backend: str, new_database_url) -> None:
    """The PostgreSQL index finds articles with all of a phrase's words; those that have the words
    apart, or the excluded word, must not fill up the candidates."""
    sessions = open_database(new_database_url(backend))
    urls = _archive_of(
        sessions,
        [("/news/old-1/", "The harbour master resigned."), ("/news/old-2/", "A new harbour master was named.")]
        + [(f"/news/apart-{n}/", "The master plan for the harbour was delayed.") for n in range(6)],
    )
    with sessions() as session:
        phrase = search(session, '"harbour master"', limit=10, candidates=3)
        excluded = search(session, "harbour -plan", limit=10, candidates=3)
    assert sorted(_urls(phrase)) == sorted(urls[:2])
    assert sorted(_urls(excluded)) == sorted(urls[:2])


def _common_phrase_archive(sessions) -> tuple[list[str], list[str]]:
    """Like `"in the"` in the 100,000-article benchmark: every story has both words, every other one
    next to each other, as often as its number says (so their scores differ). (all URLs, the phrase's)"""
    stories = [
        (f"/news/harbour-{n}/", "Ships waited in the harbour. " * (1 + n % 5) if n % 2 else "The harbour shut in May.")
        for n in range(24)
    ]
    urls = _archive_of(sessions, stories)
    return urls, urls[1::2]


@pytest.mark.parametrize("walk_share", [0.0, 2.0], ids=["walked-newest-first", "from-the-index"])
@pytest.mark.parametrize("filters", [Filters(), Filters(site=SITE)], ids=["unfiltered", "site"])
def test_a_common_phrase_ranks_its_newest_matches(
    backend: str, new_database_url, monkeypatch: pytest.MonkeyPatch, walk_share: float, filters: Filters
) -> None:
    """Past the candidates, a common phrase shows the best of its newest matches, whichever way
    PostgreSQL finds them (walking the newest versions, for a query most versions match, or from the
    index): the same hits, scores and order as ranking every match and keeping those."""
    monkeypatch.setattr(search_module, "WALK_SHARE", walk_share)
    sessions = open_database(new_database_url(backend))
    _, phrase = _common_phrase_archive(sessions)
    with sessions() as session:
        every = search(session, '"in the"', filters, limit=None)
        capped = search(session, '"in the"', filters, limit=4, candidates=5)
        without = search(session, '"in the" -"ships waited"', filters, limit=None)
    assert sorted(_urls(every)) == sorted(phrase)
    assert [h.score for h in every] == sorted((h.score for h in every), reverse=True)
    newest = set(phrase[-5:])
    assert capped == [hit for hit in every if hit.url in newest][:4]
    assert without == []


def test_a_word_in_every_article_ranks_its_newest_matches(backend: str, new_database_url, monkeypatch) -> None:
    monkeypatch.setattr(search_module, "WALK_SHARE", 0.0)
    sessions = open_database(new_database_url(backend))
    urls, _ = _common_phrase_archive(sessions)
    with sessions() as session:
        every = search(session, "harbour", limit=None)
        capped = search(session, "harbour -ships", limit=3, candidates=4)
        apart = search(session, "harbour -ships", limit=None)
    assert sorted(_urls(every)) == sorted(urls)
    assert sorted(_urls(apart)) == sorted(urls[0::2])  # the stories without "ships"
    newest = set(urls[0::2][-4:])
    assert capped == [hit for hit in apart if hit.url in newest][:3]
