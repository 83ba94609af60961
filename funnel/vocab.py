"""Stage vocabularies: the words CRMs and the source document use for sales stages, won and lost.

Built in: the source document's four templates (DOMAIN.md §3), and the default pipelines of Salesforce
(opportunity stages with their default probabilities), HubSpot (labels and internal ids such as
`appointmentscheduled`), Pipedrive, Zoho, Dynamics 365 (its sales process Qualify → Develop → Propose → Close, with
won and lost as a status), Odoo (New → Qualified → Proposition → Won), the public "CRM sales opportunities" table
(Prospecting → Engaging → Won/Lost), and Chinese CRMs (销售易, 纷享销客, 用友, 金蝶: 验证客户/初步接洽 → 需求确定 →
方案/报价 → 谈判审核 → 赢单/输单 and their variants). Won and lost words of every vocabulary are terminal.
Values are compared by `stage_key`: width, case, spaces, punctuation, a leading step number ('3. 提案',
'1-Qualify') and a trailing percentage ('谈判 (70%)') do not matter.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

WON, LOST = "__won__", "__lost__"


def stage_key(value: object) -> str:
    """A stage value as compared: NFKC, case-folded, no step number, percentage, spaces or punctuation."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    text = unicodedata.normalize("NFKC", str(value)).casefold().strip()
    text = re.sub(r"^\s*(?:\d{1,2}\s*[.、)）:：\-–_]|[a-z][.)])\s*", "", text)
    text = re.sub(r"[(（]?\s*\d{1,3}(?:\.\d+)?\s*%\s*[)）]?\s*$", "", text)
    return re.sub(r"[\s\-–—_/\\.,，、:：;；'\"“”‘’()（）\[\]【】]+", "", text)


@dataclass(frozen=True)
class Vocabulary:
    """One system's stage list: (display name, default probability or None, other spellings) per open stage,
    then its won and lost words (the first of each is the display name)."""

    name: str
    label: str
    stages: tuple[tuple[str, float | None, tuple[str, ...]], ...]
    won: tuple[str, ...]
    lost: tuple[str, ...] = ()
    template: bool = False  # a template of the source document: its whole list is the funnel

    def stage_keys(self) -> list[set[str]]:
        """Per open stage, every key it is known by."""
        return [{stage_key(name), *map(stage_key, aliases)} for name, _, aliases in self.stages]


def _t(name: str, label: str, zh: Sequence[str], en: Sequence[str]) -> tuple[Vocabulary, Vocabulary]:
    """A template in both languages, each knowing the other's names; its last stage is its won step."""
    pairs = list(zip(zh, en, strict=True))
    return (
        Vocabulary(f"{name}_zh", label, tuple((z, None, (e,)) for z, e in pairs[:-1]), pairs[-1], (), True),
        Vocabulary(f"{name}_en", label, tuple((e, None, (z,)) for z, e in pairs[:-1]), pairs[-1][::-1], (), True),
    )


TEMPLATE_VOCABULARIES: dict[str, tuple[Vocabulary, Vocabulary]] = {
    "lead": _t(
        "lead",
        "lead",
        ("潜在客户", "初步接触", "意向", "提案", "谈判", "成交"),
        ("Leads", "Contact", "Engagement", "Proposal", "Negotiation", "Closed"),
    ),
    "key4": _t(
        "key4",
        "key4",
        ("目标市场", "潜在客户", "目标客户", "签约客户"),
        ("Target market", "Potential", "Target", "Signed"),
    ),
    "key_account": _t(
        "key_account",
        "key_account",
        ("潜在客户开发", "需求了解与分析", "产品演示与方案制定", "商务谈判与签约", "售后服务与持续跟进"),
        ("Prospecting", "Needs analysis", "Demo and solution", "Negotiation and signing", "After-sales follow-up"),
    ),
    "aida": _t("aida", "aida", ("意识", "兴趣", "决策", "行动"), ("Awareness", "Interest", "Decision", "Action")),
}

CRM_VOCABULARIES: tuple[Vocabulary, ...] = (
    Vocabulary(
        "salesforce",
        "Salesforce",
        (
            ("Prospecting", 0.10, ()),
            ("Qualification", 0.10, ()),
            ("Needs Analysis", 0.20, ()),
            ("Value Proposition", 0.50, ()),
            ("Id. Decision Makers", 0.60, ("Identify Decision Makers", "Id Decision Makers")),
            ("Perception Analysis", 0.70, ()),
            ("Proposal/Price Quote", 0.75, ("Proposal / Price Quote",)),
            ("Negotiation/Review", 0.90, ("Negotiation / Review",)),
        ),
        ("Closed Won",),
        ("Closed Lost",),
    ),
    Vocabulary(
        "hubspot",
        "HubSpot",
        (
            ("Appointment Scheduled", 0.20, ("appointmentscheduled",)),
            ("Qualified To Buy", 0.40, ("qualifiedtobuy",)),
            ("Presentation Scheduled", 0.60, ("presentationscheduled",)),
            ("Decision Maker Bought-In", 0.80, ("decisionmakerboughtin", "Decision Maker Bought In")),
            ("Contract Sent", 0.90, ("contractsent",)),
        ),
        ("Closed Won", "closedwon"),
        ("Closed Lost", "closedlost"),
    ),
    Vocabulary(
        "pipedrive",
        "Pipedrive",
        (
            ("Qualified", None, ("Lead In", "Lead-in")),
            ("Contact Made", None, ()),
            ("Demo Scheduled", None, ("Needs Defined",)),
            ("Proposal Made", None, ()),
            ("Negotiations Started", None, ()),
        ),
        ("Won",),
        ("Lost",),
    ),
    Vocabulary(
        "zoho",
        "Zoho CRM",
        (
            ("Qualification", 0.10, ()),
            ("Needs Analysis", 0.20, ()),
            ("Value Proposition", 0.40, ()),
            ("Identify Decision Makers", 0.60, ("Id. Decision Makers",)),
            ("Perception Analysis", 0.70, ()),
            ("Proposal/Price Quote", 0.75, ()),
            ("Negotiation/Review", 0.90, ()),
        ),
        ("Closed Won",),
        ("Closed Lost", "Closed Lost to Competition", "Closed-Lost to Competition"),
    ),
    Vocabulary(
        "dynamics",
        "Dynamics 365",
        (("Qualify", None, ()), ("Develop", None, ()), ("Propose", None, ()), ("Close", None, ())),
        ("Won",),
        ("Lost", "Canceled", "Cancelled", "Out-Sold"),
    ),
    Vocabulary(
        "odoo",
        "Odoo",
        (("New", 0.10, ()), ("Qualified", 0.30, ()), ("Proposition", 0.70, ())),
        ("Won",),
        ("Lost",),
    ),
    Vocabulary(
        "crm_opportunities",
        "CRM sales opportunities",
        (("Prospecting", None, ()), ("Engaging", None, ())),
        ("Won",),
        ("Lost",),
    ),
    Vocabulary(
        "xiaoshouyi",
        "销售易 / 纷享销客",
        (
            ("验证客户", 0.10, ("初步接洽", "初步接触", "初步洽谈", "线索验证")),
            ("需求确定", 0.30, ("需求确认", "需求分析")),
            ("方案/报价", 0.60, ("方案报价", "方案")),
            ("谈判审核", 0.80, ("商务谈判", "谈判", "合同审核")),
        ),
        ("赢单", "成交", "已成交", "签约", "已签约"),
        ("输单", "丢单", "无效"),
    ),
    Vocabulary(
        "kingdee",
        "金蝶 / 用友 CRM",
        (
            ("初步接洽", 0.10, ("初步接触", "初步洽谈")),
            ("需求确认", 0.25, ("需求确定", "需求分析")),
            ("方案设计", 0.45, ("方案制定", "方案")),
            ("报价", 0.65, ("商务报价",)),
            ("谈判", 0.80, ("商务谈判", "合同谈判")),
        ),
        ("成交", "赢单", "签约", "已签约"),
        ("丢单", "输单", "失败"),
    ),
)

_EXTRA_WON = ("won", "win", "closedwon", "dealwon", "已赢单", "签单", "已签单", "中标", "赢")
_EXTRA_LOST = (
    "lost",
    "lose",
    "closedlost",
    "deallost",
    "失败",
    "已流失",
    "流失",
    "丢失",
    "已丢单",
    "已输单",
    "未中标",
    "canceled",
    "cancelled",
    "已取消",
    "取消",
    "outsold",
    "无效",
    "作废",
    "放弃",
    "disqualified",
    "dead",
)
_OPEN_STATUS = (
    "挂起",
    "暂停",
    "搁置",
    "paused",
    "open",
    "inprogress",
    "onhold",
    "active",
    "pending",
    "进行中",
    "跟进中",
    "未结束",
    "开放",
    "进行",
    "跟进",
)

ALL_VOCABULARIES: tuple[Vocabulary, ...] = (
    *(v for pair in TEMPLATE_VOCABULARIES.values() for v in pair),
    *CRM_VOCABULARIES,
)
WON_KEYS: frozenset[str] = frozenset(
    {stage_key(w) for v in CRM_VOCABULARIES for w in v.won} | {stage_key(w) for w in _EXTRA_WON} | {"成交"}
)
LOST_KEYS: frozenset[str] = frozenset(
    {stage_key(w) for v in CRM_VOCABULARIES for w in v.lost} | {stage_key(w) for w in _EXTRA_LOST}
)
OPEN_KEYS: frozenset[str] = frozenset(stage_key(w) for w in _OPEN_STATUS)
TEMPLATE_WON_KEYS: frozenset[str] = frozenset(
    stage_key(w) for pair in TEMPLATE_VOCABULARIES.values() for w in pair[0].won
)
OPEN_STAGE_KEYS: frozenset[str] = frozenset(k for v in ALL_VOCABULARIES for keys in v.stage_keys() for k in keys)

# Words that place a custom stage name early or late in a sale (used when no vocabulary knows the values).
RANK_WORDS: tuple[tuple[float, tuple[str, ...]], ...] = (
    (0.00, ("lead", "线索", "new", "新建", "新商机", "潜在", "prospect", "初步", "接触", "接洽", "inquiry", "询价")),
    (0.00, ("appointment", "验证", "发现", "awareness", "意识", "目标市场", "intake", "unqualified")),
    (0.15, ("contact", "联系", "拜访", "visit", "meeting", "会议", "首次", "first", "intro")),
    (0.25, ("qualif", "资格", "意向", "interest", "兴趣", "engag", "intent")),
    (0.35, ("need", "需求", "discovery", "调研", "分析", "analysis", "develop", "research")),
    (0.45, ("demo", "演示", "presentation", "展示", "value", "价值", "试用", "trial", "poc", "方案", "solution")),
    (0.50, ("提案", "proposal", "propos", "evaluation", "评估")),
    (0.60, ("quote", "报价", "price", "pricing", "投标", "bid", "tender", "决策", "decision", "perception")),
    (0.75, ("negotiat", "谈判", "商务", "commercial", "review", "审核", "审批", "approval")),
    (0.85, ("contract", "合同", "legal", "法务", "commit", "verbal", "closing", "final", "签约中", "待签")),
)


def word_rank(value: object) -> float | None:
    """Where a custom stage name sits in a sale from its words (0 early … 1 late), or None when unknown."""
    text = unicodedata.normalize("NFKC", str(value)).casefold()
    found = [rank for rank, words in RANK_WORDS for w in words if w in text]
    return max(found) if found else None


def is_won(value: object) -> bool:
    """A won word of any vocabulary (Closed Won, closedwon, 赢单, 成交, Won…)."""
    return stage_key(value) in WON_KEYS


def is_lost(value: object) -> bool:
    """A lost word of any vocabulary (Closed Lost, 输单, 丢单, Lost, Canceled…)."""
    return stage_key(value) in LOST_KEYS


def is_status(value: object) -> bool:
    """An open/won/lost status word (Pipedrive, Odoo, Dynamics, 商机状态)."""
    key = stage_key(value)
    return key in OPEN_KEYS or key in WON_KEYS or key in LOST_KEYS


def is_stage_word(value: object) -> bool:
    """A value any vocabulary knows as a stage, won or lost (used to recognise a stage column by its values)."""
    key = stage_key(value)
    return bool(key) and (key in OPEN_STAGE_KEYS or key in WON_KEYS or key in LOST_KEYS or word_rank(value) is not None)


def template_stages(key: str, lang: str = "zh") -> list[str]:
    """The stage names of a template in the user's language (its last stage is the won step)."""
    from funnel.errors import FunnelError

    if key not in TEMPLATE_VOCABULARIES:
        raise FunnelError("stages_unknown_template", value=key)
    v = TEMPLATE_VOCABULARIES[key][0 if lang == "zh" else 1]
    return [name for name, _, _ in v.stages] + [v.won[0]]


def aliases(name: str) -> set[str]:
    """Every key a stage name is known by in any vocabulary (its other-language twin, a CRM's internal id)."""
    key = stage_key(name)
    out = {key}
    for v in ALL_VOCABULARIES:
        for keys in v.stage_keys():
            if key in keys:
                out |= keys
    return out


def default_probability(name: str, vocabulary: str | None = None) -> float | None:
    """The default probability a CRM gives a stage (Salesforce's Value Proposition: 50%), when one does;
    `vocabulary` (a name such as 'salesforce') picks whose default when several know the stage."""
    key = stage_key(name)
    for v in CRM_VOCABULARIES:
        if vocabulary is not None and v.name != vocabulary:
            continue
        for (_, p, _), keys in zip(v.stages, v.stage_keys(), strict=True):
            if key in keys and p is not None:
                return p
    return None


def display_name(raw: str) -> str:
    """A value as shown: a CRM's internal id ('closedwon', 'appointmentscheduled') as its label, else as written."""
    if not re.fullmatch(r"[a-z]+", raw):
        return raw
    for v in CRM_VOCABULARIES:
        for (name, _, spellings), keys in zip(v.stages, v.stage_keys(), strict=True):
            if raw in keys and raw in spellings:
                return name
        if raw in v.won[1:]:
            return v.won[0]
        if raw in v.lost[1:]:
            return v.lost[0]
    return raw
