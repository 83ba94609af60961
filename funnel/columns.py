"""The column vocabulary: which headers, in Chinese and English, name each role of a sales report or a pipeline.

One vocabulary serves both kinds of file. Each role lists its header names in tiers (the first tier is preferred
when several columns could play the role: received before due for money, paid before created for dates), and the
words that disqualify a header that only *contains* a synonym (客户经理 is a rep, not a customer). Headers are
compared after `normalise_header`: snake_case, camelCase, punctuation, units in brackets and record-type prefixes
("Deal - Value") do not matter.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

_CJK = re.compile(r"[\u3400-\u9fff]")
_UNIT = re.compile(
    r"[(\[（【]\s*(?:元|万元|万|rmb|cny|usd|eur|hkd|¥|\$|€|yuan|%|％|pct|percent|pcs|件|个|天|days?)\s*[)\]）】]"
)
_PREFIX = re.compile(r"^(?:deal|opportunity|opp|lead|商机|机会)\s*[-–—:：]\s*")
_PUNCT = re.compile(r"[_\-–—./\\:：,，;；#()（）\[\]【】<>{}|'\"“”‘’「」`~!?！？*+=]+")


def normalise_header(name: object) -> str:
    """A header as compared: NFKC, camelCase and snake_case split into words, case-folded, punctuation and units
    in brackets dropped ('商机金额(元)' → '商机金额', 'CustomerID' → 'customer id', 'Deal - Value' → 'value')."""
    return _normalise_header(str(name))


@functools.lru_cache(maxsize=65_536)
def _normalise_header(name: str) -> str:
    text = unicodedata.normalize("NFKC", name).strip()
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", text)
    text = re.sub(r"(?<=[A-Z])(?=[A-Z][a-z])", " ", text)
    text = text.casefold()
    text = _UNIT.sub(" ", text)
    text = _PREFIX.sub("", text.strip())
    text = _PUNCT.sub(" ", text)
    text = re.sub(r"\s+", " ", text).strip()
    return re.sub(r"(?<=[\u3400-\u9fff]) (?=[\u3400-\u9fff])", "", text)


_UNIT_WAN = re.compile(r"万元|\(万\)|（万）|万$")


def header_scale(name: object) -> float:
    """10,000 when the header says the amounts are in 万元, else 1."""
    return 10_000.0 if _UNIT_WAN.search(unicodedata.normalize("NFKC", str(name))) else 1.0


@dataclass(frozen=True)
class RoleSpec:
    """A role a column can play: its value kind, header names in preference tiers, and disqualifying words."""

    role: str
    kind: str  # party · text · money · number · date · percent · id · stage · status
    tiers: tuple[tuple[str, ...], ...]
    avoid: tuple[str, ...] = ()

    @property
    def synonyms(self) -> tuple[str, ...]:
        return tuple(s for tier in self.tiers for s in tier)


def _w(words: str) -> tuple[str, ...]:
    """Header names written '|'-separated (one string per line of the vocabulary) → a tuple."""
    return tuple(w for w in words.split("|") if w)


_MONEY_AVOID = _w(
    "单价|价格|税额|税率|折扣|优惠|成本|毛利|利润|运费|邮费|退款|积分|数量|余额|占比|率|price|tax amount|tax rate|"
    "discount|cost|profit|margin|shipping|freight|refund|points|quantity|qty|rate|share|balance|weighted|加权"
)
_DATE_AVOID = _w("exited|time in|时长|duration|days|天数|age|周期|次数|期间|period")
_PARTY_AVOID = _w(
    "经理|地址|电话|类型|类别|分类|等级|级别|来源|联系|手机|邮箱|行业|数量|次数|支付宝|支付|金额|货款|邮费|运费|"
    "时间|日期|留言|备注|manager|address|phone|type|segment|source|contact|email|city|country|state|group|category|"
    "count|owner|id card|身份证"
)

CUSTOMER = RoleSpec(
    "customer",
    "party",
    (
        _w(
            "客户名称|客户全称|客户简称|购货单位|购买方名称|购方名称|客户|单位名称|往来单位|买家会员名|会员名|"
            "会员名称|下单帐号|下单账号|买家|customer name|customer|client name|client|account name|account|"
            "sold to party|name of sold to party|buyer|buyer name|company name|company|公司名称|所属客户|关联客户|"
            "associated company|organization|organisation|organization name|potential customer|partner|"
            "billing name"
        ),
        _w(
            "客户编码|客户编号|客户代码|客户id|社保卡号|医保卡号|会员卡号|会员号|会员编号|卡号|会员卡|customer id|"
            "customer no|customer number|customer code|account id|account number|buyer id|member id|card no|"
            "card number"
        ),
        _w("客户姓名|收货人姓名|收货人|顾客|姓名|customer email|email"),
    ),
    _PARTY_AVOID,
)
PRODUCT = RoleSpec(
    "product",
    "text",
    (
        _w(
            "产品名称|货品名称|商品名称|存货名称|物料名称|宝贝标题|商品标题|药品名称|品名|产品|货品|商品|存货|物料|"
            "product name|product|item name|item description|item|description|material description|material|"
            "sku name|sku|lineitem name|line item name"
        ),
        _w("产品编码|商品编码|物料编码|存货编码|货品编码|stock code|product id|item code|product code"),
    ),
    _w("数量|单价|价格|金额|类别|分类|类型|price|amount|quantity|category|type|count"),
)
AMOUNT = RoleSpec(
    "amount",
    "money",
    (
        _w(
            "实收金额|实收|实付金额|买家实付金额|买家实际支付金额|实际支付金额|实际收款|实收款|实付款|收款金额|"
            "回款金额|已收金额|净销售额|净额|net sales|net amount|net revenue|amount paid|paid amount|"
            "amount received"
        ),
        _w(
            "价税合计|本币价税合计|价税合计(本币)|含税金额|销售额|销售金额|金额|收入|销售收入|合同金额|成交金额|"
            "订单金额|amount incl tax|amount|sales amount|sales|revenue|net value|line total|line amount|"
            "extended price|total amount|total|value"
        ),
        _w(
            "应收金额|应收|应付金额|应付|买家应付货款|总金额|无税金额|不含税金额|本币无税金额|gross sales|"
            "gross amount|gross value"
        ),
    ),
    _MONEY_AVOID,
)
DATE = RoleSpec(
    "date",
    "date",
    (
        _w("订单付款时间|付款时间|付款日期|支付时间|付款确认时间|收款日期|payment date|paid date|paid at"),
        _w(
            "单据日期|开票日期|销售日期|发货日期|订单日期|业务日期|出库日期|购药时间|购买时间|购买日期|交易时间|"
            "交易日期|下单时间|订单时间|日期|时间|invoice date|order date|document date|billing date|posting date|"
            "sale date|sales date|transaction date|purchase date|date"
        ),
        _w("订单创建时间|创建时间|创建日期|制单日期|ship date|发货时间|delivery date|created at"),
    ),
    _DATE_AVOID,
)
QUANTITY = RoleSpec(
    "quantity",
    "number",
    (
        _w(
            "数量|销售数量|实发数量|发货数量|出库数量|开票数量|订购数量|购买数量|宝贝总数量|商品数量|件数|销量|qty|"
            "quantity|billed quantity|order quantity|quantity sold|units"
        ),
    ),
    _w("单价|金额|price|amount|次数"),
)
UNIT_PRICE = RoleSpec(
    "unit_price",
    "money",
    (
        _w("含税单价|单价|销售单价|售价|零售价|成交价|价格|商品单价|京东价"),
        _w("unit price|price|sales price|selling price|price each|unit cost"),
        _w("无税单价|不含税单价|net price|list price|原价|标价"),
    ),
    _w("数量|金额|amount|quantity|合计|total"),
)
REGION = RoleSpec(
    "region",
    "text",
    (
        _w("区域|地区|大区|片区|销售区域|region|area|territory|sales region"),
        _w("省份|省|国家|country|province|state"),
        _w("城市|city"),
    ),
    (),
)
REP = RoleSpec(
    "rep",
    "text",
    (
        _w(
            "业务员|销售员|销售人员|销售代表|负责人|客户经理|经办人|所有人|跟进人|导购|sales rep|salesperson|"
            "sales person|sales agent|account manager|opportunity owner|deal owner|owner|rep|salesman|assigned to"
        ),
    ),
    (),
)
ORDER = RoleSpec(
    "order",
    "id",
    (
        _w(
            "单据编号|单据号|订单号|订单编号|发票号|发票号码|出库单号|销售单号|流水号|小票号|invoice no|"
            "invoice number|invoice|order no|order number|order id|document no|billing document|receipt no|"
            "transaction id"
        ),
    ),
    _w("日期|时间|date|状态|status|类型|type|金额|amount"),
)

# --- pipeline roles
DEAL = RoleSpec(
    "deal",
    "id",
    (
        _w(
            "商机编号|商机id|机会编号|机会id|项目编号|opportunity id|deal id|record id|hs object id|商机名称|"
            "机会名称|opportunity name|deal name|dealname|opportunity|deal"
        ),
        _w("id|编号|number|项目名称|topic|title|name|名称"),
    ),
    _w("阶段|stage|金额|amount|日期|date|客户|customer|owner|负责人|状态|status"),
)
PIPELINE_CUSTOMER = RoleSpec("customer", "party", CUSTOMER.tiers, _PARTY_AVOID)
STAGE = RoleSpec(
    "stage",
    "stage",
    (
        _w(
            "销售阶段|商机阶段|当前阶段|阶段|to stage|new stage|deal stage|dealstage|opportunity stage|stage|"
            "sales stage|stage name|pipeline phase|pipeline stage|process stage|active stage|phase|阶段名称"
        ),
        _w("状态|status|商机状态"),
    ),
    _w("from|previous|old|lost|输单|丢单|流失|日期|时间|date|time|duration|时长|probability|赢率|原|上一|变更前"),
)
STATUS = RoleSpec(
    "status",
    "status",
    (_w("商机状态|状态|结果|赢输|status|deal status|state|outcome|status reason"),),
    _w("日期|时间|date|time|原因|reason"),
)
PIPELINE_AMOUNT = RoleSpec(
    "amount",
    "money",
    (
        _w(
            "商机金额|预计金额|销售金额|合同金额|成交金额|金额|amount|deal amount|opportunity amount|deal value|"
            "value|close value|est revenue|estimated revenue|estimated value|预计收入|预计销售额"
        ),
        _w("expected revenue|预期收入|planned revenue"),
    ),
    _MONEY_AVOID,
)
PROBABILITY = RoleSpec(
    "probability",
    "percent",
    (
        _w(
            "赢率|成交概率|签约概率|赢单率|赢单概率|概率|可能性|probability|win probability|deal probability|"
            "close probability|closeprobability|chance of success|likelihood"
        ),
    ),
    _w("日期|date|金额|amount|revenue"),
)
CLOSE_DATE = RoleSpec(
    "close_date",
    "date",
    (
        _w(
            "预计签约日期|预计成交日期|预计签单日期|预计结单日期|预计完成日期|结单日期|签约日期|"
            "expected close date|close date|closedate|closing date|est close date|estimated close date|"
            "expected closing|expected close|actual close date"
        ),
    ),
    _DATE_AVOID,
)
CREATED = RoleSpec(
    "date",
    "date",
    (
        _w(
            "创建日期|创建时间|日期|create date|created date|createdate|created on|created time|created|"
            "deal created|add time|date"
        ),
    ),
    _DATE_AVOID,
)
EVENT_DATE = RoleSpec(
    "event_date",
    "date",
    (
        _w(
            "变更日期|变更时间|阶段日期|阶段变更时间|修改时间|修改日期|edit date|last modified|last modified date|"
            "stage change date|changed date|change date|event date|date of change|modified date"
        ),
    ),
    _DATE_AVOID,
)
LOST_STAGE = RoleSpec(
    "lost_stage",
    "stage",
    (_w("输单阶段|丢单阶段|流失阶段|lost at stage|lost stage|closed lost stage|stage lost|lost in stage"),),
    (),
)
LOST_REASON = RoleSpec(
    "lost_reason",
    "text",
    (_w("输单原因|丢单原因|失败原因|流失原因|lost reason|loss reason|closed lost reason|reason lost"),),
    (),
)
CATEGORY = RoleSpec(
    "category",
    "text",
    (_w("预测类别|forecast category|forecast"),),
    _w("date|日期|amount"),
)

SALES_ROLES: dict[str, RoleSpec] = {
    s.role: s for s in (CUSTOMER, AMOUNT, PRODUCT, DATE, QUANTITY, UNIT_PRICE, REGION, REP, ORDER)
}
PIPELINE_ROLES: dict[str, RoleSpec] = {
    s.role: s
    for s in (
        STAGE,
        DEAL,
        PIPELINE_CUSTOMER,
        PIPELINE_AMOUNT,
        PROBABILITY,
        CLOSE_DATE,
        STATUS,
        LOST_STAGE,
        LOST_REASON,
        EVENT_DATE,
        CREATED,
        PRODUCT,
        REGION,
        REP,
        CATEGORY,
    )
}

ROLES: tuple[str, ...] = tuple(SALES_ROLES)
REQUIRED: tuple[str, ...] = ("customer", "amount")
SYNONYMS: dict[str, tuple[str, ...]] = {role: spec.synonyms for role, spec in SALES_ROLES.items()}


def _normalised(words: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(normalise_header(w) for w in words)


_NORMALISED: dict[tuple[str, ...], tuple[str, ...]] = {}


def _norm(words: tuple[str, ...]) -> tuple[str, ...]:
    if words not in _NORMALISED:
        _NORMALISED[words] = _normalised(words)
    return _NORMALISED[words]


def _match(text: str, syn: str, cjk: bool | None = None) -> float:
    """How well a normalised header names one normalised synonym: 1 equal, 0.8 starts/ends with it, 0.6 holds it."""
    if not syn:
        return 0.0
    if text == syn or text.replace(" ", "") == syn.replace(" ", ""):
        return 1.0
    if cjk if cjk is not None else _CJK.search(syn):
        if len(syn) < 2:
            return 0.0
        if text.endswith(syn) or text.startswith(syn):
            return 0.8
        return 0.6 if syn in text else 0.0
    padded = f" {text} "
    if text.startswith(syn + " ") or text.endswith(" " + syn):
        return 0.8
    joined = syn.replace(" ", "")
    if " " not in text and len(joined) >= 5 and (text.startswith(joined) or text.endswith(joined)):
        return 0.8  # QUANTITYORDERED, CUSTOMERNAME: words run together
    return 0.6 if f" {syn} " in padded and len(syn) > 3 else 0.0


# A role's synonyms, normalised once: (tier, synonym, is CJK, the disqualifying words the synonym itself lacks).
_PREPARED: dict[int, tuple[tuple[int, str, bool, tuple[str, ...]], ...]] = {}
_MATCHES: dict[tuple[str, int], tuple[float, int, int]] = {}  # (normalised header, id of the role) → header_match


def _prepared(spec: RoleSpec) -> tuple[tuple[int, str, bool, tuple[str, ...]], ...]:
    found = _PREPARED.get(id(spec))
    if found is None:
        avoid = [a for a in _norm(spec.avoid) if a]
        found = tuple(
            (tier, syn, bool(_CJK.search(syn)), tuple(a for a in avoid if not _contains(syn, a)))
            for tier, words in enumerate(spec.tiers)
            for syn in _norm(words)
        )
        _PREPARED[id(spec)] = found
    return found


def header_match(name: object, spec: RoleSpec) -> tuple[float, int, int]:
    """(match level, tier, synonym rank) of a header for a role: the closest and most specific synonym wins.

    Level 1 when the header is a synonym (snake_case, camelCase and spacing aside), 0.8 when it starts or ends
    with one, 0.6 when it holds one; a header that only holds a synonym and also a disqualifying word scores 0.
    Each header is judged once per role (the answers are kept: headers repeat across files and reruns).
    """
    text = normalise_header(name)
    if not text:
        return 0.0, 0, 0
    key = (text, id(spec))
    found = _MATCHES.get(key)
    if found is not None:
        return found
    best: tuple[float, int, int] = (0.0, 0, 0)
    best_key: tuple = (0.0,)
    for rank, (tier, syn, cjk, blockers) in enumerate(_prepared(spec), start=1):
        level = _match(text, syn, cjk)
        if 0 < level < 1 and any(_contains(text, a) for a in blockers):
            level = 0.0
        order = (level, len(syn), -tier, -rank)  # within one header: the closest, then most specific synonym
        if level and order > best_key:
            best, best_key = (level, tier, rank), order
    if len(_MATCHES) > 200_000:  # the headers of many files over a server's life: start afresh
        _MATCHES.clear()
    _MATCHES[key] = best
    return best


def _contains(text: str, word: str) -> bool:
    if _CJK.search(word):
        return word in text
    return f" {word} " in f" {text} "


def role_score(name: object, role: str) -> int:
    """How well a header names a sales role: 3 synonym, 2 starts or ends with one, 1 holds one, 0 not at all."""
    level = header_match(name, SALES_ROLES[role])[0]
    return 3 if level >= 1 else 2 if level >= 0.8 else 1 if level > 0 else 0


_HEADER_SPECS = (*SALES_ROLES.values(), *PIPELINE_ROLES.values())


_AFFIXES: set[str] = set()  # every normalised synonym, with and without its spaces


def prepare_vocabulary() -> None:
    """Normalise every role's synonyms now: the CLI does it before forking its reading worker (which looks for the
    header row with them), so that the worker and the column detection after it share one copy of the work."""
    header_like("客户")


def header_like(name: object) -> bool:
    """True when a cell reads like a known column header (used to find the header row under title rows).

    A match of level 0.8 or more needs the header to start or end with a synonym (or to be one, spaces aside), so
    a cell none of whose beginnings and endings is a synonym (a name, a date, an amount) is passed over at once.
    """
    if not isinstance(name, str) or not name.strip() or len(name) > 60:
        return False
    if not _AFFIXES:
        for spec in _HEADER_SPECS:
            for _, syn, _, _ in _prepared(spec):
                _AFFIXES.update((syn, syn.replace(" ", "")))
    text = normalise_header(name)
    ends = {text[:i] for i in range(1, len(text) + 1)} | {text[i:] for i in range(len(text))}
    if not (ends & _AFFIXES or text.replace(" ", "") in _AFFIXES):
        return False
    return any(header_match(name, spec)[0] >= 0.8 for spec in _HEADER_SPECS)
