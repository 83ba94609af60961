"""The column vocabulary: which header names, in Chinese and English, mean customer, product, amount, date…"""

from __future__ import annotations

import re
import unicodedata

# Each role lists header names as ERPs export them (用友, 金蝶, SAP, CRMs), most specific first.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "customer": (
        "客户名称",
        "客户全称",
        "客户简称",
        "购货单位",
        "购买方名称",
        "购方名称",
        "客户",
        "单位名称",
        "往来单位",
        "customer name",
        "customer",
        "client name",
        "client",
        "account name",
        "account",
        "sold-to party",
        "buyer",
    ),
    "product": (
        "产品名称",
        "货品名称",
        "商品名称",
        "存货名称",
        "物料名称",
        "产品",
        "货品",
        "商品",
        "存货",
        "物料",
        "品名",
        "product name",
        "product",
        "item name",
        "item",
        "material description",
        "material",
        "sku",
    ),
    "amount": (
        "价税合计",
        "含税金额",
        "销售额",
        "销售金额",
        "金额",
        "本币价税合计",
        "价税合计(本币)",
        "收入",
        "合同金额",
        "amount incl. tax",
        "amount",
        "sales amount",
        "sales",
        "revenue",
        "net value",
        "total amount",
        "value",
    ),
    "date": (
        "单据日期",
        "开票日期",
        "销售日期",
        "发货日期",
        "订单日期",
        "业务日期",
        "日期",
        "invoice date",
        "order date",
        "document date",
        "billing date",
        "posting date",
        "date",
    ),
    "quantity": ("数量", "销售数量", "qty", "quantity"),
    "region": ("区域", "地区", "大区", "片区", "省份", "region", "area", "territory", "province"),
    "rep": (
        "业务员",
        "销售员",
        "销售人员",
        "负责人",
        "客户经理",
        "sales rep",
        "salesperson",
        "sales person",
        "owner",
        "rep",
    ),
    "order": (
        "单据编号",
        "单据号",
        "订单号",
        "订单编号",
        "发票号",
        "发票号码",
        "order no",
        "order number",
        "invoice no",
        "document no",
        "order id",
        "invoice number",
    ),
}

ROLES: tuple[str, ...] = tuple(SYNONYMS)
REQUIRED: tuple[str, ...] = ("customer", "amount")

_UNIT_WAN = re.compile(r"万元|\(万\)|（万）|万$")


def normalise_header(name: object) -> str:
    """A header as compared: NFKC, case-folded, no spaces, units and brackets stripped ('金额（元）' → '金额')."""
    text = unicodedata.normalize("NFKC", str(name)).casefold()
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"[(\[（【]\s*(元|万元|万|rmb|cny|¥|yuan)\s*[)\]）】]$", "", text).strip()
    return text


def header_scale(name: object) -> float:
    """10,000 when the header says the amounts are in 万元, else 1."""
    return 10_000.0 if _UNIT_WAN.search(unicodedata.normalize("NFKC", str(name))) else 1.0


def role_score(name: object, role: str) -> int:
    """How well a header names a role: 3 exact synonym, 2 starts with one, 1 contains one, 0 not at all."""
    text = normalise_header(name)
    if not text:
        return 0
    best = 0
    for _i, syn in enumerate(SYNONYMS[role]):
        if text == syn:
            return 3
        if len(syn) >= 2 and text.startswith(syn):
            best = max(best, 2)
        elif len(syn) >= 2 and syn in text and not (syn.isascii() and len(syn) <= 3):
            best = max(best, 1)
    return best


def header_like(name: object) -> bool:
    """True when a cell reads like a known column header (used to find the header row under title rows)."""
    return any(role_score(name, role) >= 2 for role in ROLES)
