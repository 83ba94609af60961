"""The one table of user-facing strings, in Chinese and English. Pages, CLI and errors all read it."""

from __future__ import annotations

LANGS: tuple[str, ...] = ("zh", "en")

STRINGS: dict[str, dict[str, str]] = {
    # --- app shell and data source
    "app_title": {"zh": "客户漏斗", "en": "Customer Funnel"},
    "lang_name": {"zh": "中文", "en": "English"},
    "language": {"zh": "语言 / Language", "en": "Language / 语言"},
    "source_header": {"zh": "数据来源", "en": "Data source"},
    "upload_label": {"zh": "上传销售报表（xlsx、xls、csv）", "en": "Upload a sales report (xlsx, xls, csv)"},
    "using_sample": {"zh": "正在使用内置示例报表：{name}", "en": "Using the bundled sample report: {name}"},
    "using_upload": {"zh": "正在使用上传的报表：{name}", "en": "Using your report: {name}"},
    "sheet": {"zh": "工作表", "en": "Sheet"},
    "mapping_header": {"zh": "列映射（自动识别，可修改）", "en": "Column mapping (detected, editable)"},
    "no_column": {"zh": "（无）", "en": "(none)"},
    "mapping_role": {"zh": "用途", "en": "Role"},
    "mapping_column": {"zh": "文件中的列", "en": "Column in the file"},
    "lines_preview": {"zh": "使用的明细（前 200 行）", "en": "Lines used (first 200)"},
    "role_customer": {"zh": "客户", "en": "Customer"},
    "role_amount": {"zh": "金额（价税合计）", "en": "Amount"},
    "role_product": {"zh": "产品", "en": "Product"},
    "role_date": {"zh": "日期", "en": "Date"},
    "role_quantity": {"zh": "数量", "en": "Quantity"},
    "role_region": {"zh": "区域", "en": "Region"},
    "role_rep": {"zh": "业务员", "en": "Sales rep"},
    "role_order": {"zh": "单据编号", "en": "Order no."},
    "rows_summary": {
        "zh": "读取 {read} 行 · 使用 {used} 行 · 剔除 {left} 行（见「数据与列映射」）",
        "en": "{read} rows read · {used} used · {left} left out (see “Data and mapping”)",
    },
    "rows_read": {"zh": "读取行数", "en": "Rows read"},
    "rows_used": {"zh": "使用行数", "en": "Rows used"},
    "rows_left_out": {"zh": "剔除行数", "en": "Rows left out"},
    "header_found": {
        "zh": "表头在第 {row} 行（工作表「{sheet}」）",
        "en": "Header found on row {row} (sheet “{sheet}”)",
    },
    "amount_in_wan": {
        "zh": "金额列单位为万元，已换算为元。",
        "en": "The amount column is in 万元 (×10,000); converted to yuan.",
    },
    "duplicates_warning": {
        "zh": "有 {n} 行与其他行完全相同：已保留（它们可能是真实的重复开票），请核对。",
        "en": "{n} rows are exact copies of other rows: kept (they may be real repeated lines); please check.",
    },
    "variants_note": {
        "zh": "{n} 个客户名称有多种写法（空格、全角/半角、大小写），已合并为同一客户。",
        "en": "{n} customers are written in more than one way (spaces, full/half width, case) and were merged.",
    },
    "data_error": {"zh": "无法使用这个文件：{msg}", "en": "This file cannot be used: {msg}"},
    "back_to_sample": {"zh": "已改回内置示例报表。", "en": "Showing the bundled sample instead."},
    # --- reasons a row is left out
    "reason_empty_row": {"zh": "空行", "en": "Empty row"},
    "reason_total_row": {"zh": "合计/小计行", "en": "Total or subtotal row"},
    "reason_blank_customer": {"zh": "客户名称为空", "en": "Blank customer"},
    "reason_blank_product": {"zh": "产品名称为空", "en": "Blank product"},
    "reason_bad_amount": {"zh": "金额为空或不是数字", "en": "Amount blank or not a number"},
    "reason_bad_date": {"zh": "日期为空或无效", "en": "Date blank or invalid"},
    "reason": {"zh": "原因", "en": "Reason"},
    "row": {"zh": "行号", "en": "Row"},
    "count": {"zh": "行数", "en": "Rows"},
    # --- pages
    "page_bands": {"zh": "客户分层漏斗", "en": "Amount-band funnel"},
    "page_data": {"zh": "数据与列映射", "en": "Data and mapping"},
    "products": {"zh": "产品（默认全部）", "en": "Products (default: all)"},
    "period": {"zh": "期间", "en": "Period"},
    "thresholds": {"zh": "分层阈值（元）", "en": "Band thresholds (yuan)"},
    "threshold_n": {"zh": "阈值 {n}", "en": "Threshold {n}"},
    "add_band": {"zh": "增加一层", "en": "Add a band"},
    "remove_band": {"zh": "删除最高一层", "en": "Remove the top band"},
    "reset_bands": {"zh": "恢复默认", "en": "Reset to default"},
    "upgrade_pct": {
        "zh": "升级候选：距下一阈值不超过（%）",
        "en": "Upgrade candidates: within (%) of the next threshold",
    },
    "customers": {"zh": "客户数", "en": "Customers"},
    "customer_share": {"zh": "客户占比", "en": "Share of customers"},
    "revenue": {"zh": "销售额（元）", "en": "Revenue"},
    "revenue_share": {"zh": "销售额占比", "en": "Share of revenue"},
    "band": {"zh": "分层", "en": "Band"},
    "upgrade_candidates": {"zh": "升级候选", "en": "Upgrade candidates"},
    "funnel_customers": {"zh": "各层客户数", "en": "Customers per band"},
    "funnel_revenue": {"zh": "各层销售额", "en": "Revenue per band"},
    "total_customers": {"zh": "客户总数", "en": "Customers"},
    "total_revenue": {"zh": "销售总额（元）", "en": "Total revenue"},
    "choose_band": {"zh": "查看哪一层的客户", "en": "Show the customers of band"},
    "only_upgrade": {"zh": "只看升级候选", "en": "Upgrade candidates only"},
    "band_list_caption": {
        "zh": "{band}：{n} 个客户，其中 {up} 个距下一阈值不超过 {pct}%。",
        "en": "{band}: {n} customers, {up} of them within {pct}% of the next threshold.",
    },
    "download_csv": {"zh": "下载 CSV", "en": "Download CSV"},
    "download_xlsx": {"zh": "下载 Excel", "en": "Download XLSX"},
    "no_rows": {"zh": "所选条件下没有销售记录。", "en": "No sales lines match the current choice."},
    "left_out_rows": {"zh": "被剔除的行", "en": "Rows left out"},
    "name_variants": {"zh": "同一客户的不同写法", "en": "Customer name variants"},
    "download_left_out": {"zh": "下载被剔除的行", "en": "Download the rows left out"},
    "bands_hint": {
        "zh": "区间为左闭右开：恰好 5 万元的客户属于「5–10万」。退货（负数行）已冲减客户合计。",
        "en": "Bands are [lower, upper): a customer at exactly 50,000 is in 50,000–100,000. Returns are netted in.",
    },
    # --- key customers
    "page_key": {"zh": "关键客户", "en": "Key customers"},
    "key_hint": {
        "zh": "按销售额从高到低排序：累计占比达到 A 类上限的头部客户为 A 类，其后到 B 类上限为 B 类，其余为 C 类。分级基于全部客户，下方筛选只影响列表。",
        "en": "Customers ranked by revenue: the top ones that together make up the A share are A, then B up to the B share, the rest C. Grades use every customer; the filters below only narrow the list.",
    },
    "pareto_share": {"zh": "帕累托份额（%）", "en": "Pareto share (%)"},
    "cutoff_a": {"zh": "A 类：累计销售额占比至（%）", "en": "A: cumulative revenue share up to (%)"},
    "cutoff_b": {"zh": "B 类：累计销售额占比至（%）", "en": "B: cumulative revenue share up to (%)"},
    "inactive_days": {"zh": "多少天没有订单算流失风险", "en": "Days without an order before a customer is at risk"},
    "drop_pct": {"zh": "近期销售额较上期下降超过（%）", "en": "Recent revenue fell by more than (%)"},
    "pareto_sentence": {
        "zh": "{n} 个客户（占 {pct}）贡献了 {share} 的销售额。",
        "en": "{n} customers ({pct} of all) bring {share} of revenue.",
    },
    "pareto_title": {"zh": "客户帕累托曲线", "en": "Pareto curve"},
    "pareto_x": {"zh": "客户（按销售额排名）", "en": "Customers ranked by revenue"},
    "pareto_y2": {"zh": "累计销售额占比", "en": "Cumulative share of revenue"},
    "grade_summary": {"zh": "ABC 分级汇总", "en": "ABC grades"},
    "as_of": {"zh": "截至 {date}（报表中的最后日期）", "en": "As of {date} (the last date in the report)"},
    "at_risk_header": {"zh": "有流失风险的关键客户（A/B 类）", "en": "Key customers at risk (A/B)"},
    "at_risk_caption": {
        "zh": "{n} 个 A/B 类客户超过 {days} 天没有订单，或最近 {days} 天的销售额比之前 {days} 天下降超过 {pct}%。",
        "en": "{n} A/B customers have had no order for over {days} days, or their revenue in the last {days} days fell by more than {pct}% against the {days} days before.",
    },
    "upgrade_header": {
        "zh": "升级候选（接近下一分层或下一等级）",
        "en": "Upgrade candidates (close to the next band or grade)",
    },
    "key_list": {"zh": "关键客户名单", "en": "Key-customer list"},
    "filter_grade": {"zh": "等级", "en": "Grade"},
    "filter_band": {"zh": "金额分层", "en": "Amount band"},
    "filter_product": {"zh": "主要产品", "en": "Main product"},
    "filter_region": {"zh": "区域", "en": "Region"},
    "filter_rep": {"zh": "业务员", "en": "Sales rep"},
    "min_revenue": {"zh": "最低销售额（元）", "en": "Minimum revenue"},
    "search": {"zh": "搜索客户名称", "en": "Search customer name"},
    "list_caption": {"zh": "显示 {shown} / {total} 个客户", "en": "Showing {shown} of {total} customers"},
    "tier_high": {"zh": "高优先级", "en": "High"},
    "tier_medium": {"zh": "中优先级", "en": "Medium"},
    "tier_low": {"zh": "低优先级", "en": "Low"},
    "risk_inactive": {"zh": "长期无订单", "en": "No recent order"},
    "risk_revenue_drop": {"zh": "销售额下滑", "en": "Revenue falling"},
    "col_rank": {"zh": "排名", "en": "Rank"},
    "col_share": {"zh": "销售额占比", "en": "Share"},
    "col_cum_share": {"zh": "累计占比", "en": "Cumulative share"},
    "col_grade": {"zh": "等级", "en": "Grade"},
    "col_priority": {"zh": "优先级", "en": "Priority"},
    "col_days_since_last": {"zh": "距上次订单天数", "en": "Days since last order"},
    "col_change_pct": {"zh": "近期变化", "en": "Recent change"},
    "col_risk_reason": {"zh": "风险原因", "en": "Risk"},
    "col_gap_to_next_grade": {"zh": "距上一等级", "en": "Gap to next grade"},
    "abc_bad_cutoffs": {
        "zh": "分级界限需满足 0 < A < B ≤ 100%（现在是 {values}）。",
        "en": "Grade cut-offs must satisfy 0 < A < B ≤ 100% (now {values}).",
    },
    "abc_bad_share": {
        "zh": "帕累托份额必须在 0 到 100% 之间（{value}）。",
        "en": "The Pareto share must be between 0 and 100% ({value}).",
    },
    # --- column names in tables and exports
    "col_customer": {"zh": "客户", "en": "Customer"},
    "col_amount": {"zh": "销售额", "en": "Revenue"},
    "col_lines": {"zh": "明细行数", "en": "Lines"},
    "col_orders": {"zh": "单据数", "en": "Orders"},
    "col_first_date": {"zh": "首次日期", "en": "First date"},
    "col_last_date": {"zh": "最近日期", "en": "Last date"},
    "col_main_product": {"zh": "主要产品", "en": "Main product"},
    "col_region": {"zh": "区域", "en": "Region"},
    "col_rep": {"zh": "业务员", "en": "Sales rep"},
    "col_band": {"zh": "分层", "en": "Band"},
    "col_gap_to_next": {"zh": "距下一阈值", "en": "Gap to next threshold"},
    "col_upgrade_candidate": {"zh": "升级候选", "en": "Upgrade candidate"},
    "yes": {"zh": "是", "en": "yes"},
    "no": {"zh": "否", "en": "no"},
    # --- errors (one sentence: what was found, what to do)
    "read_empty_file": {
        "zh": "文件是空的（0 字节），请重新导出。",
        "en": "The file is empty (0 bytes); please export it again.",
    },
    "read_too_large": {
        "zh": "文件有 {size_mb} MB，超过 {limit_mb} MB 的上限；请只导出需要的期间或产品。",
        "en": "The file is {size_mb} MB, over the {limit_mb} MB limit; export only the period or products you need.",
    },
    "read_encrypted": {
        "zh": "工作簿设置了密码；请在 Excel 中去掉密码（文件→信息→保护工作簿）后另存再上传。",
        "en": "The workbook is password-protected; remove the password in Excel (File → Info → Protect Workbook), save and upload again.",
    },
    "read_not_spreadsheet": {
        "zh": "这不是电子表格或 CSV 文件；请上传 xlsx、xls 或 csv。",
        "en": "This is not a spreadsheet or CSV file; please upload xlsx, xls or csv.",
    },
    "read_corrupt": {
        "zh": "文件已损坏或不完整，无法读取（{detail}）；请从 ERP 重新导出。",
        "en": "The file is damaged or incomplete and cannot be read ({detail}); please export it again from the ERP.",
    },
    "read_bad_encoding": {
        "zh": "无法识别文本编码；请另存为 UTF-8 CSV 或 xlsx。",
        "en": "The text encoding was not recognised; save as UTF-8 CSV or xlsx.",
    },
    "read_empty_sheet": {
        "zh": "工作表{sheet}没有数据；请选择另一个工作表。",
        "en": "Sheet {sheet} has no data; choose another sheet.",
    },
    "read_no_such_sheet": {
        "zh": "没有名为「{sheet}」的工作表；可选：{sheets}。",
        "en": "There is no sheet named “{sheet}”; the workbook has: {sheets}.",
    },
    "read_too_many_rows": {
        "zh": "工作表声明有 {rows} 行，超过 {limit} 行的上限；请只导出需要的数据。",
        "en": "The sheet claims {rows} rows, over the {limit}-row limit; export only the data you need.",
    },
    "schema_missing_columns": {
        "zh": "没有找到必需的列（{roles}）；现有列：{columns}。请在「列映射」中自己选择。",
        "en": "Required columns not found ({roles}); the file has: {columns}. Choose them yourself under “Column mapping”.",
    },
    "schema_unknown_column": {
        "zh": "所选的{role}列「{column}」不在文件中；请重新选择。",
        "en": "The {role} column “{column}” is not in the file; choose again.",
    },
    "bands_empty": {"zh": "至少需要一个分层阈值。", "en": "At least one band threshold is needed."},
    "bands_not_number": {"zh": "阈值「{value}」不是数字。", "en": "Threshold “{value}” is not a number."},
    "bands_negative": {"zh": "阈值不能为负数（{value}）。", "en": "Thresholds cannot be negative ({value})."},
    "bands_duplicate": {
        "zh": "阈值 {value} 出现了两次；每个阈值只能用一次。",
        "en": "Threshold {value} appears twice; use each threshold once.",
    },
    "bands_unsorted": {
        "zh": "阈值需要从小到大排列（现在是 {values}）。",
        "en": "Thresholds must be in ascending order (now {values}).",
    },
    "bands_bad_pct": {
        "zh": "升级候选比例必须在 0 到 100% 之间（{value}）。",
        "en": "The upgrade share must be between 0 and 100% ({value}).",
    },
    "cli_xlsx_needs_out": {
        "zh": "XLSX 格式需要用 --out 指定输出文件。",
        "en": "The xlsx format needs an output file: add --out PATH.",
    },
    "cli_file_not_found": {"zh": "找不到文件：{path}", "en": "File not found: {path}"},
    "cli_bad_date": {
        "zh": "日期「{value}」无法识别；请用 2026-01-31 这样的格式。",
        "en": "Date “{value}” not understood; use a form like 2026-01-31.",
    },
    "cli_unknown_product": {
        "zh": "报表中没有产品「{product}」；现有产品：{products}。",
        "en": "No product “{product}” in the report; it has: {products}.",
    },
}


def t(key: str, lang: str = "zh", **params: object) -> str:
    """The string `key` in `lang` with {params} filled in; an unknown key shows itself rather than crashing."""
    entry = STRINGS.get(key)
    if entry is None:
        return key
    text = entry.get(lang) or entry["en"]
    try:
        return text.format(**params)
    except (KeyError, IndexError, ValueError):
        return text
