"""Real export shapes the product has never been told about, each with answers computed here, independently.

Pipeline kinds (CRMs in English and Chinese, an opportunity-history event log, custom stages) are rendered from
one seeded set of deals per kind; sales kinds (invoice lines with cancellations, ERP invoices and outbound orders
with 数量 × 单价 only, a pharmacy POS export keyed by card number, e-commerce orders, Superstore, SAP billing) from
seeded lines. The expected funnel, forecast and band counts are computed from the generating records with plain
Python and Decimal, following the rules the product documents (a lost deal reached every stage it has a date
for, else its lost-at-stage column, else the stage a status column says it was in, else only the first stage;
won is the last step; weighted forecast = Σ amount × probability by expected-close quarter). Nothing here calls
the package. `python tests/export_corpus.py DIR` writes the files out.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from corpus import csv as csv_bytes
from corpus import xlsx as xlsx_bytes

THRESHOLDS = [Decimal(10000), Decimal(50000), Decimal(100000), Decimal(200000)]
CENT = Decimal("0.01")
COMPANIES = [
    "华信科技有限公司",
    "宏达贸易有限公司",
    "恒通电子有限公司",
    "北方重工集团",
    "南山医药连锁",
    "东湖软件股份",
    "ACME Ltd",
    "Globex Corp",
    "Initech",
    "Umbrella Health",
    "Stark Industries",
    "Wayne Logistics",
]
REPS = ["张伟", "李娜", "王强", "Darcel Schlecht", "Anna Snelling", "Moses Frase"]


@dataclass
class Deal:
    """One opportunity as it really went: the furthest open stage it reached, how it ended, its dates."""

    id: str
    customer: str
    rep: str
    status: str  # open, won, lost
    reached: int  # index of the furthest open stage reached (won: the last open stage)
    amount: Decimal | None
    probability: Decimal
    created: date
    entered: list[date]
    close: date | None


@dataclass
class PipelineCase:
    """A pipeline export and what a user should read from it with no option but the file."""

    name: str
    data: bytes
    filename: str
    stages: list[str]
    reached: list[int]
    won: int
    lost: int
    placements: dict[str, int]
    weighted: dict[str, Decimal]
    no_amount: int = 0
    rows_dropped: dict[str, int] = field(default_factory=dict)
    shape: str = "snapshot"

    @property
    def win_rate(self) -> float | None:
        return self.won / (self.won + self.lost) if self.won + self.lost else None

    @property
    def bottleneck(self) -> int | None:
        shares = [
            (self.reached[k] - self.reached[k + 1]) / self.reached[k] if self.reached[k] else 0.0
            for k in range(len(self.reached) - 1)
        ]
        best = max(shares)
        return shares.index(best) if best > 0 else None


def make_deals(seed: int, n: int, k_open: int, missing_amount: float = 0.0) -> list[Deal]:
    """Seeded deals over `k_open` open stages; every open stage holds at least one open deal."""
    rng = random.Random(seed)
    deals = []
    for i in range(n):
        created = date(2025, 7, 1) + timedelta(days=rng.randrange(0, 330))
        entered = [created]
        status = "open"
        forced = i if i < k_open else None
        while True:
            if forced is not None:
                if len(entered) - 1 == forced:
                    break
            elif len(entered) == k_open:
                roll = rng.random()
                status = "won" if roll < 0.5 else "lost" if roll < 0.75 else "open"
                break
            if forced is not None or rng.random() < 0.68:
                entered.append(entered[-1] + timedelta(days=rng.randrange(3, 40)))
            else:
                status = "lost" if rng.random() < 0.6 else "open"
                break
        reached = len(entered) - 1
        amount = None if rng.random() < missing_amount else Decimal(rng.randrange(2_000_00, 600_000_00)) / 100
        if status == "won":
            close = entered[-1] + timedelta(days=rng.randrange(2, 30))
        else:
            close = entered[-1] + timedelta(days=rng.randrange(20, 160))
        deals.append(
            Deal(
                f"D{i + 1:04d}",
                COMPANIES[rng.randrange(len(COMPANIES))],
                REPS[rng.randrange(len(REPS))],
                status,
                reached,
                amount,
                Decimal(0),
                created,
                entered,
                close,
            )
        )
    return deals


def quarter(day: date | None) -> str:
    return "—" if day is None else f"{day.year}Q{(day.month - 1) // 3 + 1}"


def linear(k_open: int) -> list[Decimal]:
    """The product's documented default: 10% at the first open stage rising evenly to 90% at the last, as the
    stage table shows it (in percent to two decimals: 36.67%)."""
    if k_open == 1:
        return [Decimal("0.5")]
    return [(Decimal("0.1") + Decimal("0.8") * i / (k_open - 1)).quantize(Decimal("0.0001")) for i in range(k_open)]


def expect(
    name: str,
    data: bytes,
    filename: str,
    stages: list[str],
    deals: list[Deal],
    reveal: Callable[[Deal], tuple[int, str]],
    probability: Callable[[Deal], Decimal],
    shape: str = "snapshot",
    rows_dropped: dict[str, int] | None = None,
    close_of: Callable[[Deal], date | None] | None = None,
) -> PipelineCase:
    """The answers for a rendered export: `reveal` says how far a lost deal can be seen to have got and how,
    `probability` what an open deal's probability is in that export."""
    k = len(stages)
    furthest, placements = [], Counter()
    for d in deals:
        if d.status == "won":
            furthest.append(k - 1)
        elif d.status == "lost":
            at, how = reveal(d)
            furthest.append(at)
            placements[how] += 1
        else:
            furthest.append(d.reached)
    reached = [sum(1 for f in furthest if f >= j) for j in range(k)]
    weighted: dict[str, Decimal] = defaultdict(Decimal)
    no_amount = 0
    for d in deals:
        if d.status == "lost":
            continue
        if d.amount is None:
            no_amount += d.status == "open"
            weighted[quarter((close_of or (lambda x: x.close))(d))] += 0
            continue
        p = Decimal(1) if d.status == "won" else probability(d)
        weighted[quarter((close_of or (lambda x: x.close))(d))] += d.amount * p
    full = {p: placements.get(p, 0) for p in ("dates", "lost_stage_column", "current_stage", "first_stage")}
    won = sum(d.status == "won" for d in deals)
    lost = sum(d.status == "lost" for d in deals)
    return PipelineCase(
        name, data, filename, stages, reached, won, lost, full, dict(weighted), no_amount, rows_dropped or {}, shape
    )


def iso(day: date | None, fmt: str = "%Y-%m-%d") -> str:
    return "" if day is None else day.strftime(fmt)


def money(x: Decimal | None) -> str:
    return "" if x is None else f"{x:.2f}"


# --- pipeline kinds


def kaggle_sales_pipeline() -> PipelineCase:
    """The public 'CRM sales opportunities' table: deal_stage Prospecting/Engaging/Won/Lost, engage_date on deals
    past prospecting, close_value only on closed deals (0 when lost), snake_case headers, some blank accounts."""
    stages = ["Prospecting", "Engaging"]
    deals = make_deals(11, 400, 2)
    rng = random.Random(12)
    rows = [
        [
            "opportunity_id",
            "sales_agent",
            "product",
            "account",
            "deal_stage",
            "engage_date",
            "close_date",
            "close_value",
        ]
    ]
    for d in deals:
        stage = {"won": "Won", "lost": "Lost"}.get(d.status, stages[d.reached])
        engage = "" if d.reached == 0 else iso(d.entered[1])
        closed = d.status in ("won", "lost")
        value = "" if not closed else ("0" if d.status == "lost" else f"{d.amount:.0f}" if d.amount else "")
        account = "" if d.status == "open" and rng.random() < 0.3 else d.customer
        rows.append([d.id, d.rep, "GTX Pro", account, stage, engage, iso(d.close) if closed else "", value])
        if d.status == "won" and d.amount is not None:
            d.amount = Decimal(f"{d.amount:.0f}")
        if not closed:
            d.amount = None

    def reveal(d: Deal) -> tuple[int, str]:
        return (1, "dates") if d.reached >= 1 else (0, "first_stage")

    return expect(
        "kaggle_sales_pipeline",
        csv_bytes(rows),
        "sales_pipeline.csv",
        [*stages, "Won"],
        deals,
        reveal,
        lambda d: linear(2)[d.reached],
        close_of=lambda d: d.close if d.status == "won" else None,
    )


SALESFORCE = [
    ("Prospecting", "10"),
    ("Qualification", "10"),
    ("Needs Analysis", "20"),
    ("Value Proposition", "50"),
    ("Id. Decision Makers", "60"),
    ("Perception Analysis", "70"),
    ("Proposal/Price Quote", "75"),
    ("Negotiation/Review", "90"),
]


def salesforce_opportunity_report() -> PipelineCase:
    """A Salesforce opportunity report exported formatted: a title and filter lines above the header, Stage,
    Amount, Probability (%), Close Date, Opportunity Owner, plus Type, Lead Source and Fiscal Period that must play
    no role, and a Grand Totals row and the confidentiality and copyright lines below; lost deals carry no stage
    history (first stage only)."""
    deals = make_deals(21, 300, 8)
    rows = [["Opportunity Pipeline"], ["Filtered By:", "Opportunity Status equals Any"], []]
    rows += [
        [
            "Opportunity Owner",
            "Account Name",
            "Opportunity Name",
            "Type",
            "Lead Source",
            "Stage",
            "Fiscal Period",
            "Amount",
            "Probability (%)",
            "Close Date",
            "Created Date",
            "Age",
        ]
    ]
    for d in deals:
        stage = {"won": "Closed Won", "lost": "Closed Lost"}.get(d.status, SALESFORCE[d.reached][0])
        p = {"won": "100", "lost": "0"}.get(d.status, SALESFORCE[d.reached][1])
        rows.append(
            [
                d.rep,
                d.customer,
                f"{d.customer} - {d.id}",
                "New Business",
                "Web",
                stage,
                f"Q{(d.close.month - 1) // 3 + 1}-{d.close.year}",
                money(d.amount),
                p,
                d.close.strftime("%m/%d/%Y"),
                d.created.strftime("%m/%d/%Y"),
                str((d.close - d.created).days),
            ]
        )
    total = sum((d.amount or 0) for d in deals)
    rows += [[f"Grand Totals ({len(deals)} records)", None, None, None, None, None, None, f"{total:.2f}"], []]
    rows += [["Confidential Information - Do Not Distribute"], ["Copyright (c) 2000-2026 salesforce.com, inc."]]
    return expect(
        "salesforce_opportunity_report",
        xlsx_bytes(rows, sheet="Opportunities"),
        "report1700000000000.xlsx",
        [s for s, _ in SALESFORCE] + ["Closed Won"],
        deals,
        lambda d: (0, "first_stage"),
        lambda d: Decimal(SALESFORCE[d.reached][1]) / 100,
        rows_dropped={"empty_row": 1, "total_row": 1, "note_row": 2},
    )


def salesforce_opportunity_history() -> PipelineCase:
    """An Opportunity History report: one row per stage change (From Stage → To Stage, Edit Date); some deals
    move back a stage; a lost deal reached the furthest stage in its history."""
    stages = [s for s, _ in SALESFORCE[:5]]
    deals = make_deals(31, 150, 5)
    rng = random.Random(32)
    rows = [
        [
            "Opportunity ID",
            "Opportunity Name",
            "Account Name",
            "From Stage",
            "To Stage",
            "Amount",
            "Probability (%)",
            "Close Date",
            "Edit Date",
        ]
    ]
    for d in deals:
        previous = ""
        history = [(stages[i], d.entered[i]) for i in range(d.reached + 1)]
        if d.reached >= 2 and rng.random() < 0.3:  # moved back a stage, then on again
            history.append((stages[d.reached - 1], d.entered[-1] + timedelta(days=1)))
            history.append((stages[d.reached], d.entered[-1] + timedelta(days=2)))
        if d.status != "open":
            end = d.close if d.status == "won" else history[-1][1] + timedelta(days=5)
            history.append(({"won": "Closed Won", "lost": "Closed Lost"}[d.status], end))
        for stage, when in history:
            p = {"Closed Won": "100", "Closed Lost": "0"}.get(stage, dict(SALESFORCE).get(stage, "0"))
            edit = datetime.combine(when, datetime.min.time()) + timedelta(hours=9)
            rows.append(
                [
                    f"006{d.id}",
                    d.id,
                    d.customer,
                    previous,
                    stage,
                    money(d.amount),
                    p,
                    iso(d.close),
                    edit.strftime("%Y-%m-%d %H:%M"),
                ]
            )
            previous = stage
    return expect(
        "salesforce_opportunity_history",
        csv_bytes(rows),
        "opportunity_history.csv",
        [*stages, "Closed Won"],
        deals,
        lambda d: (d.reached, "dates"),
        lambda d: Decimal(dict(SALESFORCE)[stages[d.reached]]) / 100,
        shape="event_log",
    )


HUBSPOT = [
    ("Appointment Scheduled", "appointmentscheduled", Decimal("0.2")),
    ("Qualified To Buy", "qualifiedtobuy", Decimal("0.4")),
    ("Presentation Scheduled", "presentationscheduled", Decimal("0.6")),
    ("Decision Maker Bought-In", "decisionmakerboughtin", Decimal("0.8")),
    ("Contract Sent", "contractsent", Decimal("0.9")),
]


def hubspot_deals_with_stage_dates() -> PipelineCase:
    """A HubSpot deals export: Deal Stage labels, Deal probability 0–1, one `Date entered "X (Sales Pipeline)"`
    column per stage (and exit dates and times in stage that are not entry dates); lost deals placed by dates."""
    deals = make_deals(41, 250, 5)
    head = ["Record ID", "Deal Name", "Deal Stage", "Pipeline", "Amount", "Close Date", "Create Date", "Deal owner"]
    head += ["Associated Company", "Deal probability"]
    head += [f'Date entered "{label} (Sales Pipeline)"' for label, _, _ in HUBSPOT]
    head += ['Date entered "Closed Won (Sales Pipeline)"', 'Date entered "Closed Lost (Sales Pipeline)"']
    head += [f'Date exited "{HUBSPOT[0][0]} (Sales Pipeline)"', f'Time in "{HUBSPOT[0][0]} (Sales Pipeline)"']
    rows = [head]
    for n, d in enumerate(deals):
        stage = {"won": "Closed Won", "lost": "Closed Lost"}.get(d.status, HUBSPOT[d.reached][0])
        p = {"won": "1", "lost": "0"}.get(d.status, f"{HUBSPOT[d.reached][2]}")
        stamp = [iso(d.entered[i]) + " 10:00" if i <= d.reached else "" for i in range(5)]
        won = iso(d.close) + " 10:00" if d.status == "won" else ""
        lost = iso(d.entered[-1] + timedelta(days=3)) + " 10:00" if d.status == "lost" else ""
        exited = iso(d.entered[1]) + " 10:00" if d.reached >= 1 else ""
        rows.append(
            [
                str(9000 + n),
                f"{d.customer} deal",
                stage,
                "Sales Pipeline",
                money(d.amount),
                iso(d.close) + " 00:00",
                iso(d.created) + " 09:00",
                d.rep,
                d.customer,
                p,
                *stamp,
                won,
                lost,
                exited,
                "86400000",
            ]
        )
    return expect(
        "hubspot_deals_with_stage_dates",
        csv_bytes(rows),
        "hubspot-crm-exports-all-deals.csv",
        [label for label, _, _ in HUBSPOT] + ["Closed Won"],
        deals,
        lambda d: (d.reached, "dates"),
        lambda d: HUBSPOT[d.reached][2],
        shape="stage_dates",
    )


def hubspot_internal_ids() -> PipelineCase:
    """HubSpot properties exported by internal name (dealname, dealstage = appointmentscheduled … closedwon), no
    probability column: HubSpot's default stage probabilities apply; lost deals at the first stage only."""
    deals = make_deals(51, 200, 5, missing_amount=0.05)
    rows = [
        ["hs_object_id", "dealname", "dealstage", "amount", "closedate", "createdate", "hubspot_owner_id", "pipeline"]
    ]
    for n, d in enumerate(deals):
        stage = {"won": "closedwon", "lost": "closedlost"}.get(d.status, HUBSPOT[d.reached][1])
        rows.append([str(500 + n), d.customer, stage, money(d.amount), iso(d.close), iso(d.created), "7710", "default"])
    return expect(
        "hubspot_internal_ids",
        csv_bytes(rows),
        "deals.csv",
        [label for label, _, _ in HUBSPOT] + ["Closed Won"],
        deals,
        lambda d: (0, "first_stage"),
        lambda d: HUBSPOT[d.reached][2],
    )


PIPEDRIVE = ["Qualified", "Contact Made", "Demo Scheduled", "Proposal Made", "Negotiations Started"]


def pipedrive_deals() -> PipelineCase:
    """A Pipedrive deals export ('Deal - Title', 'Deal - Value', 'Deal - Stage', 'Deal - Status'): won and lost
    are a status; the stage of a lost deal is where it dropped out."""
    deals = make_deals(61, 220, 5)
    rows = [
        [
            "Deal - ID",
            "Deal - Title",
            "Deal - Value",
            "Deal - Currency",
            "Deal - Organization",
            "Deal - Contact person",
            "Deal - Owner",
            "Deal - Stage",
            "Deal - Status",
            "Deal - Pipeline",
            "Deal - Expected close date",
            "Deal - Deal created",
            "Deal - Won time",
            "Deal - Lost time",
            "Deal - Lost reason",
        ]
    ]
    for n, d in enumerate(deals):
        rows.append(
            [
                str(n + 1),
                f"{d.customer} deal",
                money(d.amount),
                "CNY",
                d.customer,
                "Contact",
                d.rep,
                PIPEDRIVE[d.reached],
                d.status.capitalize(),
                "Pipeline",
                iso(d.close),
                iso(d.created) + " 08:00:00",
                iso(d.close) + " 12:00:00" if d.status == "won" else "",
                iso(d.entered[-1] + timedelta(days=4)) + " 12:00:00" if d.status == "lost" else "",
                "Price" if d.status == "lost" else "",
            ]
        )
    return expect(
        "pipedrive_deals",
        csv_bytes(rows),
        "deals-export.csv",
        [*PIPEDRIVE, "Won"],
        deals,
        lambda d: (d.reached, "current_stage"),
        lambda d: linear(5)[d.reached],
    )


ZOHO = [
    ("Qualification", 10),
    ("Needs Analysis", 20),
    ("Value Proposition", 40),
    ("Identify Decision Makers", 60),
    ("Proposal/Price Quote", 75),
    ("Negotiation/Review", 90),
]


def zoho_deals() -> PipelineCase:
    """A Zoho CRM deals export: Stage, Probability (%), Closing Date, and Expected Revenue (amount × probability)
    that must not be taken for the amount; 'Closed Lost to Competition' is lost."""
    deals = make_deals(71, 240, 6)
    rng = random.Random(72)
    rows = [
        [
            "Deal Name",
            "Account Name",
            "Deal Owner",
            "Type",
            "Lead Source",
            "Expected Revenue",
            "Amount",
            "Stage",
            "Probability (%)",
            "Closing Date",
            "Created Time",
        ]
    ]
    for d in deals:
        if d.status == "lost":
            stage, p = rng.choice(["Closed Lost", "Closed Lost to Competition"]), 0
        elif d.status == "won":
            stage, p = "Closed Won", 100
        else:
            stage, p = ZOHO[d.reached]
        expected = "" if d.amount is None else f"{(d.amount * p / 100).quantize(CENT)}"
        rows.append(
            [
                d.id,
                d.customer,
                d.rep,
                "New Business",
                "Trade Show",
                expected,
                money(d.amount),
                stage,
                str(p),
                d.close.strftime("%d/%m/%Y"),
                d.created.strftime("%d/%m/%Y") + " 09:30",
            ]
        )
    return expect(
        "zoho_deals",
        xlsx_bytes(rows, sheet="Deals"),
        "Deals_2026.xlsx",
        [s for s, _ in ZOHO] + ["Closed Won"],
        deals,
        lambda d: (0, "first_stage"),
        lambda d: Decimal(ZOHO[d.reached][1]) / 100,
    )


def dynamics_opportunities() -> PipelineCase:
    """A Dynamics 365 opportunities export: Pipeline Phase '1-Qualify' … '4-Close', Status Open/Won/Lost with a
    Status Reason beside it, Est. Revenue, Est. Close Date, a per-deal Probability."""
    phases = ["1-Qualify", "2-Develop", "3-Propose", "4-Close"]
    deals = make_deals(81, 200, 4)
    rng = random.Random(82)
    rows = [
        [
            "Topic",
            "Potential Customer",
            "Est. Revenue",
            "Est. Close Date",
            "Probability",
            "Pipeline Phase",
            "Status",
            "Status Reason",
            "Owner",
            "Created On",
        ]
    ]
    for d in deals:
        d.probability = Decimal(rng.randrange(5, 95))
        reason = {"won": "Won", "lost": rng.choice(["Canceled", "Out-Sold"])}.get(d.status, "In Progress")
        rows.append(
            [
                f"{d.customer} {d.id}",
                d.customer,
                money(d.amount),
                d.close.strftime("%m/%d/%Y"),
                f"{d.probability}",
                phases[d.reached],
                d.status.capitalize(),
                reason,
                d.rep,
                d.created.strftime("%m/%d/%Y %I:%M %p").replace(" 12:00 AM", " 9:00 AM"),
            ]
        )
    return expect(
        "dynamics_opportunities",
        xlsx_bytes(rows, sheet="My Open Opportunities"),
        "Opportunities.xlsx",
        [*phases, "Won"],
        deals,
        lambda d: (d.reached, "current_stage"),
        lambda d: d.probability / 100,
    )


def odoo_crm_leads() -> PipelineCase:
    """An Odoo crm.lead export: Stage New/Qualified/Proposition/Won, Expected Revenue, Probability; a lost
    opportunity keeps its stage and has a Lost Reason."""
    stages = ["New", "Qualified", "Proposition"]
    deals = make_deals(91, 180, 3)
    rows = [["Opportunity", "Customer", "Expected Revenue", "Probability", "Stage", "Salesperson", "Expected Closing"]]
    rows[0] += ["Created on", "Lost Reason", "Active"]
    for d in deals:
        d.probability = Decimal([10, 30, 70][d.reached])
        stage = "Won" if d.status == "won" else stages[d.reached]
        p = {"won": "100", "lost": "0"}.get(d.status, f"{d.probability:.2f}")
        rows.append(
            [
                f"{d.id} opportunity",
                d.customer,
                money(d.amount),
                p,
                stage,
                d.rep,
                iso(d.close),
                iso(d.created) + " 10:00:00",
                "Too expensive" if d.status == "lost" else "",
                "False" if d.status == "lost" else "True",
            ]
        )
    return expect(
        "odoo_crm_leads",
        xlsx_bytes(rows, sheet="Sheet1"),
        "crm.lead.xlsx",
        [*stages, "Won"],
        deals,
        lambda d: (d.reached, "current_stage"),
        lambda d: d.probability / 100,
    )


XSY = [("验证客户", "10%"), ("需求确定", "30%"), ("方案/报价", "60%"), ("谈判审核", "80%")]


def xiaoshouyi_opportunities() -> PipelineCase:
    """A 销售易 opportunity export: a title and an export-time row above the header, 商机金额(元), 赢率 as '30%',
    预计签单日期, 创建时间 with a time, 输单阶段 and 输单原因 on lost deals."""
    deals = make_deals(101, 260, 4)
    rows = [["商机列表"], ["导出时间：2026-05-01 10:00", None, None, "导出人：管理员"]]
    rows.append(["商机名称", "客户名称", "销售阶段", "商机金额(元)", "赢率", "预计签单日期", "负责人", "所属部门"])
    rows[-1] += ["创建时间", "输单阶段", "输单原因"]
    for d in deals:
        stage = {"won": "赢单", "lost": "输单"}.get(d.status, XSY[d.reached][0])
        p = {"won": "100%", "lost": "0%"}.get(d.status, XSY[d.reached][1])
        rows.append(
            [
                f"{d.customer}-{d.id}",
                d.customer,
                stage,
                money(d.amount),
                p,
                iso(d.close, "%Y/%m/%d"),
                d.rep,
                "华东大区",
                iso(d.created) + " 10:20:00",
                XSY[d.reached][0] if d.status == "lost" else None,
                "价格" if d.status == "lost" else None,
            ]
        )
    return expect(
        "xiaoshouyi_opportunities",
        xlsx_bytes(rows, sheet="商机"),
        "商机导出.xlsx",
        [s for s, _ in XSY] + ["赢单"],
        deals,
        lambda d: (d.reached, "lost_stage_column"),
        lambda d: Decimal(XSY[d.reached][1].rstrip("%")) / 100,
    )


def fxiaoke_opportunities() -> PipelineCase:
    """A 纷享销客 export in GBK CSV: 阶段 holds open stages, 商机状态 says 进行中/赢单/输单/无效 (a lost or invalid
    deal stays at the stage where it stopped), 赢率 '60%', 预计成交日期, 结单日期."""
    deals = make_deals(111, 230, 4)
    rng = random.Random(112)
    rows = [["商机名称", "客户名称", "商机金额", "阶段", "商机状态", "赢率", "预计成交日期", "结单日期", "负责人"]]
    rows[0].append("创建时间")
    for d in deals:
        state = {"won": "赢单", "lost": rng.choice(["输单", "输单", "无效"])}.get(d.status, "进行中")
        p = {"won": "100%", "lost": "0%"}.get(d.status, XSY[d.reached][1])
        closed = iso(d.close) if d.status == "won" else ""
        rows.append([d.id, d.customer, money(d.amount), XSY[d.reached][0], state, p, iso(d.close), closed, d.rep])
        rows[-1].append(iso(d.created) + " 09:00")
    return expect(
        "fxiaoke_opportunities",
        csv_bytes(rows, encoding="gb18030"),
        "商机.csv",
        [s for s, _ in XSY] + ["赢单"],
        deals,
        lambda d: (d.reached, "current_stage"),
        lambda d: Decimal(XSY[d.reached][1].rstrip("%")) / 100,
    )


ISSUE = ["初步接触", "需求确认", "方案报价", "商务谈判"]


def yonyou_crm_wan_yuan() -> PipelineCase:
    """The issue's vocabulary (初步接触/需求确认/方案报价/商务谈判/赢单/输单) with 商机金额(万元), a 方案日期 column
    (the date 方案报价 was entered) and a 输单阶段 column: a lost deal with a 方案日期 reached 方案报价, one with a
    输单阶段 reached that stage, the rest only 初步接触."""
    deals = make_deals(121, 200, 4)
    rng = random.Random(122)
    rows = [["商机编号", "客户名称", "销售阶段", "商机金额(万元)", "赢率", "预计签约日期", "方案日期", "输单阶段"]]
    lost_how: dict[str, tuple[int, str]] = {}
    for d in deals:
        if d.amount is not None:
            d.amount = (d.amount / 10000).quantize(Decimal("0.0001")) * 10000
        stage = {"won": "赢单", "lost": "输单"}.get(d.status, ISSUE[d.reached])
        p = {"won": "100", "lost": "0"}.get(d.status, str([10, 30, 60, 80][d.reached]))
        plan = iso(d.entered[2]) if d.reached >= 2 and (d.status != "lost" or rng.random() < 0.5) else ""
        lost_at = ""
        if d.status == "lost":
            if plan:
                lost_how[d.id] = (2, "dates")
            elif rng.random() < 0.5:
                lost_at = ISSUE[d.reached]
                lost_how[d.id] = (d.reached, "lost_stage_column")
            else:
                lost_how[d.id] = (0, "first_stage")
            if plan and d.reached > 2:
                lost_at = ISSUE[d.reached]
                lost_how[d.id] = (d.reached, "lost_stage_column")
        amount = "" if d.amount is None else f"{d.amount / 10000:.4f}"
        rows.append([d.id, d.customer, stage, amount, p, iso(d.close), plan, lost_at])
    return expect(
        "yonyou_crm_wan_yuan",
        xlsx_bytes(rows, sheet="商机"),
        "商机.xlsx",
        [*ISSUE, "赢单"],
        deals,
        lambda d: lost_how[d.id],
        lambda d: Decimal([10, 30, 60, 80][d.reached]) / 100,
    )


KINGDEE = ["初步接洽", "需求确认", "方案设计", "报价", "谈判"]


def kingdee_crm() -> PipelineCase:
    """A 金蝶 CRM export with separate 方案设计 and 报价 stages, 成交/丢单 as won/lost, 赢率 as a bare number,
    dates as 2026年1月5日, a 合计 row at the bottom."""
    deals = make_deals(131, 160, 5)
    rows = [["机会名称", "客户", "商机阶段", "预计金额", "赢率", "预计成交日期", "业务员"]]
    for d in deals:
        stage = {"won": "成交", "lost": "丢单"}.get(d.status, KINGDEE[d.reached])
        p = {"won": "100", "lost": "0"}.get(d.status, str([10, 25, 45, 65, 80][d.reached]))
        day = f"{d.close.year}年{d.close.month}月{d.close.day}日"
        rows.append([d.id, d.customer, stage, money(d.amount), p, day, d.rep])
    total = sum((d.amount or 0) for d in deals)
    rows.append(["合计", None, None, f"{total:.2f}", None, None, None])
    return expect(
        "kingdee_crm",
        xlsx_bytes(rows, sheet="销售机会"),
        "销售机会.xlsx",
        [*KINGDEE, "成交"],
        deals,
        lambda d: (0, "first_stage"),
        lambda d: Decimal([10, 25, 45, 65, 80][d.reached]) / 100,
        rows_dropped={"total_row": 1},
    )


def chinese_stage_change_log() -> PipelineCase:
    """A Chinese CRM stage-change log: 变更前阶段 → 变更后阶段 with 变更时间, one row per change."""
    deals = make_deals(141, 120, 4)
    rows = [["商机编号", "客户名称", "变更前阶段", "变更后阶段", "变更时间", "商机金额", "预计签约日期", "赢率"]]
    for d in deals:
        before = ""
        history = [(ISSUE[i], d.entered[i]) for i in range(d.reached + 1)]
        if d.status != "open":
            history.append(({"won": "赢单", "lost": "输单"}[d.status], d.close if d.status == "won" else d.entered[-1]))
        for stage, when in history:
            p = {"赢单": "100%", "输单": "0%"}.get(
                stage, f"{[10, 30, 60, 80][ISSUE.index(stage)]}%" if stage in ISSUE else ""
            )
            rows.append([d.id, d.customer, before, stage, iso(when) + " 14:00:00", money(d.amount), iso(d.close), p])
            before = stage
    return expect(
        "chinese_stage_change_log",
        xlsx_bytes(rows, sheet="阶段变更记录"),
        "阶段变更记录.xlsx",
        [*ISSUE, "赢单"],
        deals,
        lambda d: (d.reached, "dates"),
        lambda d: Decimal([10, 30, 60, 80][d.reached]) / 100,
        shape="event_log",
    )


def custom_stages_by_probability() -> PipelineCase:
    """Stage names no vocabulary knows (Alpha, Bravo…) with a probability column: the order is the probabilities'
    ascending order."""
    names = ["Bravo", "Delta", "Alpha", "Charlie"]  # true order; probabilities 10/35/60/85
    probs = [Decimal("0.10"), Decimal("0.35"), Decimal("0.60"), Decimal("0.85")]
    deals = make_deals(151, 200, 4)
    rows = [["Deal", "Company", "Stage", "Value", "Probability", "Expected Close"]]
    for d in deals:
        stage = {"won": "Won", "lost": "Lost"}.get(d.status, names[d.reached])
        p = {"won": "1", "lost": "0"}.get(d.status, f"{probs[d.reached]}")
        rows.append([d.id, d.customer, stage, money(d.amount), p, iso(d.close)])
    return expect(
        "custom_stages_by_probability",
        csv_bytes(rows),
        "pipeline.csv",
        [*names, "Won"],
        deals,
        lambda d: (0, "first_stage"),
        lambda d: probs[d.reached],
    )


def custom_stages_by_dates() -> PipelineCase:
    """Custom Chinese stage names (甲阶段 …) each with its own date column (甲阶段日期 …): the order is the order in
    which deals entered them; lost deals are placed by their dates."""
    names = ["丙阶段", "甲阶段", "丁阶段"]  # true order, deliberately not alphabetical
    deals = make_deals(161, 150, 3)
    rows = [
        ["编号", "客户名称", "当前阶段", "金额", "预计成交日期", "甲阶段日期", "乙阶段日期", "丙阶段日期", "丁阶段日期"]
    ]
    for d in deals:
        stage = {"won": "赢单", "lost": "输单"}.get(d.status, names[d.reached])
        dates = {names[i]: iso(d.entered[i]) for i in range(d.reached + 1)}
        rows.append([d.id, d.customer, stage, money(d.amount), iso(d.close)])
        rows[-1] += [dates.get("甲阶段", ""), "", dates.get("丙阶段", ""), dates.get("丁阶段", "")]
    return expect(
        "custom_stages_by_dates",
        xlsx_bytes(rows),
        "商机跟进.xlsx",
        [*names, "赢单"],
        deals,
        lambda d: (d.reached, "dates"),
        lambda d: linear(3)[d.reached],
        shape="stage_dates",
    )


def custom_stages_by_words() -> PipelineCase:
    """Custom English stage names that only their words place (discovery early, contract late), no probability
    or dates; closed deals as 'Closed - Won' / 'Closed - Lost'."""
    names = ["Discovery Call", "Solution Demo", "Commercial Negotiation", "Contract Review"]
    deals = make_deals(171, 160, 4)
    rows = [["Opportunity", "Client", "Sales Stage", "Deal Value (USD)", "Target Close Date", "Sales Rep"]]
    for d in deals:
        stage = {"won": "Closed - Won", "lost": "Closed - Lost"}.get(d.status, names[d.reached])
        rows.append([d.id, d.customer, stage, money(d.amount), iso(d.close), d.rep])
    return expect(
        "custom_stages_by_words",
        csv_bytes(rows),
        "opps.csv",
        [*names, "Closed - Won"],
        deals,
        lambda d: (0, "first_stage"),
        lambda d: linear(4)[d.reached],
    )


def pipeline_cases() -> list[PipelineCase]:
    return [
        kaggle_sales_pipeline(),
        salesforce_opportunity_report(),
        salesforce_opportunity_history(),
        hubspot_deals_with_stage_dates(),
        hubspot_internal_ids(),
        pipedrive_deals(),
        zoho_deals(),
        dynamics_opportunities(),
        odoo_crm_leads(),
        xiaoshouyi_opportunities(),
        fxiaoke_opportunities(),
        yonyou_crm_wan_yuan(),
        kingdee_crm(),
        chinese_stage_change_log(),
        custom_stages_by_probability(),
        custom_stages_by_dates(),
        custom_stages_by_words(),
    ]


# --- sales kinds


@dataclass
class SalesCase:
    """A sales report and its answers: customers, total and band counts at the default thresholds."""

    name: str
    data: bytes
    filename: str
    customers: int
    total_cents: int
    bands: list[int]
    reasons: dict[str, int] = field(default_factory=dict)
    derived: bool = False
    dated: bool = True


@dataclass
class Line:
    customer: str
    product: str
    when: datetime
    quantity: Decimal
    price: Decimal

    @property
    def amount(self) -> Decimal:
        return (self.quantity * self.price).quantize(CENT, rounding=ROUND_HALF_UP)


def make_lines(seed: int, n: int, customers: list[str], products: list[str], scale: int = 1) -> list[Line]:
    """Seeded invoice lines; customers buy different amounts so that every band is used."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        c = rng.randrange(len(customers))
        weight = 1 + c % 7
        when = datetime(2025, 1, 1, 8) + timedelta(days=rng.randrange(0, 540), minutes=rng.randrange(0, 600))
        price = Decimal(rng.randrange(100, 400_000 * weight)) / 1000 * scale
        out.append(
            Line(customers[c], products[rng.randrange(len(products))], when, Decimal(rng.randrange(1, 40)), price)
        )
    return out


def sales_expect(name: str, data: bytes, filename: str, amounts: dict[str, Decimal], **kw) -> SalesCase:
    """Answers from per-customer totals (Decimal), banded in [lower, upper)."""
    counts = [0] * (len(THRESHOLDS) + 1)
    for total in amounts.values():
        counts[sum(1 for t in THRESHOLDS if total >= t)] += 1
    total_cents = int(sum(amounts.values(), Decimal(0)) * 100)
    return SalesCase(name, data, filename, len(amounts), total_cents, counts, **kw)


def totals(pairs) -> dict[str, Decimal]:
    out: dict[str, Decimal] = defaultdict(Decimal)
    for customer, amount in pairs:
        out[customer] += amount
    return dict(out)


def uci_online_retail() -> SalesCase:
    """UCI Online Retail: InvoiceNo, StockCode, Description, Quantity, InvoiceDate ('12/1/2010 8:26'),
    UnitPrice, CustomerID, Country; no amount column (Quantity × UnitPrice); cancellations are 'C' invoices with
    negative quantities; lines without a CustomerID."""
    rng = random.Random(201)
    ids = [str(12346 + 37 * i) for i in range(40)]
    lines = make_lines(
        202, 900, ids, ["WHITE HANGING HEART T-LIGHT HOLDER", "REGENCY CAKESTAND 3 TIER", "PARTY BUNTING"]
    )
    rows = [["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID", "Country"]]
    used, blank = [], 0
    for i, line in enumerate(lines):
        cancelled = rng.random() < 0.08
        qty = -line.quantity if cancelled else line.quantity
        customer = "" if rng.random() < 0.05 else line.customer
        when = f"{line.when.month}/{line.when.day}/{line.when.year} {line.when.hour}:{line.when.minute:02d}"
        rows.append([("C" if cancelled else "") + str(536365 + i // 3), "85123A", line.product, str(qty), when])
        rows[-1] += [str(line.price), customer, "United Kingdom"]
        if customer:
            used.append((customer, (qty * line.price).quantize(CENT, rounding=ROUND_HALF_UP)))
        else:
            blank += 1
    return sales_expect(
        "uci_online_retail",
        xlsx_bytes(rows, sheet="Online Retail"),
        "Online Retail.xlsx",
        totals(used),
        reasons={"blank_customer": blank},
        derived=True,
    )


def online_retail_ii() -> SalesCase:
    """Online Retail II as CSV: Invoice, StockCode, Description, Quantity, InvoiceDate, Price, Customer ID
    (read as 13085.0), Country."""
    ids = [f"{13085 + 11 * i}.0" for i in range(30)]
    lines = make_lines(211, 700, ids, ["15CM CHRISTMAS GLASS BALL 20 LIGHTS", "PINK CHERRY LIGHTS", "RECORD FRAME"])
    rows = [["Invoice", "StockCode", "Description", "Quantity", "InvoiceDate", "Price", "Customer ID", "Country"]]
    for i, line in enumerate(lines):
        rows.append([str(489434 + i // 4), "85048", line.product, str(line.quantity)])
        rows[-1] += [line.when.strftime("%Y-%m-%d %H:%M:%S"), str(line.price), line.customer, "United Kingdom"]
    return sales_expect(
        "online_retail_ii",
        csv_bytes(rows),
        "online_retail_II.csv",
        totals((x.customer, x.amount) for x in lines),
        derived=True,
    )


def superstore() -> SalesCase:
    """Tableau's Superstore: Customer ID beside Customer Name, Order Date beside Ship Date, Region beside
    Country/State/City, Sales beside Discount and Profit."""
    names = ["Claire Gute", "Darrin Van Huff", "Sean O'Donnell", "Brosina Hoffman", "Andrew Allen", "Irene Maddox"]
    names += ["Harold Pawlan", "Pete Kriz", "Alejandro Grove", "Zuschuss Donatelli", "Ken Black", "Sandra Flanagan"]
    lines = make_lines(221, 600, names, ["Bush Somerset Collection Bookcase", "Hon Deluxe Fabric Chairs"])
    head = ["Row ID", "Order ID", "Order Date", "Ship Date", "Ship Mode", "Customer ID", "Customer Name", "Segment"]
    head += ["Country", "City", "State", "Postal Code", "Region", "Product ID", "Category", "Sub-Category"]
    head += ["Product Name", "Sales", "Quantity", "Discount", "Profit"]
    rows = [head]
    for i, line in enumerate(lines):
        cid = "".join(w[0] for w in line.customer.split()[:2]).upper() + f"-{10000 + names.index(line.customer)}"
        rows.append(
            [
                str(i + 1),
                f"CA-2025-{152156 + i // 3}",
                line.when.strftime("%m/%d/%Y"),
                (line.when + timedelta(days=3)).strftime("%m/%d/%Y"),
                "Second Class",
                cid,
                line.customer,
                "Consumer",
                "United States",
                "Henderson",
                "Kentucky",
                "42420",
                "South",
                "FUR-BO-10001798",
                "Furniture",
                "Bookcases",
                line.product,
                f"{line.amount}",
                str(line.quantity),
                "0.2",
                f"{(line.amount * Decimal('0.16')).quantize(Decimal('0.0001'))}",
            ]
        )
    return sales_expect(
        "superstore", csv_bytes(rows), "Sample - Superstore.csv", totals((x.customer, x.amount) for x in lines)
    )


def pharmacy_pos() -> SalesCase:
    """A Chinese hospital pharmacy POS export: 购药时间 '2018-01-01 星期五', 社保卡号, 商品编码, 商品名称, 销售数量,
    应收金额, 实收金额 (revenue is what was received); a few rows with a blank date."""
    rng = random.Random(231)
    cards = [f"00{1616528 + 977 * i}" for i in range(35)]
    lines = make_lines(232, 800, cards, ["强力VC银翘片", "清热解毒口服液", "感康", "开博通"], scale=1)
    rows = [["购药时间", "社保卡号", "商品编码", "商品名称", "销售数量", "应收金额", "实收金额"]]
    week = "一二三四五六日"
    used, blank_date = [], 0
    for line in lines:
        due = line.amount
        received = (due * Decimal("0.88")).quantize(CENT, rounding=ROUND_HALF_UP)
        when = f"{line.when:%Y-%m-%d} 星期{week[line.when.weekday()]}"
        if rng.random() < 0.03:
            when, blank_date = None, blank_date + 1
        else:
            used.append((line.customer, received))
        rows.append([when, line.customer, "236701", line.product, str(line.quantity), f"{due}", f"{received}"])
    return sales_expect(
        "pharmacy_pos",
        xlsx_bytes(rows, sheet="Sheet1"),
        "朝阳医院2018年销售数据.xlsx",
        totals(used),
        reasons={"bad_date": blank_date},
    )


def taobao_orders() -> SalesCase:
    """A Taobao seller-centre order export (GBK CSV): 订单编号, 买家会员名, 买家应付货款, 总金额, 买家实际支付金额,
    订单状态, 收货人姓名, 订单创建时间, 订单付款时间, 宝贝标题; unpaid (closed) orders have no payment time."""
    rng = random.Random(241)
    buyers = [f"tb{7342 + 13 * i}_2012" for i in range(30)]
    lines = make_lines(242, 500, buyers, ["夏季连衣裙女", "纯棉T恤", "牛仔裤"])
    rows = [["订单编号", "买家会员名", "买家支付宝账号", "买家应付货款", "买家应付邮费", "总金额", "买家实际支付金额"]]
    rows[0] += [
        "订单状态",
        "收货人姓名",
        "收货地址",
        "订单创建时间",
        "订单付款时间",
        "宝贝标题",
        "宝贝总数量",
        "店铺名称",
    ]
    used, unpaid = [], 0
    for i, line in enumerate(lines):
        due = line.amount
        paid = (due - Decimal(rng.randrange(0, 500)) / 100).quantize(CENT)
        closed = rng.random() < 0.1
        created = line.when.strftime("%Y-%m-%d %H:%M:%S")
        pay_time = "" if closed else (line.when + timedelta(minutes=3)).strftime("%Y-%m-%d %H:%M:%S")
        if closed:
            unpaid += 1
            paid = Decimal(0)
        else:
            used.append((line.customer, paid))
        rows.append([f"3{1000000000 + i}", line.customer, f"{line.customer}@163.com", f"{due}", "0.00", f"{due}"])
        rows[-1] += [f"{paid}", "交易关闭" if closed else "交易成功", "王小二", "浙江省 杭州市", created, pay_time]
        rows[-1] += [line.product, str(line.quantity), "某某旗舰店"]
    return sales_expect(
        "taobao_orders",
        csv_bytes(rows, encoding="gb18030"),
        "ExportOrderList.csv",
        totals(used),
        reasons={"bad_date": unpaid},
    )


def jd_orders() -> SalesCase:
    """A JD (京东) POP order export: 订单号, 商品名称, 订购数量, 京东价, 下单时间, 付款确认时间, 订单金额, 应付金额,
    实付金额, 下单帐号 beside 客户姓名 (the account identifies the buyer)."""
    rng = random.Random(251)
    accounts = [f"jd_{48213 + 7 * i}" for i in range(25)]
    lines = make_lines(252, 400, accounts, ["小米手环", "电动牙刷"])
    rows = [["订单号", "商品ID", "商品名称", "订购数量", "京东价", "下单时间", "付款确认时间", "订单金额", "应付金额"]]
    rows[0] += ["实付金额", "订单状态", "下单帐号", "客户姓名", "客户地址", "联系电话"]
    used = []
    for i, line in enumerate(lines):
        discount = Decimal(rng.randrange(0, 2000)) / 100
        paid = line.amount - discount
        when = line.when.strftime("%Y-%m-%d %H:%M:%S")
        paid_at = (line.when + timedelta(minutes=1)).strftime("%Y-%m-%d %H:%M:%S")
        rows.append([str(25000000000 + i), "100012", line.product, str(line.quantity), f"{line.price:.2f}", when])
        rows[-1] += [
            paid_at,
            f"{line.amount}",
            f"{line.amount}",
            f"{paid}",
            "完成",
            line.customer,
            "张*",
            "北京",
            "138****0000",
        ]
        used.append((line.customer, paid))
    return sales_expect("jd_orders", xlsx_bytes(rows, sheet="订单"), "订单导出.xlsx", totals(used))


def u8_sales_invoices_qty_price() -> SalesCase:
    """A 用友 U8 sales invoice list with 数量 and 含税单价 / 无税单价 only (no amount column), title rows and a 合计
    row: amount = 数量 × 含税单价."""
    lines = make_lines(261, 400, COMPANIES[:9], ["电子门锁 X1", "网络摄像机 C3", "门禁控制器"])
    rows = [["销售发票列表"], ["开票日期：2025-01-01 至 2026-06-30"], []]
    rows.append(["发票号", "开票日期", "客户简称", "存货编码", "存货名称", "规格型号", "数量", "无税单价", "含税单价"])
    for i, line in enumerate(lines):
        net = (line.price / Decimal("1.13")).quantize(Decimal("0.000001"))
        rows.append([f"0{2000000 + i}", line.when.strftime("%Y-%m-%d"), line.customer, "01001", line.product, "标准"])
        rows[-1] += [float(line.quantity), float(net), str(line.price)]
    rows.append(["合计", None, None, None, None, None, float(sum(x.quantity for x in lines)), None, None])
    return sales_expect(
        "u8_sales_invoices_qty_price",
        xlsx_bytes(rows, sheet="销售发票"),
        "销售发票列表.xlsx",
        totals((x.customer, x.amount) for x in lines),
        reasons={"total_row": 1},
        derived=True,
    )


def kingdee_outbound_orders() -> SalesCase:
    """A 金蝶 K/3 outbound (销售出库) list: 日期, 单据编号, 购货单位, 物料编码, 物料名称, 实发数量, 单价 — no amount."""
    lines = make_lines(271, 450, COMPANIES[3:12], ["对讲机 T2", "电池 B5", "充电座"])
    rows = [["日期", "单据编号", "购货单位", "物料编码", "物料名称", "单位", "实发数量", "单价", "发货仓库"]]
    for i, line in enumerate(lines):
        rows.append([line.when.strftime("%Y/%m/%d"), f"XOUT{100000 + i}", line.customer, "3.01.001", line.product])
        rows[-1] += ["台", str(line.quantity), f"{line.price}", "成品仓"]
    return sales_expect(
        "kingdee_outbound_orders",
        xlsx_bytes(rows, sheet="销售出库"),
        "销售出库序时簿.xlsx",
        totals((x.customer, x.amount) for x in lines),
        derived=True,
    )


def sap_billing_documents() -> SalesCase:
    """SAP billing documents (VF05-style): Billing Document, Billing Date, Sold-To Party (a number), Material,
    Material Description, Billed Quantity, Net Value, Tax Amount, Sales Organization."""
    parties = [str(1000 + 17 * i) for i in range(20)]
    lines = make_lines(281, 500, parties, ["PUMP HOUSING", "VALVE 20MM"])
    rows = [["Billing Document", "Billing Date", "Sold-To Party", "Material", "Material Description"]]
    rows[0] += ["Billed Quantity", "Net Value", "Tax Amount", "Document Currency", "Sales Organization"]
    for i, line in enumerate(lines):
        rows.append([str(90000000 + i), line.when.strftime("%d.%m.%Y"), line.customer, "MAT-1", line.product])
        rows[-1] += [
            str(line.quantity),
            f"{line.amount}",
            f"{(line.amount * Decimal('0.13')).quantize(CENT)}",
            "CNY",
            "1000",
        ]
    return sales_expect(
        "sap_billing_documents",
        xlsx_bytes(rows, sheet="Billing"),
        "VF05.xlsx",
        totals((x.customer, x.amount) for x in lines),
    )


def pos_member_card() -> SalesCase:
    """A retail POS export keyed by member card: 小票号, 交易时间, 会员卡号, 商品名称, 数量, 单价, 折扣, 实收金额."""
    cards = [f"VIP{880000 + 31 * i}" for i in range(28)]
    lines = make_lines(291, 600, cards, ["矿泉水 550ml", "酸奶", "面包"])
    rows = [["小票号", "交易时间", "会员卡号", "商品名称", "数量", "单价", "折扣", "实收金额", "收银员"]]
    used = []
    for i, line in enumerate(lines):
        received = (line.amount * Decimal("0.95")).quantize(CENT, rounding=ROUND_HALF_UP)
        rows.append([f"P{i:07d}", line.when.strftime("%Y-%m-%d %H:%M"), line.customer, line.product])
        rows[-1] += [str(line.quantity), f"{line.price}", "0.95", f"{received}", "001"]
        used.append((line.customer, received))
    return sales_expect("pos_member_card", csv_bytes(rows), "pos_sales.csv", totals(used))


def sales_cases() -> list[SalesCase]:
    return [
        uci_online_retail(),
        online_retail_ii(),
        superstore(),
        pharmacy_pos(),
        taobao_orders(),
        jd_orders(),
        u8_sales_invoices_qty_price(),
        kingdee_outbound_orders(),
        sap_billing_documents(),
        pos_member_card(),
    ]


if __name__ == "__main__":
    import sys
    from pathlib import Path

    out = Path(sys.argv[1] if len(sys.argv) > 1 else "export_corpus")
    out.mkdir(parents=True, exist_ok=True)
    for case in [*pipeline_cases(), *sales_cases()]:
        (out / f"{case.name}__{case.filename}").write_bytes(case.data)
        print(out / f"{case.name}__{case.filename}")
