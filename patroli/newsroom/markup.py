"""Markdown in, sanitised HTML out: what an editor writes can never run script on a reader."""

import html

import markdown
import nh3

TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "b",
    "i",
    "blockquote",
    "ul",
    "ol",
    "li",
    "h2",
    "h3",
    "h4",
    "a",
    "hr",
    "code",
    "pre",
}
ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = {"http", "https", "mailto"}


def render_markdown(text: str) -> str:
    html = markdown.markdown(text or "", extensions=["sane_lists"], output_format="html")
    return nh3.clean(
        html,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )


def plain_text(text: str) -> str:
    """The words of a Markdown text without any markup (for summaries and meta tags)."""
    return html.unescape(nh3.clean(render_markdown(text), tags=set())).strip()
