"""Result tables as a sales analyst reads them: chosen columns, in order, with headers in the user's language."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

import pandas as pd

from funnel.i18n import t

if TYPE_CHECKING:
    from funnel.bands import BandReport
    from funnel.keycustomers import KeyCustomerReport
    from funnel.migration import Migration
    from funnel.schema import SalesData
    from funnel.stages import StageFunnel

CUSTOMER_COLUMNS: tuple[str, ...] = (
    "customer",
    "amount",
    "lines",
    "orders",
    "first_date",
    "last_date",
    "main_product",
    "region",
    "rep",
    "band",
    "gap_to_next",
    "upgrade_candidate",
)


KEY_COLUMNS: tuple[str, ...] = (
    "rank",
    "customer",
    "amount",
    "share",
    "cum_share",
    "grade",
    "priority",
    "band",
    "orders",
    "first_date",
    "last_date",
    "days_since_last",
    "change_pct",
    "risk_reason",
    "main_product",
    "region",
    "rep",
    "gap_to_next",
    "gap_to_next_grade",
)
_OPTIONAL = ("region", "rep", "main_product", "risk_reason")


def customer_list(
    customers: pd.DataFrame, lang: str = "zh", columns: tuple[str, ...] = CUSTOMER_COLUMNS
) -> pd.DataFrame:
    """Per-customer rows with localised headers and values; empty optional columns and missing dates are dropped."""
    frame = customers.copy()
    if "band_label" in frame:
        frame["band"] = frame["band_label"]
    if "upgrade_candidate" in frame:
        frame["upgrade_candidate"] = frame["upgrade_candidate"].map(lambda v: t("yes" if v else "no", lang))
    if "priority" in frame:
        frame["priority"] = frame["priority"].map(lambda v: t(f"tier_{v}", lang))
    if "risk_reason" in frame:
        frame["risk_reason"] = frame["risk_reason"].map(lambda v: t(f"risk_{v}", lang) if v else "")
    keep = []
    for column in columns:
        if column not in frame:
            continue
        values = frame[column]
        if column in _OPTIONAL and (values.astype(str) == "").all():
            continue
        if column in ("first_date", "last_date", "days_since_last", "change_pct") and values.isna().all():
            continue
        keep.append(column)
    out = frame[keep].copy()
    for column in ("first_date", "last_date"):
        if column in out:
            out[column] = pd.to_datetime(out[column]).dt.date
    out.columns = [t(f"col_{c}", lang) for c in keep]
    return out.reset_index(drop=True)


def band_summary_table(report: BandReport, lang: str = "zh") -> pd.DataFrame:
    """Per band: customers, share of customers, revenue, share of revenue, upgrade candidates."""
    s = report.summary
    return pd.DataFrame(
        {
            t("band", lang): s["label"],
            t("customers", lang): s["customers"],
            t("customer_share", lang): s["customer_share"],
            t("revenue", lang): s["amount"],
            t("revenue_share", lang): s["amount_share"],
            t("upgrade_candidates", lang): s["upgrade_candidates"],
        }
    )


def download_name(
    what: str, products: Sequence[str] = (), start: object = None, end: object = None, today: date | None = None
) -> str:
    """A file name that says what is inside: what, product(s), period and the date it was made."""
    import re

    parts = [what]
    if products:
        parts.append("+".join(products) if len(products) <= 2 else f"{products[0]}+{len(products) - 1}")
    if start or end:
        parts.append(f"{start or ''}~{end or ''}")
    parts.append((today or date.today()).isoformat())
    return re.sub(r'[\\/:*?"<>|\s]+', "-", "_".join(str(p) for p in parts))


def accounting_table(sales: SalesData, lang: str = "zh") -> pd.DataFrame:
    """Rows used and rows left out per reason; the counts add up to the rows read."""
    rows = [(t("rows_used", lang), sales.rows_used)]
    rows += [(t(f"reason_{code}", lang), n) for code, n in sales.reasons.items()]
    rows.append((t("rows_read", lang), sales.rows_read))
    return pd.DataFrame(rows, columns=[t("reason", lang), t("count", lang)])


def left_out_table(sales: SalesData, lang: str = "zh") -> pd.DataFrame:
    """The rows left out, as they were in the file, with their sheet row number and the reason in words."""
    frame = sales.left_out.copy()
    frame["reason"] = frame["reason"].map(lambda code: t(f"reason_{code}", lang))
    return frame.rename(columns={"row": t("row", lang), "reason": t("reason", lang)})


def mapping_table(sales: SalesData, lang: str = "zh") -> pd.DataFrame:
    """Which column of the file plays each role."""
    rows = [
        (t(f"role_{role}", lang), column or t("no_column", lang)) for role, column in sales.mapping.as_dict().items()
    ]
    return pd.DataFrame(rows, columns=[t("mapping_role", lang), t("mapping_column", lang)])


def detections_table(detections: dict, lang: str = "zh") -> pd.DataFrame:
    """Each role, the column that plays it and why (the evidence sentence), for the data page."""
    rows = [
        (t(f"role_{role}", lang), d.column, d.sentence(lang)) for role, d in detections.items() if d.column is not None
    ]
    headers = [t("mapping_role", lang), t("mapping_column", lang), t("detections_header", lang)]
    return pd.DataFrame(rows, columns=headers)


def lines_table(lines: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """Sales lines as read: sheet row, customer, product, amount in yuan, date, region, rep, order no."""
    frame = pd.DataFrame(
        {
            t("row", lang): lines["row"],
            t("col_customer", lang): lines["customer"],
            t("role_product", lang): lines["product"],
            t("col_amount", lang): lines["amount_cents"] / 100,
            t("role_date", lang): pd.to_datetime(lines["date"]).dt.date,
        }
    )
    for role in ("region", "rep", "order"):
        if role in lines and (lines[role] != "").any():
            frame[t(f"role_{role}", lang)] = lines[role]
    return frame


def grade_table(report: KeyCustomerReport, lang: str = "zh") -> pd.DataFrame:
    """Per grade: customers and their share, revenue and its share."""
    s = report.summary
    return pd.DataFrame(
        {
            t("col_grade", lang): s["grade"],
            t("customers", lang): s["customers"],
            t("customer_share", lang): s["customer_share"],
            t("revenue", lang): s["amount"],
            t("revenue_share", lang): s["revenue_share"],
        }
    )


def _band_name(label: str, lang: str) -> str:
    return t(f"band_{label}", lang) if label in ("new", "lost") else label


def migration_matrix_table(result: Migration, lang: str = "zh") -> pd.DataFrame:
    """The from × to matrix with new/lost in words and row/column totals."""
    m = result.matrix.copy()
    m.index = [_band_name(i, lang) for i in m.index]
    m.columns = [_band_name(c, lang) for c in m.columns]
    m[t("total_customers", lang)] = m.sum(axis=1)
    m.loc[t("total_customers", lang)] = m.sum(axis=0)
    m.index.name = f"{t('cell_from', lang)} / {t('cell_to', lang)}"
    return m.reset_index()


def migration_customers_table(customers: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """Customers of a migration cell: bands, revenue in both periods, change and move, in words."""
    return pd.DataFrame(
        {
            t("col_customer", lang): customers["customer"],
            t("col_from_band", lang): customers["from_band"].map(lambda v: _band_name(v, lang)),
            t("col_to_band", lang): customers["to_band"].map(lambda v: _band_name(v, lang)),
            t("col_from_amount", lang): customers["from_amount"],
            t("col_to_amount", lang): customers["to_amount"],
            t("col_change", lang): customers["change"],
            t("col_move", lang): customers["move"].map(lambda v: t(f"move_{v}", lang)),
        }
    )


def product_change_table(frame: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """Per-product change with localised headers."""
    from funnel.migration import CHANGE_COLUMNS

    out = frame[list(CHANGE_COLUMNS)].copy()
    out.columns = [t(f"col_{c}", lang) for c in CHANGE_COLUMNS]
    return out


STAGE_COLUMNS: tuple[str, ...] = (
    "stage",
    "reached",
    "amount",
    "step_conversion",
    "cumulative_conversion",
    "dropped",
    "drop_share",
    "median_days_to_next",
)


def stage_table(funnel: StageFunnel, lang: str = "zh") -> pd.DataFrame:
    """Per stage: reached, amount, step and cumulative conversion, dropped, drop share, median days to next."""
    out = funnel.table[list(STAGE_COLUMNS)].copy()
    names = {c: t(f"col_{c}", lang) for c in STAGE_COLUMNS}
    names["amount"] = t("col_stage_amount", lang)
    return out.rename(columns=names)


def deals_table(deals: pd.DataFrame, stages: Sequence[str], lang: str = "zh") -> pd.DataFrame:
    """Deals as a sales manager reads them: deal, customer, status, furthest stage, amount, owner…"""
    out = pd.DataFrame(
        {
            t("col_deal", lang): deals["deal"],
            t("col_customer", lang): deals["customer"],
            t("col_status", lang): deals["status"].map(lambda v: t(f"status_{v}", lang)),
            t("col_furthest", lang): deals["furthest"].map(lambda i: stages[int(i)]),
            t("col_stage_amount", lang): deals["amount_cents"] / 100,
        }
    )
    for role in ("product", "region", "rep"):
        if role in deals and (deals[role].astype(str) != "").any():
            out[t(f"role_{role}", lang)] = deals[role].to_numpy()
    return out


def breakdown_table(groups: dict[str, StageFunnel], lang: str = "zh") -> pd.DataFrame:
    """Per group: deals at the first stage, reached at the last, win rate, and the group's bottleneck step."""
    rows = []
    for name, f in groups.items():
        s = f.table
        neck = f.bottleneck
        rows.append(
            {
                t("col_group", lang): name,
                t("deals", lang): int(s["reached"].iloc[0]),
                s["stage"].iloc[-1]: int(s["reached"].iloc[-1]),
                t("col_cumulative_conversion", lang): s["cumulative_conversion"].iloc[-1],
                t("win_rate", lang): f.win_rate,
                t("col_bottleneck", lang): ""
                if neck is None
                else f"{s['stage'].iloc[neck]} → {s['stage'].iloc[neck + 1]}",
                t("col_drop_share", lang): None if neck is None else s["drop_share"].iloc[neck],
            }
        )
    return pd.DataFrame(rows)


def compare_table(frame: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """Step conversion before and after, and the change in percentage points."""
    columns = ("stage", "reached_before", "reached_after", "conversion_before", "conversion_after", "change_pp")
    out = frame[list(columns)].copy()
    out.columns = [t(f"col_{c}", lang) for c in columns]
    return out


def forecast_table(table: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """Per period: weighted forecast, closed won, commit, best case (each including closed), open pipeline."""
    columns = ("period", "weighted", "closed", "commit", "best_case", "open_amount", "deals")
    out = table[list(columns)].copy()
    out.columns = [t(f"col_{c}", lang) for c in columns]
    return out


def targets_table(table: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """Per period with its target: closed, commit, best case, gap and coverage."""
    columns = ("period", "target", "closed", "commit", "best_case", "gap", "open_amount", "coverage")
    out = table[list(columns)].copy()
    out.columns = [t(f"col_{c}", lang) for c in columns]
    return out


def forecast_deals_table(deals: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """Weighed deals: deal, customer, stage, probability, amount, weighted, category, expected signing, owner."""
    out = pd.DataFrame(
        {
            t("col_deal", lang): deals["deal"],
            t("col_customer", lang): deals["customer"],
            t("col_stage", lang): deals["stage"],
            t("col_probability", lang): deals["p"],
            t("col_stage_amount", lang): deals["amount"],
            t("col_weighted", lang): deals["weighted"],
            t("col_signing_date", lang): pd.to_datetime(deals["signing_date"]).dt.date,
        }
    )
    for role in ("rep", "product", "region"):
        if role in deals and (deals[role].astype(str) != "").any():
            out[t(f"role_{role}", lang)] = deals[role].to_numpy()
    return out


def changes_table(frame: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """What changed between two snapshots, in words."""
    return pd.DataFrame(
        {
            t("col_deal", lang): frame["deal"],
            t("col_customer", lang): frame["customer"],
            t("col_change_kind", lang): frame["change"].map(lambda c: t(f"change_{c}", lang)),
            t("col_before", lang): frame["before"],
            t("col_after", lang): frame["after"],
        }
    )


def accuracy_table(table: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """Each snapshot week's weighted forecast, its error against actual, and whether it was within 10%."""
    columns = ("week", "weighted", "error", "within")
    out = table[list(columns)].copy()
    out.columns = [t(f"col_{c}", lang) for c in columns]
    return out


def localise_columns(frame: pd.DataFrame, lang: str = "zh", drop: Sequence[str] = ()) -> pd.DataFrame:
    """Headers (and index/column-axis names) in the user's language wherever the string table has `col_<name>`;
    other names (a product, a stage) are user data and stay as they are."""
    from funnel.i18n import STRINGS

    def name(c: object) -> object:
        return t(f"col_{c}", lang) if f"col_{c}" in STRINGS else c

    out = frame.drop(columns=[c for c in drop if c in frame.columns])
    out = out.rename(columns=name)
    out.index.name = name(out.index.name) if out.index.name else None
    out.columns.name = name(out.columns.name) if out.columns.name else None
    return out


def flags_table(flags: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """Flagged products (funnel.trends.product_flags), worst first, each flag said in words that fit the signs of
    its figures ('customers grew 10.0% while revenue fell 20.0%', never 'grew faster (-50%)')."""
    from funnel.formats import percent
    from funnel.trends import per_customer_words

    def words(row) -> str:
        said = []
        if "per_customer_down" in row.flags:
            case = per_customer_words(row.customer_growth, row.revenue_growth)
            cg, rg = percent(abs(row.customer_growth)), percent(abs(row.revenue_growth))
            said.append(t(f"flag_{case}", lang, cg=cg, rg=rg))
        if "churn" in row.flags:
            said.append(t("flag_churn_words", lang, churn=percent(row.churn), lost=row.lost, n=row.customers_from))
        return "；".join(said) if lang == "zh" else "; ".join(said)

    columns = ("product", "customers_from", "customers_to", "customer_growth", "revenue_growth", "churn",
               "revenue_at_stake")  # fmt: skip
    out = flags[list(columns)].copy()
    out.insert(1, "flags", [words(row) for row in flags.itertuples(index=False)])
    out.columns = [t(f"col_{c}", lang) for c in ("product", "flag", *columns[1:])]
    return out
