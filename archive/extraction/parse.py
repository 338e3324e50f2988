"""The page's text as a tree: trafilatura's ``load_html`` for a decoded page, without its slowest step when it has
nothing to do.

``load_html`` deletes the characters XML forbids with a regular expression run over the whole page, which costs
more than a third of the parse itself (about 1 ms of a 300 KB page), and on almost every page deletes nothing. Here
a page is looked at for those characters at C speed first: one that has any goes through ``load_html`` itself; the
others take the same steps without the deletion. tests/test_extract_equivalence.py holds the two to the same trees.
"""

from __future__ import annotations

from lxml.html import HtmlElement, fromstring
from trafilatura.utils import DOCTYPE_TAG, FAULTY_HTML, HTML_PARSER, fromstring_bytes, is_dubious_html, load_html

# trafilatura.utils.INVALID_XML_CHARS: C0 controls but tab, newline and carriage return, and U+FFFE, U+FFFF.
_CONTROL_BYTES = bytes(range(0x20)).translate(None, b"\t\n\r")


# The last page looked at and the answer: a worker asks twice about each page (its parse, then whether
# Scrapy's selector would parse the same tree), and the look costs about 0.4 ms of a 300 KB page.
_last_looked_at: tuple[str, bool] | None = None


def has_invalid_xml_chars(html: str) -> bool:
    """Whether *html* holds a character trafilatura deletes before parsing (its ``INVALID_XML_CHARS``)."""
    global _last_looked_at
    last = _last_looked_at
    if last is not None and last[0] is html:
        return last[1]
    # A C0 control is one byte in UTF-8, and no other character's encoding holds such a byte.
    encoded = html.encode("utf-8", "surrogatepass")
    found = "\ufffe" in html or "\uffff" in html or len(encoded.translate(None, _CONTROL_BYTES)) != len(encoded)
    _last_looked_at = (html, found)
    return found


def self_closing_html(html: str) -> bool:
    """An ``<html .../>`` in the first lines, which trafilatura opens before parsing (its
    ``repair_faulty_html``), while libxml2 alone ends the document there."""
    return any("<html" in line and line.endswith("/>") for line in html[:4096].splitlines()[:4])


def parse_html(html: str) -> HtmlElement | None:
    """``trafilatura.utils.load_html(html)``: the same tree, or None where it gives None."""
    if has_invalid_xml_chars(html):
        return load_html(html)
    # What load_html does with a str, but for the deletion of characters the page does not have
    # (trafilatura.utils.repair_faulty_html and the parse after it).
    beginning = html[:50].lower()
    check_flag = is_dubious_html(beginning)
    if "doctype" in beginning:
        firstline, _, rest = html.partition("\n")
        html = DOCTYPE_TAG.sub("", firstline, count=1) + "\n" + rest
    if self_closing_html(html):
        html = FAULTY_HTML.sub(r"\1>", html, count=1)
    tree: HtmlElement | None = None
    fallback_parse = False
    try:
        tree = fromstring(html, parser=HTML_PARSER)
    except ValueError:  # "Unicode strings with encoding declaration are not supported."
        tree = fromstring_bytes(html)
        fallback_parse = True
    except Exception:  # load_html logs lxml's failure and goes on with no tree
        tree = None
    if (tree is None or len(tree) < 1) and not fallback_parse:
        tree = fromstring_bytes(html)
    if tree is not None and check_flag is True and len(tree) < 2:
        tree = None
    return tree
