"""Model-written markdown to HTML a browser can show safely.

Model output is untrusted: markdown-it renders with raw HTML turned off (any tag
in the text comes out as text), then nh3 (the Ammonia sanitizer) keeps only a
small set of formatting tags: no scripts, no inline handlers or styles, no
images (so nothing is loaded from elsewhere) and links only to http(s)/mailto.
The page's Content-Security-Policy is the second wall.
"""

from __future__ import annotations

import json
from typing import Any

import nh3
from markdown_it import MarkdownIt

_MD = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
_TAGS = {
    "a", "p", "br", "hr", "strong", "em", "code", "pre", "blockquote",
    "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6",
    "table", "thead", "tbody", "tr", "th", "td", "del",
}  # fmt: skip
_ATTRIBUTES = {"a": {"href", "title"}}


def markdown_html(text: str) -> str:
    """Sanitized HTML of the markdown ``text`` (safe to insert unescaped)."""
    return nh3.clean(
        _MD.render(text),
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


def pretty(value: Any) -> str:
    """A value as indented JSON text, for a ``<pre>`` (escaped by the template)."""
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)
