"""User text (titles, notes, file names) made safe to show: as text, never as markup.

Streamlit renders most element bodies and widget labels as Markdown (links, images that every
viewer's browser fetches, ``:red[...]``, ``$...$`` maths, emoji and icon shortcodes, HTML entities).
:func:`plain` backslash-escapes every character that starts such markup (CommonMark lets any ASCII
punctuation be escaped and shows it as itself), breaks ``www.`` and e-mail autolinks, joins lines,
and drops the Unicode direction controls (U+202E "right-to-left override" makes ``gnp.exe`` read
``exe.png``). :func:`neutral` only does the last two, for places that show text as it is
(select box options, file names of downloads). Escaping beats ``st.text``: the pages keep their
layout (bold card titles, captions) and a project sentence that embeds a user's name stays one
element.
"""

from __future__ import annotations

import re

_DIRECTION_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_LINE_BREAKS = re.compile(r"[\r\n\t\v\f\u2028\u2029\x85]+")
# every ASCII character that opens Markdown, GFM, Streamlit directives or HTML; "." and "@" too
# where an autolink (www.example.com, someone@example.com) or an ordered list ("1.") could start
_MARKUP = re.compile(r"([\\`*_{}\[\]()<>#+\-!|~$:&=^\"]|(?<=www)\.|(?<=\d)\.|@)", re.IGNORECASE)


def neutral(text: object) -> str:
    """``text`` on one line, without direction controls."""
    return _LINE_BREAKS.sub(" ", _DIRECTION_CONTROLS.sub("", str(text)))


def plain(text: object) -> str:
    """``text`` escaped for Streamlit's Markdown: it renders exactly as the characters typed."""
    return _MARKUP.sub(r"\\\1", neutral(text))


def clip(text: str, limit: int) -> str:
    """At most ``limit`` characters, ending in "…" when cut (cards show long titles in one line or two)."""
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"
