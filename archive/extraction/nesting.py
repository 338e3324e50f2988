"""Input nested deeper than the code reading it can follow: that part is skipped or flattened, and
the rest of the page is extracted as usual.

Parsers recurse once per level of nesting. A page may nest 100,000 levels (a JSON-LD block of
brackets, a script's state blob, a tower of ``<div>`` in an ad), and an error raised that deep
would cost the whole page ("document too complex"), or, in the HTML parser, everything after it:

* JSON: :func:`load_json` and :func:`decode_json_at` raise ``ValueError`` for JSON nested beyond
  what ``json`` can parse, as for any other bad JSON, so each reader skips that one blob;
* HTML: libxml2 stops parsing at 256 levels and drops the rest of the document (the story after a
  deep ad block with it). A tree that gets that deep is parsed again with libxml2's larger limit,
  then flattened below :data:`MAX_HTML_DEPTH`, so no tree walker recurses deeper than on a normal
  page. Beyond that larger limit (2,048 levels) libxml2 still drops the rest: no real page is that
  deep.
"""

from __future__ import annotations

import json
from typing import Any

import lxml.html
from lxml import etree
from lxml.html import HtmlElement

# Deeper than any page a person wrote (news pages nest 20-40 levels); below libxml2's default limit
# (256), which is where a tree that reaches it may have lost the rest of its document.
MAX_HTML_DEPTH = 200
_REACHES_MAX_DEPTH = etree.XPath("boolean(" + "/*" * (MAX_HTML_DEPTH + 1) + ")")
# trafilatura's parser (trafilatura.utils.HTML_PARSER), with libxml2's larger depth limit.
_DEEP_HTML_PARSER = lxml.html.HTMLParser(
    collect_ids=False, default_doctype=False, encoding="utf-8", remove_comments=True, remove_pis=True, huge_tree=True
)


def load_json(text: str, *, strict: bool = True) -> Any:
    """``json.loads(text)``; ``ValueError`` for bad JSON, nested too deep to parse included."""
    try:
        return json.loads(text, strict=strict)
    except RecursionError:
        raise ValueError("JSON nested too deep to parse") from None


def decode_json_at(decoder: json.JSONDecoder, text: str, start: int) -> tuple[Any, int]:
    """``decoder.raw_decode(text, start)``; ``ValueError`` as :func:`load_json` raises it."""
    try:
        return decoder.raw_decode(text, start)
    except RecursionError:
        raise ValueError("JSON nested too deep to parse") from None


def within_depth(tree: HtmlElement, html: str) -> HtmlElement:
    """*tree* (parsed from *html*), or, when it is nested deeper than :data:`MAX_HTML_DEPTH`, *html*
    parsed again past libxml2's default depth limit and flattened to that depth."""
    if not _REACHES_MAX_DEPTH(tree):
        return tree
    try:
        deep = lxml.html.fromstring(html.encode("utf-8", "replace"), parser=_DEEP_HTML_PARSER)
    except (etree.ParserError, ValueError):
        return tree
    _flatten(deep, MAX_HTML_DEPTH)
    return deep


def _flatten(tree: HtmlElement, depth: int) -> None:
    """Replace the subtree of every element *depth* levels down by the text it holds."""
    level = 0
    cut: list[HtmlElement] = []
    for event, element in etree.iterwalk(tree, events=("start", "end")):
        if event == "end":
            level -= 1
            continue
        level += 1
        if level == depth and len(element):
            cut.append(element)
    for element in cut:
        text = element.text_content()
        for child in list(element):
            element.remove(child)  # with its tail, which text_content() has taken in already
        element.text = text
