"""Generate an archive database of N articles (default 10,000) for search and query benchmarks.

Articles are built from real news prose: paragraphs drawn from the fundus corpus truth texts
(../shared/corpus/fundus/truth.jsonl, 143 articles in several languages), shuffled into new
articles with titles from the corpus, 20 sites, 300 authors, publication dates over 120 days,
and 10% of articles edited once (a second version). They go through ``archive.store.store()``,
the crawl's write path, in batches of 500 per transaction, so the full-text triggers and
indexes are exercised as in production.

    python benchmarks/make_archive_db.py --db sqlite:///data/bench.db --articles 10000
    python benchmarks/make_archive_db.py --db postgresql+psycopg://postgres@127.0.0.1/bench
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from archive.capture import Capture  # noqa: E402
from archive.db import open_database  # noqa: E402
from archive.extract import Article  # noqa: E402
from archive.store import store  # noqa: E402

# ../shared beside the main checkout; a git worktree under /work/wt/ has it one level further up.
CORPUS = (
    next((c for c in (ROOT.parent / "shared", ROOT.parent.parent / "shared") if c.is_dir()), ROOT.parent / "shared")
    / "corpus"
    / "fundus"
    / "truth.jsonl"
)


def load_corpus(path: Path) -> tuple[list[str], list[tuple[str, str]], list[str]]:
    """(titles, (language, paragraph) pairs, author names) from the corpus."""
    titles, paragraphs, authors = [], [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row.get("title"):
            titles.append(row["title"])
        authors.extend(row.get("authors") or [])
        for paragraph in (row.get("text") or "").split("\n"):
            if len(paragraph) > 80:
                paragraphs.append((row.get("language") or "en", paragraph))
    return titles, paragraphs, authors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", required=True, help="SQLAlchemy URL of a new (empty) database")
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    args = parser.parse_args()
    titles, paragraphs, corpus_authors = load_corpus(args.corpus)
    authors = list(dict.fromkeys(corpus_authors))[:250] + [f"Reporter {i}" for i in range(50)]
    sites = [f"site{i:02d}.example" for i in range(20)]
    start = dt.datetime(2023, 6, 1, tzinfo=dt.UTC)
    sessions = open_database(args.db)
    began = time.perf_counter()
    offset = 0

    def make(n: int, version: int) -> tuple[Capture, Article]:
        nonlocal offset
        offset += 1
        rng_n = random.Random(args.seed * 1_000_003 + n)  # same article text for every version's base
        site = sites[n % len(sites)]
        url = f"https://{site}/news/{n}/"
        chosen = rng_n.sample(paragraphs, rng_n.randint(4, 12))
        language = chosen[0][0]
        text = "\n".join(p for _, p in chosen)
        title = rng_n.choice(titles)
        if version > 1:
            text += "\nUpdate: this article was corrected after publication."
        published = start + dt.timedelta(minutes=rng_n.randint(0, 120 * 24 * 60))
        fetched = published + dt.timedelta(hours=version)
        capture = Capture(
            url=url,
            status=200,
            fetched_at=fetched,
            warc_file=f"bench-{offset // 5000:05d}.warc.gz",
            warc_offset=offset * 20_000,
            warc_length=rng_n.randint(8_000, 60_000),
            warc_record_id=f"<urn:uuid:00000000-0000-0000-0000-{offset:012d}>",
            content_type="text/html; charset=utf-8",
        )
        article = Article(
            url=url,
            canonical_url=url,
            title=title,
            text=text,
            authors=tuple(rng_n.sample(authors, rng_n.choice((1, 1, 1, 2)))),
            published=published.isoformat(),
            modified=None,
            language=language,
            description=None,
            section=rng_n.choice(("news", "world", "politics", "economy", "culture")),
            tags=(),
            image=None,
            site_name=site,
        )
        return capture, article

    batch = 500
    for first in range(0, args.articles, batch):
        entries = [make(n, 1) for n in range(first, min(first + batch, args.articles))]
        entries += [make(n, 2) for n in range(first, min(first + batch, args.articles)) if n % 10 == 0]
        with sessions.begin() as session:
            store(session, entries)
        print(f"\r{min(first + batch, args.articles):,} articles", end="", file=sys.stderr)
    # Fresh planner statistics and (PostgreSQL) a visibility map, as autovacuum would leave them a
    # while after a bulk load: without it every index-only scan visits the heap.
    engine = sessions.kw["bind"]
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"))
    seconds = time.perf_counter() - began
    print(
        f"\nstored {args.articles:,} articles in {seconds:.1f} s ({args.articles / seconds:,.0f}/s) -> {args.db}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
