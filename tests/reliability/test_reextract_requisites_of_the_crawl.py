"""Finding: ``reextract`` named every page's requisites at its own NEWSARCHIVE_REQUISITES (the
default, ``layout``, 60 a page), whatever the crawl that wrote the WARC ran at. A crawl made at
``none`` was re-extracted into requisite rows it never requested (the archived view then lists
requisites as missing that were never meant to be archived), and a crawl whose pages were capped
lost its cap. The crawl's warcinfo record now says its requisite settings, and reextract takes them
from it when the user did not set them; an explicit setting wins.

Real `scrapy crawl` runs of tests/support/requisite_site.py, re-extracted by the real CLI into a
fresh database."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cli import newsarchive
from tests.support.crawls import requisite_rows, scrapy_crawl
from tests.support.requisite_site import RequisiteSite
from tests.support.warc_files import warc_records


def _reextracted(tmp_path: Path, warc_dir: Path, *options: str) -> dict[str, list[str]]:
    database = f"sqlite:///{tmp_path / 'reextracted.db'}"
    done = newsarchive("reextract", "--db", database, "--warc-dir", str(warc_dir), "--workers", "0", *options)
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    return requisite_rows(database)


@pytest.mark.parametrize(
    "settings",
    [("NEWSARCHIVE_REQUISITES=none",), ("NEWSARCHIVE_REQUISITES=all", "NEWSARCHIVE_REQUISITES_PER_PAGE=2")],
    ids=["none", "all-capped"],
)
def test_reextract_stores_the_requisite_rows_the_crawl_stored(
    requisite_site: RequisiteSite, tmp_path: Path, settings: tuple[str, ...]
) -> None:
    run = scrapy_crawl(tmp_path / "crawl", requisite_site.listing_url, *settings)
    assert run.returncode == 0, run.log[-3000:]
    crawled = requisite_rows(run.database_url)
    (info, block), *_ = warc_records(run.warc_dir)
    assert info["WARC-Type"] == "warcinfo"
    level = settings[0].split("=")[1]
    assert f"newsarchive-requisites: {level}".encode() in block, block
    assert _reextracted(tmp_path / "again", run.warc_dir) == crawled
    if level == "none":
        assert crawled == {}
        # Set explicitly, the user's level wins over the crawl's.
        assert _reextracted(tmp_path / "layout", run.warc_dir, "--set", "NEWSARCHIVE_REQUISITES=layout") != {}
    else:
        assert crawled and all(len(urls) <= 2 for urls in crawled.values()), crawled
