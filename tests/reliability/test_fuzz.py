"""Property-based tests: URL canonicalization and the extraction function on hostile HTML."""

from __future__ import annotations

import html
import posixpath
import re
import tempfile
import unicodedata
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from archive.extract import Article, NotAnArticle, decode_html, extract
from archive.urls import canonicalize
from archive.warc.reader import WarcReader
from archive.warc.writer import ExchangeRequest, ExchangeResponse, WarcWriter

# Any characters but the URL's own delimiters (a "?" inside a value is the value's business; a
# bare ";" is an empty path parameter, which canonicalization rightly drops).
_segment = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters="?#&=/%;"), max_size=12
)
_query_name = st.sampled_from(["utm_source", "utm_medium", "fbclid", "gclid", "id", "page", "q", "a", "ref", "x y"])
urls = st.builds(
    lambda scheme, host, port, segments, query, fragment: (
        f"{scheme}://{host}{port}/"
        + "/".join(segments)
        + ("?" + "&".join(f"{k}={v}" for k, v in query) if query else "")
        + (f"#{fragment}" if fragment else "")
    ),
    st.sampled_from(["http", "https", "HTTP", "HtTpS"]),
    st.sampled_from(["example.com", "WWW.Example.COM", "news.example.co.uk", "127.0.0.1", "xn--bcher-kva.example"]),
    st.sampled_from(["", ":80", ":443", ":8080"]),
    st.lists(_segment, max_size=4),
    st.lists(st.tuples(_query_name, _segment), max_size=4),
    st.one_of(st.none(), _segment),
)


@settings(max_examples=400, deadline=None)
@given(urls)
@example("http://a.com/\x85")  # str.strip() took NEL for whitespace and emptied the path
@example("http://a.com/x\xa0")
def test_canonicalize_is_idempotent_and_keeps_the_path(url: str) -> None:
    once = canonicalize(url)
    assert canonicalize(once) == once
    assert "#" not in once
    names = [name.lower() for name, _ in parse_qsl(urlsplit(once).query, keep_blank_values=True)]
    assert not any(name.startswith("utm_") or name in ("fbclid", "gclid") for name in names)
    # the path survives (modulo percent-encoding): never dropped, never emptied
    # (a path of nothing but control characters and spaces is no path: URL parsers strip those;
    # a backslash is a slash in http(s) URLs)
    original_path = re.sub(r"[\x00-\x20\x7f]", "", urlsplit(url).path).replace("\\", "/").strip("/")
    # "." and ".." segments are removed as RFC 3986 says ("/a/.." is "/"): what is left must stay.
    if posixpath.normpath("/" + original_path).strip("/"):
        assert urlsplit(once).path.strip("/") != ""


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_canonicalize_never_raises_on_any_text(text: str) -> None:
    assert isinstance(canonicalize(text), str)


_tags = st.sampled_from(
    [
        "p",
        "div",
        "article",
        "span",
        "h1",
        "h2",
        "section",
        "aside",
        "figure",
        "a",
        "script",
        "style",
        "table",
        "td",
        "li",
        "ul",
        "nav",
        "footer",
        "main",
        "br",
        "img",
        "iframe",
    ]
)
_words = st.lists(st.from_regex(r"[A-Za-zÀ-ÿ]{1,12}", fullmatch=True), min_size=0, max_size=40).map(" ".join)


@st.composite
def html_documents(draw: st.DrawFn) -> bytes:
    parts = ["<html><head><title>", draw(_words), "</title></head><body>"]
    for _ in range(draw(st.integers(0, 25))):
        tag = draw(_tags)
        close = draw(st.booleans())  # unclosed tags are part of the test
        parts += [f"<{tag} class='{draw(_words)[:20]}'>", draw(_words), f"</{tag}>" if close else ""]
    document = "".join(parts).encode("utf-8")
    # mutate: cut, insert NUL or invalid UTF-8, duplicate a slice
    mutation = draw(st.sampled_from(["none", "cut", "nul", "bytes", "dup"]))
    if mutation == "cut" and document:
        document = document[: draw(st.integers(0, len(document)))]
    elif mutation == "nul":
        document = document.replace(b" ", b"\0 ", 3)
    elif mutation == "bytes":
        document += draw(st.binary(max_size=64))
    elif mutation == "dup" and document:
        cut = draw(st.integers(0, len(document)))
        document = document[:cut] + document[:cut]
    return document


def _made_of(token: str, words: set[str]) -> bool:
    """Whether *token* is a run of *words* written together (word-break by dynamic programming)."""
    reachable = [True] + [False] * len(token)
    for end in range(1, len(token) + 1):
        reachable[end] = any(reachable[start] and token[start:end] in words for start in range(end))
    return reachable[-1]


def _tokens(text: str) -> set[str]:
    return set(re.findall(r"\w+", unicodedata.normalize("NFKC", text).casefold()))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(html_documents())
def test_extract_never_raises_and_never_invents_text(document: bytes) -> None:
    # Invalid bytes have no one right reading (test_extract_survives_arbitrary_bytes covers them):
    # this property is about structure, so keep the mutated document valid UTF-8.
    document = document.decode("utf-8", "ignore").encode("utf-8")
    result = extract(document, "https://example.com/news/some-story-slug/", {"Content-Type": "text/html"})
    assert isinstance(result, Article | NotAnArticle)
    if isinstance(result, Article):
        # The page's text is what its bytes say under the charset the extractor settled on.
        page = html.unescape(decode_html(document, {"Content-Type": "text/html"}))
        # Parsers join words across inline tags, dropped control characters and removed elements, so
        # an extracted token is the page's when it is page words run together.
        words: set[str] = set()
        for reading in (page, re.sub(r"<[^>]*>", " ", page), re.sub(r"[\x00-\x1f\x7f]", "", page)):
            words |= _tokens(reading)
        invented = {token for token in _tokens(result.text) if not _made_of(token, words)}
        assert not invented, invented


@settings(max_examples=40, deadline=None)
@given(
    st.binary(max_size=2000),
    st.sampled_from(["text/html", "text/html; charset=utf-16", "application/pdf", "text/html; charset=bogus", ""]),
)
def test_extract_survives_arbitrary_bytes(body: bytes, content_type: str) -> None:
    result = extract(body, "https://example.com/a-b-c/", {"Content-Type": content_type} if content_type else None)
    assert isinstance(result, Article | NotAnArticle)


# --- the WARC reader on damaged files ---------------------------------------------------------
def _sample_warc(directory: Path) -> tuple[bytes, set[bytes]]:
    bodies = {
        f"<html><body><p>story {i} ".encode() + b"text " * (50 + 40 * i) + b"</p></body></html>" for i in range(4)
    }
    with WarcWriter(directory) as writer:
        for i, body in enumerate(sorted(bodies)):
            writer.write_exchange(
                ExchangeRequest("GET", f"http://example.com/news/story-{i}/", [("Host", "example.com")]),
                ExchangeResponse(200, "OK", [("Content-Type", "text/html; charset=utf-8")], body),
            )
    (path,) = directory.glob("*.warc.gz")
    return path.read_bytes(), bodies


_WARC_DIR = Path(tempfile.mkdtemp(prefix="newsarchive-fuzz-"))
_WARC, _BODIES = _sample_warc(_WARC_DIR)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(st.tuples(st.integers(0, len(_WARC) - 1), st.integers(0, 255)), max_size=6),
    st.integers(0, len(_WARC)),
    st.binary(max_size=40),
)
def test_warc_reader_never_raises_and_never_yields_damaged_payloads(
    flips: list[tuple[int, int]], cut: int, garbage: bytes
) -> None:
    data = bytearray(_WARC)
    for position, value in flips:
        data[position] = value
    damaged = bytes(data[:cut]) + garbage
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "damaged.warc.gz"
        path.write_bytes(damaged)
        reader = WarcReader([path])
        records = list(reader)
    for record in records:
        assert record.payload in _BODIES  # a corrupted payload fails its digest and is skipped
    if damaged == _WARC:
        assert len(records) == len(_BODIES) and reader.stats.skipped == 0
