"""User text made inert for where it is shown: Streamlit markdown, Plotly labels, a terminal.

Every customer, product, stage, group, sheet, column or file name that comes from an upload passes through one of
these before it is shown, so a header such as ``[login](https://x.y)``, ``**b**``, ``$$x$$``, ``:red[x]``,
``http://a.b``, ``a@b.cd`` or ``<a href=…>`` is shown as typed, never as a link, formatting, formula or colour.
"""

from __future__ import annotations

import re
import string

# --- Streamlit markdown (st.caption / st.error / widget labels…): CommonMark + GFM + Streamlit's own extensions.
# A backslash makes any ASCII punctuation literal (CommonMark §2.4): links, emphasis, headings, lists, tables, code,
# HTML, entities, KaTeX ($), colour directives (:red[…]) and ":material/…" icons all start with one.
# Escapes are not enough for what GFM and Streamlit find *after* parsing, in the text itself: bare URLs
# (http://…, www.…), e-mail addresses and emoji shortcodes (:smile:). Those patterns are broken with an invisible
# WORD JOINER (U+2060: zero width, no line break, not a letter): after every ':' (http:⁠//, :⁠smile:), after a
# 'www' that precedes a dot, and before every '@'. What the reader sees is exactly the input.
WORD_JOINER = "\u2060"
_MARKDOWN = str.maketrans({ch: "\\" + ch for ch in string.punctuation})
_LINE_BREAKS = re.compile(r"[\t\n\v\f\r\x1c-\x1e\x85\u2028\u2029 ]+")
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f]")
_WWW = re.compile(r"(www)(?=\\\.)", re.IGNORECASE)


def markdown(text: object) -> str:
    """`text` for Streamlit markdown: shown exactly as typed (runs of spaces and line breaks shown as one space),
    never as a link, autolink, formatting, heading, list, table, formula, colour, emoji or HTML.

    >>> markdown("**b** http://a.b")
    '\\\\*\\\\*b\\\\*\\\\* http\\\\:\\u2060\\\\/\\\\/a\\\\.b'
    """
    s = _CONTROLS.sub("\ufffd", str(text))
    s = _LINE_BREAKS.sub(" ", s)  # a line break could start a block (list, heading, code) on the next line
    s = s.translate(_MARKDOWN)
    s = s.replace("\\:", "\\:" + WORD_JOINER).replace("\\@", WORD_JOINER + "\\@")
    return _WWW.sub(r"\1" + WORD_JOINER, s)


# --- Plotly: legends, axis and category labels, hover text and titles take a small HTML subset (<a href>, <b>, <i>,
# <br>, <span style>, <sup>, <sub>) and entities (&lt; &#60;). Encoding & < > as entities shows them as typed;
# '$' is encoded too, because Plotly typesets $…$ as TeX wherever MathJax is on the page.
_PLOTLY = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "$": "&#36;"})


def plotly(text: object) -> str:
    """`text` for a Plotly label or title: shown as typed, never as a tag, link, style or TeX.

    >>> plotly('<b>x</b> & $y$')
    '&lt;b&gt;x&lt;/b&gt; &amp; &#36;y&#36;'
    """
    return str(text).translate(_PLOTLY)


def plotly_all(values: object) -> list[str]:
    """plotly() over a list of names (categories, legend entries, node labels)."""
    return [plotly(v) for v in values]  # type: ignore[union-attr]


# --- Terminal: what the CLI prints from a file must not move the cursor, recolour, retitle or rewrite the screen.
# ANSI/VT escape sequences (CSI, OSC, DCS… in 7-bit and 8-bit form) are removed whole; any other control character,
# and the bidirectional overrides that reorder what is shown (U+202A–202E, U+2066–2069), is removed too.
_ANSI = re.compile(
    r"""
    \x1b\[[0-?]*[ -/]*[@-~]?            # CSI … final byte
  | \x9b[0-?]*[ -/]*[@-~]?              # 8-bit CSI
  | (?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c\n]*(?:\x07|\x1b\\|\x9c)?  # OSC, DCS, SOS, PM, APC … ST
  | \x1b[ -/]*[0-~]?                    # two- and three-byte escapes (ESC c, ESC ( B, ESC 7…)
    """,
    re.VERBOSE,
)
_TERMINAL_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_JSON_UNSAFE = re.compile(r"[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def terminal(text: object, keep_newlines: bool = False) -> str:
    """`text` safe to print: escape sequences and control characters removed (a tab or line break inside a name
    becomes a space, so it cannot break the table it sits in); `keep_newlines` keeps the line breaks of our own
    multi-line output."""
    s = _ANSI.sub("", str(text))
    if keep_newlines:
        s = s.replace("\r\n", "\n").replace("\t", " ")
        return "\n".join(_TERMINAL_CONTROLS.sub("", line) for line in s.split("\n"))
    s = re.sub(r"[\t\n\r]", " ", s)
    return _TERMINAL_CONTROLS.sub("", s)


def terminal_json(text: str) -> str:
    """JSON text (from json.dumps, which escapes C0 controls) with the C1 controls and bidi marks it leaves raw
    written as \\u escapes too: the same data, nothing a terminal acts on."""
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)
