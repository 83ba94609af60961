"""The bundled sample sales report: a seeded generator, so data/ is reproducible and never hand-edited.

`python -m funnel sample` rewrites data/sample_sales.xlsx. The report looks like an ERP export: title rows above
a Chinese header, invoice lines over two years, several products, 1,200 customers with heavy-tailed amounts, a
few returns (negative lines) and a 合计 row at the bottom.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20170830  # the date on the seed's own report: 销售报表20170830
SAMPLE_SALES = Path(__file__).resolve().parent.parent / "data" / "sample_sales.xlsx"
START, END = pd.Timestamp("2025-01-01"), pd.Timestamp("2026-10-31")

CITIES = {
    "北京": "华北",
    "天津": "华北",
    "石家庄": "华北",
    "太原": "华北",
    "上海": "华东",
    "杭州": "华东",
    "南京": "华东",
    "苏州": "华东",
    "宁波": "华东",
    "无锡": "华东",
    "合肥": "华东",
    "济南": "华东",
    "青岛": "华东",
    "福州": "华东",
    "厦门": "华东",
    "广州": "华南",
    "深圳": "华南",
    "佛山": "华南",
    "东莞": "华南",
    "南宁": "华南",
    "武汉": "华中",
    "长沙": "华中",
    "郑州": "华中",
    "南昌": "华中",
    "成都": "西南",
    "重庆": "西南",
    "昆明": "西南",
    "贵阳": "西南",
    "西安": "西北",
    "兰州": "西北",
    "沈阳": "东北",
    "大连": "东北",
    "哈尔滨": "东北",
}
WORDS = (
    "华信",
    "宏达",
    "恒通",
    "金鼎",
    "瑞丰",
    "鑫源",
    "中联",
    "天成",
    "博远",
    "安泰",
    "正和",
    "永盛",
    "启明",
    "盛世",
    "新元",
    "国泰",
    "嘉禾",
    "远航",
    "百川",
    "同创",
    "德润",
    "凯越",
    "辰星",
    "海纳",
)
TRADES = ("科技", "贸易", "电子", "建设", "物业管理", "实业", "信息技术", "机电设备", "工程", "智能")
SUFFIXES = ("有限公司", "有限公司", "有限公司", "股份有限公司", "集团有限公司")
REPS = {
    "华北": ("张伟", "王芳"),
    "华东": ("李娜", "刘洋", "陈静"),
    "华南": ("杨帆", "赵磊"),
    "华中": ("黄敏", "周杰"),
    "西南": ("吴倩", "徐强"),
    "西北": ("孙浩",),
    "东北": ("马丽",),
}
PRODUCTS = {
    "智能门锁 X1": 1280.00,
    "安防摄像机 C3": 860.00,
    "门禁系统 A5": 4500.00,
    "云存储服务（年）": 3600.00,
    "对讲机 T2": 320.00,
    "安装调试服务": 1500.00,
}
HEADER = ["单据日期", "单据编号", "客户名称", "货品名称", "数量", "单价", "价税合计", "区域", "业务员"]


def _customers(rng: np.random.Generator, n: int) -> pd.DataFrame:
    cities = list(CITIES)
    names: set[str] = set()
    rows = []
    while len(rows) < n:
        city = cities[rng.integers(len(cities))]
        name = (
            city
            + WORDS[rng.integers(len(WORDS))]
            + TRADES[rng.integers(len(TRADES))]
            + SUFFIXES[rng.integers(len(SUFFIXES))]
        )
        if name in names:
            continue
        names.add(name)
        region = CITIES[city]
        reps = REPS[region]
        rows.append((name, region, reps[rng.integers(len(reps))]))
    frame = pd.DataFrame(rows, columns=["customer", "region", "rep"])
    frame["yearly"] = np.exp(rng.normal(np.log(20_000), 1.6, n))  # heavy-tailed yearly spend
    frame["active_from"] = START + pd.to_timedelta(np.where(rng.random(n) < 0.2, rng.integers(0, 600, n), 0), unit="D")
    frame["active_to"] = END - pd.to_timedelta(np.where(rng.random(n) < 0.15, rng.integers(60, 600, n), 0), unit="D")
    return frame


def make_sales_sample(seed: int = SEED, n_customers: int = 1200) -> pd.DataFrame:
    """The sample's invoice lines as a DataFrame with the report's Chinese headers (no title or total rows)."""
    rng = np.random.default_rng(seed)
    customers = _customers(rng, n_customers)
    products = list(PRODUCTS)
    lines = []
    for c in customers.itertuples(index=False):
        start, end = c.active_from, max(c.active_to, c.active_from + pd.Timedelta(days=30))
        years = (end - start).days / 365.0
        spend = c.yearly * years * rng.uniform(0.7, 1.3)
        bought = rng.choice(len(products), size=int(rng.integers(1, 4)), replace=False)
        n_lines = int(np.clip(1 + rng.poisson(spend / 9_000), 1, 80))
        days = np.sort(rng.integers(0, max(1, (end - start).days), n_lines))
        for day in days:
            product = products[bought[rng.integers(len(bought))]]
            price = PRODUCTS[product]
            qty = max(1, round(spend / n_lines / price * rng.lognormal(0, 0.3)))
            lines.append((start + pd.Timedelta(days=int(day)), c.customer, product, qty, price, c.region, c.rep))
    frame = pd.DataFrame(lines, columns=["date", "customer", "product", "qty", "price", "region", "rep"])
    returns = rng.random(len(frame)) < 0.02
    frame.loc[returns, "qty"] = -rng.integers(1, 4, int(returns.sum()))
    frame = frame.sort_values(["date", "customer"], kind="stable").reset_index(drop=True)
    frame["amount"] = (frame["qty"] * (frame["price"] * 100).round().astype("int64")) / 100
    frame["order"] = [f"XS{d:%Y%m}{i:05d}" for i, d in enumerate(frame["date"], start=1)]
    out = frame[["date", "order", "customer", "product", "qty", "price", "amount", "region", "rep"]]
    out.columns = HEADER
    return out


def write_sales_sample(path: Path = SAMPLE_SALES, seed: int = SEED) -> Path:
    """Write the sample as an ERP-style xlsx: title rows, header, lines, a 合计 row."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    frame = make_sales_sample(seed)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("销售明细")
    ws.append(["华安智能科技有限公司 销售明细表"])
    ws.append([f"报表期间：{START:%Y-%m-%d} 至 {END:%Y-%m-%d}", None, None, None, None, None, None, "制表人：ERP导出"])
    bold = Font(bold=True)
    header = []
    for name in HEADER:
        cell = WriteOnlyCell(ws, value=name)
        cell.font = bold
        header.append(cell)
    ws.append(header)
    for row in frame.itertuples(index=False, name=None):
        date, order, customer, product, qty, price, amount, region, rep = row
        d = WriteOnlyCell(ws, value=date.to_pydatetime())
        d.number_format = "yyyy-mm-dd"
        ws.append([d, order, customer, product, int(qty), float(price), float(amount), region, rep])
    ws.append(["合计", None, None, None, int(frame["数量"].sum()), None, round(float(frame["价税合计"].sum()), 2)])
    wb.properties.creator = "funnel.sample"
    wb.properties.created = datetime(2026, 1, 1)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


SAMPLE_PIPELINE = SAMPLE_SALES.parent / "sample_pipeline.xlsx"
PIPELINE_STAGES = ("潜在客户", "初步接触", "意向", "提案", "谈判", "成交")
PASS_RATE = (0.72, 0.62, 0.42, 0.66, 0.58)  # 意向 → 提案 is the bottleneck the sample is built around
STAGE_PROBABILITY = (0.10, 0.20, 0.30, 0.50, 0.70, 1.00)
PIPELINE_TODAY = pd.Timestamp("2026-10-31")


def make_pipeline_sample(seed: int = SEED, n_deals: int = 900) -> pd.DataFrame:
    """Opportunities as a CRM exports them: current stage, amount, probability, expected signing date, the date
    each stage was entered, and the stage a lost deal was lost at. Many customers are also in the sales sample."""
    rng = np.random.default_rng(seed + 1)
    sales_customers = _customers(np.random.default_rng(seed), 1200)
    prospects = _customers(np.random.default_rng(seed + 2), 300)
    pool = pd.concat([sales_customers.sample(500, random_state=seed), prospects], ignore_index=True)
    products = list(PRODUCTS)
    rows = []
    for i in range(n_deals):
        c = pool.iloc[int(rng.integers(len(pool)))]
        created = pd.Timestamp("2025-07-01") + pd.Timedelta(days=int(rng.integers(0, 480)))
        dates = [created]
        status, lost_at = "open", None
        for step, rate in enumerate(PASS_RATE):
            nxt = dates[-1] + pd.Timedelta(days=int(rng.gamma(2.0, 9 + 4 * step)))
            if rng.random() < rate:
                if nxt > PIPELINE_TODAY:
                    break
                dates.append(nxt)
            else:
                if rng.random() < 0.75 and nxt <= PIPELINE_TODAY:
                    status, lost_at = "lost", step
                break
        if len(dates) == len(PIPELINE_STAGES):
            status = "won"
        stage = {"won": "赢单", "lost": "输单"}.get(status, PIPELINE_STAGES[len(dates) - 1])
        amount = round(float(np.exp(rng.normal(np.log(80_000), 0.9))), -2)
        probability = {"won": 1.0, "lost": 0.0}.get(status, STAGE_PROBABILITY[len(dates) - 1])
        close = dates[-1] if status == "won" else created + pd.Timedelta(days=int(rng.integers(60, 200)))
        row = {
            "商机编号": f"OPP-{i + 1:04d}",
            "客户名称": c.customer,
            "产品名称": products[int(rng.integers(len(products)))],
            "区域": c.region,
            "业务员": c.rep,
            "销售阶段": stage,
            "预计金额": amount,
            "赢率": f"{probability:.0%}",
            "创建日期": created,
            "预计签约日期": close,
            "输单阶段": PIPELINE_STAGES[lost_at] if status == "lost" and rng.random() < 0.7 else None,
        }
        for k, name in enumerate(PIPELINE_STAGES):
            row[f"进入{name}日期"] = dates[k] if k < len(dates) else None
        rows.append(row)
    return pd.DataFrame(rows)


def write_pipeline_sample(path: Path = SAMPLE_PIPELINE, seed: int = SEED) -> Path:
    """Write the pipeline sample as a CRM-style xlsx (one header row, dates as Excel dates)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    frame = make_pipeline_sample(seed)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("商机")
    ws.append(list(frame.columns))
    for values in frame.itertuples(index=False, name=None):
        row = []
        for v in values:
            if isinstance(v, pd.Timestamp):
                cell = WriteOnlyCell(ws, value=v.to_pydatetime())
                cell.number_format = "yyyy-mm-dd"
                row.append(cell)
            else:
                row.append(None if v is None or (isinstance(v, float) and np.isnan(v)) else v)
        ws.append(row)
    wb.properties.creator = "funnel.sample"
    wb.properties.created = datetime(2026, 1, 1)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def write_all(out_dir: Path = SAMPLE_SALES.parent) -> list[Path]:
    """Write every bundled sample into `out_dir` and return their paths."""
    out = Path(out_dir)
    return [write_sales_sample(out / SAMPLE_SALES.name), write_pipeline_sample(out / SAMPLE_PIPELINE.name)]
