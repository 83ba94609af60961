"""Result tables as a sales analyst reads them: chosen columns, in order, with headers in the user's language."""

from __future__ import annotations

import pandas as pd

from funnel.i18n import t

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


def customer_list(
    customers: pd.DataFrame, lang: str = "zh", columns: tuple[str, ...] = CUSTOMER_COLUMNS
) -> pd.DataFrame:
    """Per-customer rows with localised headers; empty region/rep columns and missing dates are dropped."""
    frame = customers.copy()
    if "band_label" in frame:
        frame["band"] = frame["band_label"]
    if "upgrade_candidate" in frame:
        frame["upgrade_candidate"] = frame["upgrade_candidate"].map(lambda v: t("yes" if v else "no", lang))
    keep = []
    for column in columns:
        if column not in frame:
            continue
        values = frame[column]
        if column in ("region", "rep", "main_product") and (values.astype(str) == "").all():
            continue
        if column in ("first_date", "last_date") and values.isna().all():
            continue
        keep.append(column)
    out = frame[keep].copy()
    for column in ("first_date", "last_date"):
        if column in out:
            out[column] = pd.to_datetime(out[column]).dt.date
    out.columns = [t(f"col_{c}", lang) for c in keep]
    return out.reset_index(drop=True)
