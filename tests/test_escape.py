"""The one escaping helper: user text shown as typed in Streamlit markdown, Plotly labels and the terminal.

Markdown is checked against an independent CommonMark + GFM renderer (markdown-it-py with linkify, tables,
strikethrough and dollar math) and against the very patterns GFM (mdast-util-gfm-autolink-literal), remark-emoji
and Streamlit's markdown component apply to text after parsing; the browser test checks the real thing.
"""

from __future__ import annotations

import html
import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from mdit_py_plugins.dollarmath import dollarmath_plugin

from funnel.escape import WORD_JOINER, markdown, plotly, terminal

RENDERER = (
    MarkdownIt("commonmark", {"linkify": True})
    .enable(["linkify", "table", "strikethrough"])
    .use(dollarmath_plugin, allow_space=True, allow_digits=True, double_inline=True)
)
HOSTILE = [
    "[login](https://x.y)",
    "**b**",
    "_i_",
    "$$x$$",
    "$x$",
    ":red[x]",
    ":blue-background[x]",
    ":material/home:",
    ":smile:",
    "http://a.b",
    "https://evil.example/path?q=1",
    "www.a.b",
    "WWW.a.b",
    "a@b.cd",
    "mailto:a@b.cd",
    "<a href='http://x.y'>x</a>",
    "<b>b</b>",
    '<span style="color:red">r</span>',
    "&amp; &lt;b&gt; &#60;",
    "# heading",
    "- item",
    "1. item",
    "> quote",
    "| a | b |",
    "`code`",
    "~~s~~",
    "![img](http://x.y/i.png)",
    "[^1]",
    "a\n\n    code\n===",
    "\\*",
]
# What GFM and Streamlit turn into links, emoji, icons or formulas after the markdown is parsed (their own regexes,
# ASCII \w as in JavaScript, without the "what comes before" checks: stricter than the real thing).
GFM_URL = re.compile(r"(https?://|www(?=\.))[-.\w]+", re.IGNORECASE | re.ASCII)
GFM_EMAIL = re.compile(r"[-.\w+]+@[-\w]+(?:\.[-\w]+)+", re.ASCII)
EMOJI = re.compile(r":\+1:|:-1:|:[\w-]+:", re.ASCII)
STREAMLIT_EMOJI_SOURCE = re.compile(r":(?!material/|streamlit:)[\w+-][\w_+-]*:", re.ASCII)
STREAMLIT_MATH_IGNORED = re.compile(
    r"(?:^|(?<=\n)) {0,3}(`{3,}|~{3,})[\s\S]*?(?:\n[ \t]*\1|$)"  # fenced code
    r"|(?<!`)(`+)[^`\n]+\2(?!`)"  # code spans
    r"|\\[\\$`]"  # escaped backslash, dollar, backtick
)
INERT = {"text", "softbreak", "hardbreak"}


def shown(source: str) -> tuple[str, set[str]]:
    """(visible text, token types) of a markdown source as the renderer parses it."""
    tokens = RENDERER.parse(source)
    kinds = {t.type for t in tokens}
    parts = []
    for token in tokens:
        for child in token.children or []:
            kinds.add(child.type)
            parts.append(" " if child.type in ("softbreak", "hardbreak") else child.content)
    return "".join(parts), kinds


def as_typed(text: str) -> str:
    """What a reader should see: the text itself, line breaks and runs of spaces as one space, no edge spaces."""
    text = re.sub(r"[\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f]", "\ufffd", text)
    return re.sub(r"[\t\n\v\f\r\x1c-\x1e\x85\u2028\u2029 ]+", " ", text).strip(" ")


def check_markdown(text: str) -> None:
    source = markdown(text)
    visible, kinds = shown(source)
    assert kinds <= {"paragraph_open", "inline", "paragraph_close", *INERT}, (text, kinds)
    assert visible.replace(WORD_JOINER, "") == as_typed(text).replace(WORD_JOINER, "")
    for pattern in (GFM_URL, GFM_EMAIL, EMOJI):
        assert not pattern.search(visible), (text, visible)
    assert not STREAMLIT_EMOJI_SOURCE.search(source)  # Streamlit loads remark-emoji only on this
    assert ":material/" not in source  # Streamlit rewrites this to an icon before parsing
    assert "$" not in STREAMLIT_MATH_IGNORED.sub("_", source)  # Streamlit loads KaTeX only when a $ survives this


@pytest.mark.parametrize("text", HOSTILE)
def test_markdown_shows_hostile_text_as_typed(text):
    check_markdown(text)


def test_markdown_of_ordinary_names_only_adds_backslashes():
    assert markdown("华东区（上海）有限公司") == "华东区（上海）有限公司"
    assert markdown("A.B. Co., Ltd") == "A\\.B\\. Co\\.\\, Ltd"


# Characters that matter to markdown, GFM, Streamlit and Plotly, mixed with anything at all.
SPECIAL = st.sampled_from([*"\\`*_{}[]()#+-.!|<>~$:@&;=/'\" \n\t", "http://", "www.", "$$", "**", "\n\n    "])
TEXT = st.lists(st.one_of(SPECIAL, st.text(max_size=4), st.sampled_from(["a", "b", "1", "x.y", "cd"])), max_size=25)


@settings(max_examples=600, deadline=None, database=None)
@given(TEXT.map("".join))
@example("a@b.cd")
@example("www.a.b")
def test_markdown_escaping_holds_for_any_text(text):
    check_markdown(text)


# --- Plotly: a port of plotly.js' convertEntities (svg_text_utils), the only decoding Plotly applies to text.
PLOTLY_ENTITIES = {
    **{"amp": "&", "lt": "<", "gt": ">", "nbsp": "\u00a0"},
    **{"mu": "μ", "times": "×", "plusmn": "±", "deg": "°"},
}


def plotly_decode(text: str) -> str:
    def one(match: re.Match) -> str:
        inner = match.group(1)
        if inner.startswith("#x"):
            return chr(int(inner[2:], 16))
        if inner.startswith("#"):
            return chr(int(inner[1:]))
        return PLOTLY_ENTITIES.get(inner, match.group(0))

    return re.sub(r"&(#\d+|#x[\da-fA-F]+|[a-z]+);", one, text)


@settings(max_examples=400, deadline=None, database=None)
@given(TEXT.map("".join))
@example("<a href='http://x.y'>x</a><b>b</b><br><span style='color:red'>r</span>&lt;&#60;$x$")
def test_plotly_text_has_no_tag_and_decodes_back(text):
    out = plotly(text)
    assert "<" not in out and ">" not in out and "$" not in out
    assert plotly_decode(out) == text
    assert html.unescape(out) == text


def test_plotly_known_answer():
    assert plotly("<b>甲</b> & $1$") == "&lt;b&gt;甲&lt;/b&gt; &amp; &#36;1&#36;"


# --- Terminal
def test_terminal_removes_escape_sequences_and_controls():
    evil = "\x1b[31mred\x1b[0m \x1b]0;title\x07ok \x9b2J\x1b(B\x1bc\x00\x08\u202egnp.exe\u202c\ttab\r\n"
    assert terminal(evil) == "red ok gnp.exe tab  "
    assert terminal("a\x1b[2Jb\nc", keep_newlines=True) == "ab\nc"
    assert terminal("\x1b]8;;http://x.y\x1b\\link\x1b]8;;\x1b\\") == "link"


@settings(max_examples=300, deadline=None, database=None)
@given(st.text())
def test_terminal_output_has_no_control_character(text):
    out = terminal(text)
    assert not re.search(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", out)
    clean = re.sub(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]", "", text)
    if clean == text:
        assert out == text  # ordinary text is never touched
