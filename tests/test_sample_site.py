"""The bundled sample news site: routes, pagination, clutter, gzip, redirects, feeds and sitemaps."""

from __future__ import annotations

import gzip
import json
import re
import urllib.error
import urllib.request
import urllib.robotparser
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from email.message import Message
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import pytest

from archive.sample_site import SampleArticle, SampleSite, load_articles

SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


class Response:
    def __init__(self, status: int, headers: Message, body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


def fetch(url: str, headers: dict[str, str] | None = None, method: str = "GET") -> Response:
    req = urllib.request.Request(url, headers=headers or {}, method=method)
    try:
        with _opener.open(req, timeout=10) as resp:
            return Response(resp.status, resp.headers, resp.read())
    except urllib.error.HTTPError as err:
        return Response(err.code, err.headers, err.read())


class _Page(HTMLParser):
    """Visible text, links and <head> metadata of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self.links: list[tuple[str, dict[str, str | None]]] = []  # (href, attrs) of <a>
        self.head_links: list[dict[str, str | None]] = []
        self.metas: list[dict[str, str | None]] = []
        self.jsonld: list[Any] = []
        self.lang: str | None = None
        self.title = ""
        self._skip = 0
        self._in_jsonld = False
        self._in_title = False
        self._buf: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        elif tag == "a" and a.get("href"):
            self.links.append((a["href"] or "", a))
        elif tag == "link":
            self.head_links.append(a)
        elif tag == "meta":
            self.metas.append(a)
        elif tag == "title":
            self._in_title = True
        elif tag in ("script", "style"):
            self._skip += 1
            if a.get("type") == "application/ld+json":
                self._in_jsonld = True
                self._buf = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1
            if self._in_jsonld:
                self.jsonld.append(json.loads("".join(self._buf)))
                self._in_jsonld = False
        elif tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_jsonld:
            self._buf.append(data)
        elif self._in_title:
            self.title += data
        elif not self._skip:
            self.chunks.append(data)

    @property
    def text(self) -> str:
        return _norm("".join(self.chunks))

    def meta(self, key: str) -> list[str]:
        return [m.get("content") or "" for m in self.metas if key in (m.get("property"), m.get("name"))]

    def rel(self, rel: str) -> list[str]:
        return [link.get("href") or "" for link in self.head_links if link.get("rel") == rel]

    def has_class(self, cls: str) -> list[str]:
        return [href for href, a in self.links if cls in (a.get("class") or "").split()]


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def parse(body: str) -> _Page:
    page = _Page()
    page.feed(body)
    page.close()
    return page


@pytest.fixture(scope="module")
def site() -> Iterator[SampleSite]:
    with SampleSite() as s:
        yield s


@pytest.fixture(scope="module")
def articles(site: SampleSite) -> list[SampleArticle]:
    return site.articles


# ------------------------------------------------------------------------------------------------ data


def test_data_shape() -> None:
    arts = load_articles()
    assert len(arts) >= 12
    assert len({a.slug for a in arts}) == len(arts)
    assert any(len(a.authors) == 2 for a in arts)
    assert sum(1 for a in arts if a.tweet) == 1
    assert any(a.no_charset_header for a in arts)
    assert any(a.related for a in arts)
    for a in arts:
        assert a.path == f"/news/{a.slug}/"
        assert 4 <= len(a.paragraphs) <= 8
        assert re.search(r"[+-]\d\d:\d\d$", a.published) and re.search(r"[+-]\d\d:\d\d$", a.modified)
        assert a.modified_dt >= a.published_dt
        assert a.authors and a.tags and a.clutter
        assert a.caption in a.clutter and a.credit in a.clutter and "via Getty Images" in a.credit
        body = "\n".join(a.paragraphs)
        for junk in (*a.clutter, *SampleSite.SITE_CLUTTER):
            assert junk not in body, (a.slug, junk)


def test_url_and_lifecycle() -> None:
    s = SampleSite()
    with pytest.raises(RuntimeError):
        _ = s.url
    with s:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", s.url)
        assert fetch(s.url + "/").status == 200
    # stopped: the port no longer answers
    with pytest.raises(OSError):
        urllib.request.urlopen(s.url + "/", timeout=2)


# ---------------------------------------------------------------------------------------------- routes


@pytest.mark.parametrize(
    ("path", "ctype"),
    [
        ("/", "text/html; charset=utf-8"),
        ("/news-feed/", "text/html; charset=utf-8"),
        ("/news-feed/page/2/", "text/html; charset=utf-8"),
        ("/news-feed/page/3/", "text/html; charset=utf-8"),
        ("/tag/politics/", "text/html; charset=utf-8"),
        ("/author/irena-vask/", "text/html; charset=utf-8"),
        ("/rss/", "application/rss+xml; charset=utf-8"),
        ("/sitemap.xml", "application/xml; charset=utf-8"),
        ("/sitemap-posts.xml", "application/xml; charset=utf-8"),
        ("/sitemap-news.xml", "application/xml; charset=utf-8"),
        ("/robots.txt", "text/plain; charset=utf-8"),
        ("/files/report.pdf", "application/pdf"),
        ("/content/images/logo.png", "image/png"),
    ],
)
def test_routes(site: SampleSite, path: str, ctype: str) -> None:
    r = fetch(site.url + path)
    assert r.status == 200
    assert r.headers["Content-Type"] == ctype
    assert int(r.headers["Content-Length"]) == len(r.body)
    assert r.headers["ETag"] and r.headers["Last-Modified"] and r.headers["Date"]


def test_binary_files_are_real(site: SampleSite, articles: list[SampleArticle]) -> None:
    pdf = fetch(site.url + SampleSite.PDF_PATH).body
    assert pdf.startswith(b"%PDF-1.") and pdf.rstrip().endswith(b"%%EOF")
    png = fetch(site.url + articles[0].image).body
    assert png.startswith(b"\x89PNG\r\n\x1a\n")


def test_out_of_range_and_unknown_pages_404(site: SampleSite) -> None:
    for path in ("/news-feed/page/4/", "/nope/", "/go/999", SampleSite.MISSING_PATH, "/tag/none/"):
        r = fetch(site.url + path)
        assert r.status == 404, path
        assert "Page not found" in r.text
        assert int(r.headers["Content-Length"]) == len(r.body)


def test_missing_page_is_linked(site: SampleSite) -> None:
    home = parse(fetch(site.url + "/").text)
    assert SampleSite.MISSING_PATH in [h for h, _ in home.links]


# ------------------------------------------------------------------------------------------ pagination


def test_news_feed_pagination_covers_every_article(site: SampleSite, articles: list[SampleArticle]) -> None:
    url: str | None = site.url + "/news-feed/"
    seen: list[str] = []
    pages = 0
    while url:
        r = fetch(url)
        assert r.status == 200
        page = parse(r.text)
        pages += 1
        teasers = [urlsplit(h).path for h in page.has_class("feed-link")]
        assert 1 <= len(teasers) <= 5
        seen.extend(teasers)
        assert page.meta("og:type") == ["website"]
        assert not any(isinstance(j, dict) and j.get("@type") == "NewsArticle" for j in page.jsonld)
        more = page.has_class("load-more")
        nxt = page.rel("next")
        if more:
            assert "Show More" in page.text
            assert nxt == [urljoin(url, more[0])]
            assert f'<a class="load-more" href="{more[0]}">Show More</a>' in r.text
            url = urljoin(url, more[0])
        else:
            assert nxt == []
            assert "Show More" not in page.text
            url = None
    assert pages == 3
    assert seen == [a.path for a in sorted(articles, key=lambda a: a.published_dt, reverse=True)]
    assert fetch(site.url + "/news-feed/page/2/").text.count('rel="prev"') == 1


def test_page_one_redirects_to_feed(site: SampleSite) -> None:
    r = fetch(site.url + "/news-feed/page/1/")
    assert r.status == 301 and r.headers["Location"] == site.url + "/news-feed/"


def test_tag_and_author_listings(site: SampleSite, articles: list[SampleArticle]) -> None:
    for a in articles:
        for slug in (*a.tag_slugs, *(f"~{s}" for s in a.author_slugs)):
            kind, s = ("author", slug[1:]) if slug.startswith("~") else ("tag", slug)
            found: list[str] = []
            url: str | None = f"{site.url}/{kind}/{s}/"
            while url:
                page = parse(fetch(url).text)
                assert page.meta("og:type") == ["website"]
                found.extend(urlsplit(h).path for h in page.has_class("feed-link"))
                nxt = page.rel("next")
                url = nxt[0] if nxt else None
            assert a.path in found, (kind, s, a.slug)


# -------------------------------------------------------------------------------------------- articles


def test_article_pages(site: SampleSite, articles: list[SampleArticle]) -> None:
    for a in articles:
        r = fetch(site.url + a.path)
        assert r.status == 200
        page = parse(r.text)
        text = page.text
        for p in a.paragraphs:
            assert _norm(p) in text, (a.slug, p)
        for junk in a.clutter:
            assert _norm(junk) in text, (a.slug, junk)
        for junk in SampleSite.SITE_CLUTTER:
            assert _norm(junk) in text or f'alt="{junk}"' in r.text, (a.slug, junk)
        assert page.lang == "en"
        assert page.title == f"{a.title} | The Sample Independent"
        assert "<h1 " in r.text and a.title in text
        assert page.rel("canonical") == [site.url + a.path]
        assert page.meta("og:type") == ["article"]
        assert page.meta("og:title") == [a.title]
        assert page.meta("article:published_time") == [a.published]
        assert page.rel("alternate") == [site.url + "/rss/"]
        assert "<figure" in r.text and "<figcaption>" in r.text
        assert 'class="gh-content' in r.text
        (ld,) = [j for j in page.jsonld if j.get("@type") == "NewsArticle"]
        assert ld["headline"] == a.title
        assert ld["datePublished"] == a.published and ld["dateModified"] == a.modified
        people = ld["author"] if isinstance(ld["author"], list) else [ld["author"]]
        assert [p["name"] for p in people] == list(a.authors)
        assert all(p["@type"] == "Person" for p in people)
        assert ld["publisher"]["name"] == "The Sample Independent"
        assert ld["image"]["url"] == site.url + a.image
        assert ld["keywords"] == ", ".join(a.tags)
        for slug in a.author_slugs:
            assert f"/author/{slug}/" in page.has_class("author-card-more")


def test_embedded_tweet(site: SampleSite, articles: list[SampleArticle]) -> None:
    (a,) = [a for a in articles if a.tweet]
    assert a.tweet is not None
    body = fetch(site.url + a.path).text
    m = re.search(r'<blockquote class="twitter-tweet">(.*?)</blockquote>', body, re.S)
    assert m
    tweet = _norm(re.sub(r"<[^>]+>", "", m.group(1)).replace("&mdash;", "—"))
    assert "pic.twitter.com/" in tweet
    assert tweet.endswith(f"— {a.tweet.name} (@{a.tweet.handle}) {a.tweet.date}")


def test_related_paragraph_is_only_a_link(site: SampleSite, articles: list[SampleArticle]) -> None:
    by_slug = {a.slug: a for a in articles}
    for a in articles:
        if not a.related:
            continue
        rel = by_slug[a.related]
        assert f'<p><a href="{rel.path}">{rel.title}</a></p>' in fetch(site.url + a.path).text
        assert rel.title in a.clutter


def test_charset_variants(site: SampleSite, articles: list[SampleArticle]) -> None:
    for a in articles:
        r = fetch(site.url + a.path)
        expected = "text/html" if a.no_charset_header else "text/html; charset=utf-8"
        assert r.headers["Content-Type"] == expected
        assert '<meta charset="utf-8">' in r.text


def test_amp_alternative_serves_same_page(site: SampleSite, articles: list[SampleArticle]) -> None:
    linked = [
        href for a in articles for href, _ in parse(fetch(site.url + a.path).text).links if href.endswith("/amp/")
    ]
    assert linked
    amp = fetch(site.url + linked[0])
    clean = fetch(site.url + linked[0].removesuffix("amp/"))
    assert amp.status == 200 and amp.body == clean.body
    assert parse(amp.text).rel("canonical") == [site.url + linked[0].removesuffix("amp/")]


def test_listings_are_not_articles(site: SampleSite) -> None:
    for path in ("/", "/news-feed/", "/news-feed/page/2/", "/tag/economy/", "/author/sofia-lind/"):
        page = parse(fetch(site.url + path).text)
        assert page.meta("og:type") == ["website"], path
        assert not page.meta("article:published_time")
        assert all(j.get("@type") != "NewsArticle" for j in page.jsonld)
        assert page.rel("alternate") == [site.url + "/rss/"]


# ----------------------------------------------------------------------------------------------- traps


def test_trap_links_present(site: SampleSite, articles: list[SampleArticle]) -> None:
    hrefs: list[str] = []
    for path in ("/", "/news-feed/", *(a.path for a in articles)):
        hrefs.extend(h for h, _ in parse(fetch(site.url + path).text).links)
    assert any("utm_source=twitter&utm_medium=social" in h for h in hrefs)
    assert any("fbclid=" in h for h in hrefs)
    assert any(h.endswith("#comments") for h in hrefs)
    assert any(h.startswith("/go/") for h in hrefs)
    assert SampleSite.PDF_PATH in hrefs
    assert any(h.endswith(".png") for h in hrefs)
    assert any(h.startswith(SampleSite.EXTERNAL_HOST) for h in hrefs)
    assert "/private/secret/" in hrefs
    # every on-site link is root-relative or absolute to the server itself
    for h in hrefs:
        if h.startswith("http"):
            assert h.startswith((site.url, SampleSite.EXTERNAL_HOST, "https://")), h
        elif not h.startswith("#"):
            assert h.startswith("/"), h


def test_tracking_params_serve_the_article(site: SampleSite, articles: list[SampleArticle]) -> None:
    a = articles[0]
    plain = fetch(site.url + a.path)
    tracked = fetch(site.url + a.path + "?utm_source=twitter&utm_medium=social&fbclid=IwAR0x")
    assert tracked.status == 200 and tracked.body == plain.body


def test_redirects(site: SampleSite, articles: list[SampleArticle]) -> None:
    home = parse(fetch(site.url + "/").text)
    go = next(h for h, _ in home.links if h.startswith("/go/"))
    r = fetch(site.url + go)
    assert r.status == 301
    target = r.headers["Location"]
    assert target.startswith(site.url + "/news/")
    assert urlsplit(target).path in {a.path for a in articles}
    assert fetch(target).status == 200
    # urllib follows it when allowed to
    with urllib.request.urlopen(site.url + go, timeout=10) as resp:
        assert resp.geturl() == target
    slashless = fetch(site.url + articles[0].path.rstrip("/"))
    assert slashless.status == 301 and slashless.headers["Location"] == site.url + articles[0].path


def test_robots_and_private_page(site: SampleSite) -> None:
    r = fetch(site.url + "/robots.txt")
    lines = r.text.splitlines()
    assert f"Sitemap: {site.url}/sitemap.xml" in lines
    assert "Disallow: /private/" in lines
    rp = urllib.robotparser.RobotFileParser()
    rp.parse(lines)
    assert not rp.can_fetch("newsarchive", site.url + "/private/secret/")
    assert rp.can_fetch("newsarchive", site.url + "/news-feed/")
    assert fetch(site.url + "/private/secret/").status == 200  # exists: a crawl that fetches it is caught


# ------------------------------------------------------------------------------------------ feeds, xml


def test_sitemaps(site: SampleSite, articles: list[SampleArticle]) -> None:
    index = ET.fromstring(fetch(site.url + "/sitemap.xml").body)
    assert index.tag == f"{SM}sitemapindex"
    locs = [e.text or "" for e in index.iter(f"{SM}loc")]
    assert site.url + "/sitemap-posts.xml" in locs and site.url + "/sitemap-news.xml" in locs
    for loc in locs:
        assert fetch(loc).status == 200
        ET.fromstring(fetch(loc).body)
    posts = ET.fromstring(fetch(site.url + "/sitemap-posts.xml").body)
    urls = {u.findtext(f"{SM}loc"): u.findtext(f"{SM}lastmod") for u in posts.iter(f"{SM}url")}
    assert urls == {site.url + a.path: a.modified for a in articles}
    news = ET.fromstring(fetch(site.url + "/sitemap-news.xml").body)
    entries = list(news.iter(f"{SM}url"))
    assert len(entries) == len(articles)
    for u in entries:
        assert u.find(f"{NEWS}news/{NEWS}publication/{NEWS}name") is not None
        assert u.findtext(f"{NEWS}news/{NEWS}title")
        assert u.findtext(f"{NEWS}news/{NEWS}publication_date")


def test_rss(site: SampleSite, articles: list[SampleArticle]) -> None:
    rss = ET.fromstring(fetch(site.url + "/rss/").body)
    assert rss.tag == "rss" and rss.get("version") == "2.0"
    items = rss.findall("channel/item")
    assert {i.findtext("link") for i in items} == {site.url + a.path for a in articles}
    assert {i.findtext("title") for i in items} == {a.title for a in articles}
    assert all(i.findtext("pubDate") for i in items)


# ----------------------------------------------------------------------------------------- http layer


@pytest.mark.parametrize("path", ["/", "/news-feed/", "/rss/", "/sitemap.xml", "ARTICLE"])
def test_gzip(site: SampleSite, articles: list[SampleArticle], path: str) -> None:
    url = site.url + (articles[3].path if path == "ARTICLE" else path)
    plain = fetch(url)
    gz = fetch(url, {"Accept-Encoding": "gzip, deflate"})
    assert "Content-Encoding" not in plain.headers
    assert gz.headers["Content-Encoding"] == "gzip"
    assert int(gz.headers["Content-Length"]) == len(gz.body) < len(plain.body)
    assert gzip.decompress(gz.body) == plain.body
    assert gz.headers["Vary"] == "Accept-Encoding"
    assert gz.headers["ETag"] == plain.headers["ETag"]
    refused = fetch(url, {"Accept-Encoding": "gzip;q=0, identity"})
    assert "Content-Encoding" not in refused.headers


def test_no_gzip_for_binaries(site: SampleSite) -> None:
    r = fetch(site.url + SampleSite.PDF_PATH, {"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in r.headers


def test_deterministic_headers_and_bodies(site: SampleSite, articles: list[SampleArticle]) -> None:
    a = articles[5]
    r1 = fetch(site.url + a.path, {"Accept-Encoding": "gzip"})
    r2 = fetch(site.url + a.path, {"Accept-Encoding": "gzip"})
    assert r1.body == r2.body
    for h in ("Date", "Last-Modified", "ETag", "Content-Length"):
        assert r1.headers[h] == r2.headers[h]
    assert parsedate_to_datetime(r1.headers["Last-Modified"]) == a.modified_dt
    other = fetch(site.url + articles[6].path)
    assert other.headers["ETag"] != r1.headers["ETag"]
    with SampleSite() as second:  # a second instance renders the same bytes modulo its own URL
        again = fetch(second.url + a.path, {"Accept-Encoding": "gzip"})

        def neutral(body: bytes, url: str) -> bytes:
            return body.replace(url.encode(), b"URL").replace(quote(url, safe="").encode(), b"URL")

        assert neutral(gzip.decompress(again.body), second.url) == neutral(gzip.decompress(r1.body), site.url)


def test_conditional_requests(site: SampleSite, articles: list[SampleArticle]) -> None:
    url = site.url + articles[2].path
    first = fetch(url)
    etag, lm = first.headers["ETag"], first.headers["Last-Modified"]
    r = fetch(url, {"If-None-Match": etag})
    assert r.status == 304 and r.body == b"" and r.headers["ETag"] == etag
    assert fetch(url, {"If-Modified-Since": lm}).status == 304
    assert fetch(url, {"If-Modified-Since": "Sat, 01 Jan 2000 00:00:00 GMT"}).status == 200
    assert fetch(url, {"If-None-Match": 'W/"other"'}).status == 200


def test_head_and_request_log(site: SampleSite, articles: list[SampleArticle]) -> None:
    url = site.url + articles[1].path
    head = fetch(url, method="HEAD")
    assert head.status == 200 and head.body == b""
    assert int(head.headers["Content-Length"]) == len(fetch(url).body)
    fetch(url + "?probe=1", {"X-Probe": "yes"})
    method, path, headers = site.requests[-1]
    assert (method, path) == ("GET", articles[1].path + "?probe=1")
    assert headers.get("X-Probe") == "yes"
    assert ("HEAD", articles[1].path) in [(m, p) for m, p, _ in site.requests]
    assert articles[1].path + "?probe=1" in site.requested_paths()


def test_keep_alive_http11(site: SampleSite) -> None:
    import http.client

    conn = http.client.HTTPConnection(urlsplit(site.url).hostname, urlsplit(site.url).port, timeout=10)
    try:
        for path in ("/", "/news-feed/", "/robots.txt", "/does-not-exist/"):
            conn.request("GET", path, headers={"Accept-Encoding": "gzip"})
            resp = conn.getresponse()
            body = resp.read()
            assert resp.version == 11
            assert int(resp.headers["Content-Length"]) == len(body)
    finally:
        conn.close()
