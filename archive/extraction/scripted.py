"""Pages whose story a script builds in the browser: the HTML holds the site's chrome and an empty
container, and the text comes later from an API. Such a page has no text to extract from its
markup, and storing the masthead as its story would be junk: it is ``NotAnArticle(kind="script-built")``,
a hint that the site needs render mode (``render = true`` in sites.toml)."""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree
from lxml.html import HtmlElement

from archive.extraction.normalize import clean, norm

# Scripts that run: external or inline code, not data blocks (JSON-LD, templates, JSON state).
_CODE_SCRIPTS = etree.XPath("//script[not(@type) or @type='' or contains(@type, 'javascript') or @type='module']")
_HAS_TEXT = etree.XPath("boolean(normalize-space(.))")
_XML_SPACE = " \t\n\r"  # what normalize-space() takes for whitespace


def _runs(script: HtmlElement) -> bool:
    """[@src or normalize-space(.)], without building the normalized copy of a large inline script's code."""
    if script.get("src") is not None:
        return True
    if len(script):  # not text alone (the parser gives a script none but its text): XPath's own reading
        return bool(_HAS_TEXT(script))
    return bool((script.text or "").strip(_XML_SPACE))


def _running_scripts(tree: HtmlElement) -> int:
    return sum(1 for script in _CODE_SCRIPTS(tree) if _runs(script))


# Where a page's story goes; empty of text and media, it is a hole a script fills.
_CONTAINERS = etree.XPath("//body//article | //body//main | //body//*[@role='main']")
_MEDIA = etree.XPath(".//*[self::img or self::video or self::iframe or self::picture or self::svg or self::canvas]")
# The site's chrome, the same on every page: what is left when the story is missing.
_CHROME = etree.XPath(
    "//body//*[self::header or self::footer or self::nav or @role='banner' or @role='navigation'"
    " or @role='contentinfo']"
)


def _text(el: HtmlElement) -> str:
    return clean(" ".join(el.itertext()))


def _has_text(el: HtmlElement) -> bool:
    """Whether ``_text(el)`` is not empty, from the first visible character: a story container holds
    the whole story, and reading all of it to learn that it is not empty was 6 % of extraction."""
    return any(clean(chunk) for chunk in el.itertext())


def _hollow(tree: HtmlElement) -> bool:
    """A story container with no text and no media inside: there is no markup the story is in."""
    return any(not _has_text(el) and not _MEDIA(el) for el in _CONTAINERS(tree))


def _chrome_text(tree: HtmlElement) -> str:
    return norm(" ".join(_text(el) for el in _CHROME(tree)))


@dataclass(frozen=True, slots=True)
class ScriptedShell:
    """A page that looks built by its scripts: what its markup held before cleaning edited the tree."""

    scripts: int
    chrome: str  # the header, navigation and footer text, compared by ``norm``


def scripted_shell(tree: HtmlElement) -> ScriptedShell | None:
    """Running scripts and an empty story container (read before the tree is cleaned), or None."""
    scripts = _running_scripts(tree)
    if not scripts or not _hollow(tree):
        return None
    return ScriptedShell(scripts, _chrome_text(tree))


def script_built_reason(shell: ScriptedShell | None, text: str) -> str | None:
    """Why *text* (what extraction found) is not the story of a page that looks script-built
    (*shell*) but its leftovers: a text that is empty or nothing but lines of the page's header,
    navigation and footer. None when it is more, or when the page is no shell."""
    if shell is None:
        return None
    lines = [norm(line) for line in text.splitlines() if clean(line)]
    if any(line not in shell.chrome for line in lines):
        return None
    leftover = "only the site's header and footer" if lines else "no text"
    return f"script-built: an empty story container, {shell.scripts} script(s), {leftover}; render the site to read it"
