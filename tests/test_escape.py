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
    """What a reader should see: the text itself, line breaks and runs of spaces as one space, no white space at
    the edges (a renderer trims it, non-breaking spaces included)."""
    text = re.sub(r"[\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f]", "\ufffd", text)
    return re.sub(r"[\t\n\v\f\r\x1c-\x1e\x85\u2028\u2029 ]+", " ", text).strip()  # renderers trim the edges


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
@example("\xa0")
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


# --- Charts: every user-supplied name reaches Plotly escaped, and decodes back to exactly what was typed.
EVIL = ["<a href='http://x.y'>点我</a>", "<b>粗</b>", '<span style="color:red">红</span>', "$x$ & co"]


def test_stage_charts_escape_stage_and_group_names():
    import pandas as pd

    from funnel.charts import compare_chart, grouped_funnel_chart, stage_funnel_chart
    from funnel.stages import breakdown, prepare_deals, stage_funnel

    stages = [EVIL[0], EVIL[1], "成交"]
    frame = pd.DataFrame(
        {
            "商机编号": ["D1", "D2", "D3", "D4"],
            "客户名称": ["甲", "乙", "丙", "丁"],
            "销售阶段": [EVIL[0], EVIL[1], "成交", EVIL[1]],
            "预计金额": [1, 2, 3, 4],
            "业务员": [EVIL[2], EVIL[3], EVIL[2], EVIL[3]],
        }
    )
    deals = prepare_deals(frame, stages).deals
    funnel = stage_funnel(deals, stages)
    figures = [
        stage_funnel_chart(funnel),
        grouped_funnel_chart(breakdown(deals, stages, "rep")),
        compare_chart(funnel, funnel),
    ]
    for fig in figures:
        for trace in fig.data:
            assert [plotly_decode(y) for y in trace.y] == stages
            assert all("<" not in y for y in trace.y)
    legend = [trace.name for trace in figures[1].data]
    assert sorted(plotly_decode(n) for n in legend) == sorted([EVIL[2], EVIL[3]])
    assert not any("<" in n or "$" in n for n in legend)


def test_pareto_hover_escapes_customer_names_and_sankey_labels_carry_no_tag():
    import pandas as pd

    from funnel.bands import customer_totals
    from funnel.charts import migration_sankey, pareto_chart
    from funnel.keycustomers import key_customers
    from funnel.migration import migrate
    from funnel.schema import prepare_sales

    frame = pd.DataFrame(
        {
            "客户名称": EVIL,
            "价税合计": [100, 200, 300, 400],
            "日期": ["2025-01-01", "2025-02-01", "2026-01-01", "2026-02-01"],
        }
    )
    lines = prepare_sales(frame).lines
    fig = pareto_chart(key_customers(lines, customer_totals(lines)))
    hovered = [row[0] for trace in fig.data if trace.customdata is not None for row in trace.customdata]
    assert sorted(plotly_decode(h) for h in hovered) == sorted(EVIL)
    assert not any("<" in h for h in hovered)
    result = migrate(
        lines[lines["date"] < "2026-01-01"],
        lines[lines["date"] >= "2026-01-01"],
        [10, 250],
        "en",
        "<b>old.xlsx</b>",
        "new.xlsx",
    )
    labels = migration_sankey(result, "en").data[0].node.label
    assert labels and not any("<" in label for label in labels)


# --- Error messages: the parameters that come from a file are escaped and shortened, never the template.
def test_error_parameters_are_escaped_not_the_template():
    from funnel.errors import FunnelError

    exc = FunnelError("schema_unknown_column", role=("role_customer",), column="[login](https://x.y)")
    text = exc.message("en", escape=markdown)
    assert text.startswith("The Customer column “\\[login\\]\\(https\\:")  # the template's own text untouched
    visible, kinds = shown(text)
    assert "link_open" not in kinds
    assert (
        visible.replace(WORD_JOINER, "")
        == "The Customer column “[login](https://x.y)” is not in the file; choose again."
    )


def test_an_error_listing_every_column_is_cut_to_a_readable_length():
    import pandas as pd

    from funnel.errors import FunnelError
    from funnel.schema import prepare_sales

    # as many columns as a file may have (the read limit is 2,000), named so that listing them all is ~700,000 chars
    frame = pd.DataFrame([[1] * 2_000], columns=[f"column_{i:05d}" + "x" * 340 for i in range(2_000)])
    with pytest.raises(FunnelError) as err:
        prepare_sales(frame)
    assert len("、".join(frame.columns)) > 690_000
    en, zh = err.value.message("en"), err.value.message("zh")
    assert len(en) < 400 and len(zh) < 400
    assert "column_00000" in en and en.endswith(" … and 1,999 more. Choose them yourself under “Column mapping”.")
    assert "……等另外 1,999 项" in zh


def test_terminal_json_keeps_the_data_as_escapes():
    import json

    from funnel.escape import terminal_json

    data = {"name": "\x9b2J\u202egnp.exe\u2028", "n": 1}
    text = terminal_json(json.dumps(data, ensure_ascii=False))
    assert json.loads(text) == data
    assert terminal(text, keep_newlines=True) == text  # nothing left for a terminal to act on
