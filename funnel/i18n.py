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
    "reading_file": {"zh": "正在读取报表……", "en": "Reading the report…"},
    "checking_rows": {"zh": "正在核对每一行……", "en": "Checking every row…"},
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
    "role_deal": {"zh": "商机编号", "en": "Deal id"},
    "role_stage": {"zh": "阶段", "en": "Stage"},
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
    "unexpected_error": {
        "zh": "出现了意外问题（{kind}），已记录在服务器日志中；请换一个文件或调整选项后重试。",
        "en": "Something unexpected went wrong ({kind}); it is in the server log. Try another file or other choices.",
    },
    "data_error": {"zh": "无法使用这个文件：{msg}", "en": "This file cannot be used: {msg}"},
    "back_to_sample": {"zh": "已改回内置示例报表。", "en": "Showing the bundled sample instead."},
    # --- exports: column detection, evidence and derived amount (issue #10)
    "role_unit_price": {"zh": "单价", "en": "Unit price"},
    "evidence_none": {"zh": "没有找到", "en": "not found"},
    "evidence_dates": {"zh": "{column}：{n} 个值中 {ok} 个是日期", "en": "{column}: {ok} of {n} values are dates"},
    "evidence_amounts": {"zh": "{column}：{n} 个值中 {ok} 个是金额", "en": "{column}: {ok} of {n} values are amounts"},
    "evidence_numbers": {"zh": "{column}：{n} 个值中 {ok} 个是数字", "en": "{column}: {ok} of {n} values are numbers"},
    "evidence_percent": {
        "zh": "{column}：{n} 个值中 {ok} 个是概率",
        "en": "{column}: {ok} of {n} values are probabilities",
    },
    "evidence_distinct": {
        "zh": "{column}：{n} 行中有 {distinct} 个不同的值",
        "en": "{column}: {distinct} distinct values in {n} rows",
    },
    "evidence_status": {
        "zh": "{column}：{n} 个值中 {ok} 个是进行中/赢单/输单",
        "en": "{column}: {ok} of {n} values are open/won/lost",
    },
    "evidence_preferred": {
        "zh": "{column}：实际收到的金额（实收/实付/净额），优先于 {others}（应收/应付/总额）",
        "en": "{column}: the amount received (net), preferred to {others} (due or gross)",
    },
    "evidence_rescued": {"zh": "（表头不认识，按取值识别）", "en": " (unknown header, recognised by its values)"},
    "evidence_chosen": {"zh": "（您选择的）", "en": " (your choice)"},
    "evidence_alternatives": {"zh": "；其他候选：{others}", "en": "; also possible: {others}"},
    "evidence_derived": {
        "zh": "金额 = {quantity} × {unit_price}（文件中没有金额列），按分精确计算",
        "en": "Amount = {quantity} × {unit_price} (the file has no amount column), exact to the cent",
    },
    "derive_amount": {
        "zh": "没有金额列时，金额 = 数量 × 单价",
        "en": "No amount column: amount = quantity × unit price",
    },
    "choose_column": {"zh": "请选择…", "en": "Choose…"},
    "ask_column": {
        "zh": "无法确定「{role}」是哪一列，请选择（{evidence}）。",
        "en": "Not sure which column is the {role}; please choose ({evidence}).",
    },
    "period_off": {
        "zh": "没有日期列，期间筛选不可用：请在「列映射」中选择日期列。",
        "en": "No date column, so the period is off: choose a date column under “Column mapping”.",
    },
    "detections_header": {"zh": "识别依据", "en": "How the columns were found"},
    # --- reasons a row is left out
    "reason_empty_row": {"zh": "空行", "en": "Empty row"},
    "reason_total_row": {"zh": "合计/小计行", "en": "Total or subtotal row"},
    "reason_note_row": {"zh": "说明/备注行（只有一个单元格）", "en": "Note row (a single cell of text)"},
    "reason_blank_deal": {"zh": "商机编号为空", "en": "Blank deal id"},
    "reason_unknown_stage": {"zh": "阶段为空或无法对应", "en": "Stage blank or not in the stage list"},
    "reason_blank_customer": {"zh": "客户名称为空", "en": "Blank customer"},
    "reason_blank_product": {"zh": "产品名称为空", "en": "Blank product"},
    "reason_bad_amount": {
        "zh": "金额为空、不是数字或单行达到 10 亿",
        "en": "Amount blank, not a number, or 1,000,000,000 or more on one line",
    },
    "reason_bad_date": {"zh": "日期为空或无效", "en": "Date blank or invalid"},
    "reason": {"zh": "原因", "en": "Reason"},
    "row": {"zh": "行号", "en": "Row"},
    "count": {"zh": "行数", "en": "Rows"},
    # --- pages
    "page_bands": {"zh": "客户分层漏斗", "en": "Amount-band funnel"},
    "page_data": {"zh": "数据与列映射", "en": "Data and mapping"},
    "products": {"zh": "产品（默认全部）", "en": "Products (default: all)"},
    "period": {"zh": "期间", "en": "Period"},
    "thresholds": {"zh": "分层阈值", "en": "Band thresholds"},
    "threshold_n": {"zh": "阈值 {n}", "en": "Threshold {n}"},
    "add_band": {"zh": "增加一层", "en": "Add band"},
    "remove_band": {"zh": "减少一层", "en": "Remove band"},
    "reset_bands": {"zh": "恢复默认分层", "en": "Default bands"},
    "upgrade_pct": {
        "zh": "升级候选：距下一阈值不超过（%）",
        "en": "Upgrade candidates: within (%) of the next threshold",
    },
    "customers": {"zh": "客户数", "en": "Customers"},
    "customer_share": {"zh": "客户占比", "en": "Share of customers"},
    "revenue": {"zh": "销售额", "en": "Revenue"},
    "revenue_share": {"zh": "销售额占比", "en": "Share of revenue"},
    "band": {"zh": "分层", "en": "Band"},
    "upgrade_candidates": {"zh": "升级候选", "en": "Upgrade candidates"},
    "funnel_customers": {"zh": "各层客户数", "en": "Customers per band"},
    "funnel_revenue": {"zh": "各层销售额", "en": "Revenue per band"},
    "total_customers": {"zh": "客户总数", "en": "Customers"},
    "total_revenue": {"zh": "销售总额", "en": "Total revenue"},
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
        "zh": "区间为左闭右开：合计恰好等于某个阈值的客户属于上面一层。退货（负数行）已冲减客户合计。",
        "en": "Bands are [lower, upper): a customer whose total is exactly a threshold is in the band above it. Returns are netted in.",
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
    "min_revenue": {"zh": "最低销售额", "en": "Minimum revenue"},
    "search": {"zh": "搜索客户名称", "en": "Search customer name"},
    "list_caption": {"zh": "显示 {shown} / {total} 个客户", "en": "Showing {shown} of {total} customers"},
    "tier_high": {"zh": "高优先级", "en": "High"},
    "tier_medium": {"zh": "中优先级", "en": "Medium"},
    "tier_low": {"zh": "低优先级", "en": "Low"},
    "risk_inactive": {"zh": "长期无订单", "en": "No recent order"},
    "risk_revenue_drop": {"zh": "销售额下滑", "en": "Revenue falling"},
    "matrix_vs_header": {
        "zh": "价值 × 阶段矩阵（ABC 等级 × 最远销售阶段）",
        "en": "Value × stage (ABC grade × furthest sales stage)",
    },
    "matrix_vs_caption": {
        "zh": "按标准化的客户名称（忽略空格、全角/半角、大小写）把销售报表与商机数据关联；每个客户取其进行中或已赢商机到达的最远阶段。",
        "en": "Sales report and pipeline joined on the normalised customer name (spaces, full/half width and case ignored); each customer sits at the furthest stage of its open or won deals.",
    },
    "matrix_counts": {"zh": "客户数", "en": "Customers"},
    "matrix_revenue": {"zh": "销售额", "en": "Revenue"},
    "stage_no_deal": {"zh": "无商机", "en": "No deal"},
    "stage_all_lost": {"zh": "商机均已输单", "en": "All deals lost"},
    "cell_grade": {"zh": "等级", "en": "Grade"},
    "cell_stage": {"zh": "阶段", "en": "Stage"},
    "vs_cell_caption": {"zh": "{n} 个 {g} 类客户处于「{s}」", "en": "{n} grade-{g} customers at “{s}”"},
    "pipeline_only_header": {
        "zh": "只在商机数据中出现的客户（销售报表中没有）：{n} 个",
        "en": "Customers only in the pipeline (not in the sales report): {n}",
    },
    "behaviour_header": {
        "zh": "按行为分级（带看、出价、推荐次数）",
        "en": "Behaviour grades (viewings, offers, recommendations)",
    },
    "rule_promote": {"zh": "C→B：带看至少（次）", "en": "C→B: viewings at least"},
    "rule_offer": {"zh": "B→A：在多少次带看内出价", "en": "B→A: an offer within this many viewings"},
    "rule_demote": {"zh": "B→C：带看多少次仍未出价", "en": "B→C: this many viewings without an offer"},
    "rule_drop": {"zh": "C→F：推荐多少次仍未带看", "en": "C→F: this many recommendations without a viewing"},
    "col_viewings": {"zh": "带看次数", "en": "Viewings"},
    "col_offers": {"zh": "出价次数", "en": "Offers"},
    "col_recommendations": {"zh": "推荐次数", "en": "Recommendations"},
    "col_variants": {"zh": "不同写法", "en": "Spellings"},
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
    # --- trends and migration
    "page_trends": {"zh": "客户变化与迁移", "en": "Trends and migration"},
    "trends_hint": {
        "zh": "比较两个期间：客户在金额分层之间的迁移、各产品的新增与流失，以及每月走势。客户在某期间有任何明细即算该期间的客户，分层按该期间的净额。",
        "en": "Two periods compared: how customers moved between amount bands, new and lost customers per product, and the monthly trend. A customer belongs to a period when it has any line in it, banded by its net total there.",
    },
    "period_preset": {"zh": "比较方式", "en": "Compare"},
    "preset_year": {"zh": "今年至今 vs 去年同期", "en": "Year to date vs same span last year"},
    "preset_quarter": {"zh": "本季度 vs 去年同季度", "en": "This quarter vs same quarter last year"},
    "preset_custom": {"zh": "自选两个期间", "en": "Any two periods"},
    "preset_reports": {"zh": "与另一个报表对比", "en": "Against another report"},
    "other_report": {"zh": "上传作为“前一期间”的报表", "en": "Upload the report to use as the earlier period"},
    "other_report_hint": {
        "zh": "上传另一个销售报表（例如去年的导出），与当前报表比较。",
        "en": "Upload another sales report (last year's export, say) to compare with the current one.",
    },
    "period_from": {"zh": "前一期间", "en": "Earlier period"},
    "period_to": {"zh": "后一期间", "en": "Later period"},
    "periods_caption": {"zh": "前一期间 {a} → 后一期间 {b}", "en": "Earlier {a} → later {b}"},
    "moves_line": {
        "zh": "升级 {up} · 降级 {down} · 持平 {stable} · 新增 {new} · 流失 {lost}",
        "en": "Up {up} · down {down} · stable {stable} · new {new} · lost {lost}",
    },
    "band_new": {"zh": "新客户", "en": "New"},
    "band_lost": {"zh": "流失", "en": "Lost"},
    "matrix_header": {
        "zh": "分层迁移矩阵（行：前一期间，列：后一期间）",
        "en": "Band migration (rows: earlier, columns: later)",
    },
    "sankey_title": {"zh": "客户分层迁移", "en": "Customers moving between bands"},
    "cell_from": {"zh": "从", "en": "From"},
    "cell_to": {"zh": "到", "en": "To"},
    "cell_caption": {"zh": "{n} 个客户从「{a}」到「{b}」", "en": "{n} customers from “{a}” to “{b}”"},
    "product_header": {"zh": "各产品的客户与销售额变化", "en": "Customers and revenue per product"},
    "churn_alert_pct": {"zh": "流失率预警线（%）", "en": "Churn alert above (%)"},
    "flag_outgrow": {
        "zh": "⚠ {product}：客户数增长（{cg}）快于销售额增长（{rg}）",
        "en": "⚠ {product}: customers grew faster ({cg}) than revenue ({rg})",
    },
    "flag_churn": {
        "zh": "⚠ {product}：流失率 {churn} 超过 {limit}",
        "en": "⚠ {product}: churn {churn} is above {limit}",
    },
    "trend_header": {"zh": "每月走势", "en": "Monthly trend"},
    "trend_customers": {
        "zh": "每月客户数（按当月金额分层）",
        "en": "Customers per month, by band of the month's total",
    },
    "trend_revenue": {"zh": "每月销售额", "en": "Revenue per month"},
    "month": {"zh": "月份", "en": "Month"},
    "needs_dates": {
        "zh": "这个页面需要日期列；请在「列映射」中选择日期列。",
        "en": "This page needs a date column; choose one under “Column mapping”.",
    },
    "col_product": {"zh": "产品", "en": "Product"},
    "col_customers_from": {"zh": "前期客户数", "en": "Customers (earlier)"},
    "col_customers_to": {"zh": "后期客户数", "en": "Customers (later)"},
    "col_revenue_from": {"zh": "前期销售额", "en": "Revenue (earlier)"},
    "col_revenue_to": {"zh": "后期销售额", "en": "Revenue (later)"},
    "col_per_customer_from": {"zh": "前期客单额", "en": "Per customer (earlier)"},
    "col_per_customer_to": {"zh": "后期客单额", "en": "Per customer (later)"},
    "col_customer_growth": {"zh": "客户增长", "en": "Customer growth"},
    "col_revenue_growth": {"zh": "销售额增长", "en": "Revenue growth"},
    "col_new": {"zh": "新增", "en": "New"},
    "col_lost": {"zh": "流失", "en": "Lost"},
    "col_returning": {"zh": "留存", "en": "Returning"},
    "col_churn": {"zh": "流失率", "en": "Churn"},
    "col_from_band": {"zh": "前期分层", "en": "Earlier band"},
    "col_to_band": {"zh": "后期分层", "en": "Later band"},
    "col_from_amount": {"zh": "前期销售额", "en": "Earlier revenue"},
    "col_to_amount": {"zh": "后期销售额", "en": "Later revenue"},
    "col_change": {"zh": "变化", "en": "Change"},
    "col_move": {"zh": "变动", "en": "Move"},
    "move_up": {"zh": "升级", "en": "Up"},
    "move_down": {"zh": "降级", "en": "Down"},
    "move_stable": {"zh": "持平", "en": "Stable"},
    "move_new": {"zh": "新增", "en": "New"},
    "move_lost": {"zh": "流失", "en": "Lost"},
    "period_bad": {
        "zh": "期间「{value}」无法识别；请写成 2025-01-01..2025-12-31。",
        "en": "Period “{value}” not understood; write it as 2025-01-01..2025-12-31.",
    },
    # --- stage funnel
    "page_stages": {"zh": "阶段漏斗与流失", "en": "Stage funnel and drop-off"},
    "stages_hint": {
        "zh": "每个阶段有多少商机到达、在哪一步流失、瓶颈在哪里。到达第 k 阶段的商机视为经过了之前所有阶段；阶段倒退的商机按它到达过的最远阶段计算。",
        "en": "How many deals reach each stage, where they drop out, and which step is the bottleneck. A deal at stage k has passed every stage before it; a deal that moved back counts for the furthest stage it reached.",
    },
    "pipeline_source": {"zh": "商机数据（阶段漏斗、预测）", "en": "Pipeline data (stages, forecast)"},
    "pipeline_upload": {"zh": "上传商机/管道导出（xlsx、xls、csv）", "en": "Upload a pipeline export (xlsx, xls, csv)"},
    "pipeline_sample": {"zh": "正在使用内置示例商机：{name}", "en": "Using the bundled sample pipeline: {name}"},
    "stage_template": {"zh": "阶段模板", "en": "Stage template"},
    "template_lead": {"zh": "线索漏斗（潜在客户→成交）", "en": "Lead funnel (Leads → Closed)"},
    "template_key4": {"zh": "关键客户四阶段", "en": "Key-customer four stages"},
    "template_key_account": {"zh": "大客户销售流程", "en": "Key-account process"},
    "template_aida": {"zh": "AIDA（意识→行动）", "en": "AIDA (Awareness → Action)"},
    "stage_list": {
        "zh": "阶段顺序（每行一个，可改名、调序、增删）",
        "en": "Stage order (one per line: rename, reorder, add, remove)",
    },
    "input_shape": {"zh": "数据形态", "en": "Input shape"},
    "shape_snapshot": {"zh": "当前阶段快照（每个商机一行）", "en": "Current-stage snapshot (a row per deal)"},
    "shape_stage_dates": {"zh": "每个阶段一个日期列", "en": "One date column per stage"},
    "shape_event_log": {"zh": "阶段变更日志（每次变更一行）", "en": "Event log (a row per stage change)"},
    "window_days": {"zh": "转化时间窗（天，0 = 不限）", "en": "Conversion window (days, 0 = none)"},
    "breakdown_by": {"zh": "按此列拆分", "en": "Break down by"},
    "no_breakdown": {"zh": "（不拆分）", "en": "(none)"},
    "compare_mode": {"zh": "对比", "en": "Compare"},
    "compare_none": {"zh": "不对比", "en": "No comparison"},
    "compare_periods": {"zh": "两个期间（按进入首阶段日期）", "en": "Two periods (by date entering the first stage)"},
    "compare_file": {"zh": "与另一个文件对比（优化前后）", "en": "Against another file (before and after)"},
    "compare_upload": {
        "zh": "上传用于对比的商机文件（作为“之前”）",
        "en": "Upload the pipeline file to compare with (as “before”)",
    },
    "deals": {"zh": "商机数", "en": "Deals"},
    "won": {"zh": "赢单", "en": "Won"},
    "lost": {"zh": "输单", "en": "Lost"},
    "win_rate": {"zh": "赢率（赢单 ÷ 已结束）", "en": "Win rate (won ÷ closed)"},
    "stage_funnel_title": {"zh": "阶段漏斗", "en": "Stage funnel"},
    "bottleneck_sentence": {
        "zh": "瓶颈在「{a} → {b}」：{share} 的商机（{n} 个）没有进入下一阶段，是各步中流失比例最高的。",
        "en": "The bottleneck is “{a} → {b}”: {share} of deals ({n}) did not move on, the highest drop-off of any step.",
    },
    "no_bottleneck": {"zh": "没有发生流失。", "en": "No deal dropped out."},
    "lost_without_stage_note": {
        "zh": "{n} 个输单商机没有“输单阶段”列或阶段日期，只计入第一阶段。",
        "en": "{n} lost deals have no lost-at-stage column or stage dates, so they count at the first stage only.",
    },
    "missing_amount_note": {
        "zh": "{n} 个商机没有有效金额，金额按 0 计。",
        "en": "{n} deals have no valid amount; counted as 0.",
    },
    "unmapped_header": {"zh": "没有对应阶段的取值（请指定）", "en": "Values that match no stage (map them)"},
    "map_to": {"zh": "「{value}」（{rows} 行）对应", "en": "“{value}” ({rows} rows) means"},
    "map_ignore": {"zh": "（不计入）", "en": "(leave out)"},
    "map_won": {"zh": "赢单", "en": "won"},
    "map_lost": {"zh": "输单", "en": "lost"},
    "col_stage": {"zh": "阶段", "en": "Stage"},
    "col_reached": {"zh": "到达数", "en": "Reached"},
    "col_stage_amount": {"zh": "金额", "en": "Amount"},
    "col_step_conversion": {"zh": "步转化率", "en": "Step conversion"},
    "col_cumulative_conversion": {"zh": "累计转化率", "en": "Cumulative conversion"},
    "col_dropped": {"zh": "流失数", "en": "Dropped"},
    "col_drop_share": {"zh": "流失比例", "en": "Drop-off share"},
    "col_median_days_to_next": {"zh": "到下一阶段天数（中位数）", "en": "Median days to next stage"},
    "col_deal": {"zh": "商机", "en": "Deal"},
    "col_status": {"zh": "状态", "en": "Status"},
    "col_furthest": {"zh": "最远阶段", "en": "Furthest stage"},
    "col_group": {"zh": "分组", "en": "Group"},
    "col_bottleneck": {"zh": "瓶颈", "en": "Bottleneck"},
    "col_reached_before": {"zh": "之前到达", "en": "Reached before"},
    "col_reached_after": {"zh": "之后到达", "en": "Reached after"},
    "col_conversion_before": {"zh": "之前步转化", "en": "Step conversion before"},
    "col_conversion_after": {"zh": "之后步转化", "en": "Step conversion after"},
    "col_change_pp": {"zh": "变化（百分点）", "en": "Change (pp)"},
    "status_open": {"zh": "进行中", "en": "open"},
    "status_won": {"zh": "赢单", "en": "won"},
    "status_lost": {"zh": "输单", "en": "lost"},
    "before": {"zh": "之前", "en": "Before"},
    "after": {"zh": "之后", "en": "After"},
    "breakdown_header": {"zh": "分组漏斗", "en": "Funnel per group"},
    "compare_header": {"zh": "对比：优化前后", "en": "Comparison: before and after"},
    "drill_header": {"zh": "流失明细", "en": "Who dropped out"},
    "drill_step": {"zh": "在哪一步流失", "en": "Dropped at step"},
    "drill_caption": {
        "zh": "{n} 个商机到达「{a}」但没有进入「{b}」（含仍在进行中的）。",
        "en": "{n} deals reached “{a}” but not “{b}” (open ones included).",
    },
    "list_shown": {
        "zh": "显示前 {shown} 个（共 {n} 个），按商机编号排序；其余仍留在数据库中。",
        "en": "The first {shown} of {n} are shown (by deal id); the rest stay in the database.",
    },
    "list_more": {"zh": "再显示 {n} 个", "en": "Show {n} more"},
    "funnel_text": {
        "zh": "{n} · 占首阶段 {first} · 占上一阶段 {prev}",
        "en": "{n} · {first} of first · {prev} of previous",
    },
    "stages_too_few": {"zh": "至少需要两个阶段。", "en": "At least two stages are needed."},
    "stages_duplicate": {
        "zh": "阶段名称重复了；每个阶段只能出现一次。",
        "en": "A stage name appears twice; each stage once only.",
    },
    "stages_bad_shape": {"zh": "未知的数据形态「{value}」。", "en": "Unknown input shape “{value}”."},
    "stages_unknown_template": {"zh": "未知的阶段模板「{value}」。", "en": "Unknown stage template “{value}”."},
    "stages_no_stage_column": {
        "zh": "没有找到阶段列；现有列：{columns}。请在「商机列映射」中选择。",
        "en": "No stage column found; the file has: {columns}. Choose it under “Pipeline column mapping”.",
    },
    "stages_no_date_columns": {"zh": "没有找到“进入某阶段日期”的列。", "en": "No “date entered stage” columns found."},
    "stages_no_deal_column": {"zh": "阶段日志需要商机编号列。", "en": "An event log needs a deal id column."},
    "stages_no_date_column": {"zh": "阶段日志需要日期列。", "en": "An event log needs a date column."},
    # --- exports: pipeline mapping, stage order, lost placement (issue #10)
    "pipeline_mapping_header": {
        "zh": "商机列映射（自动识别，可修改）",
        "en": "Pipeline column mapping (detected, editable)",
    },
    "role_probability": {"zh": "赢率", "en": "Probability"},
    "role_close_date": {"zh": "预计签约日期", "en": "Expected close date"},
    "role_status": {"zh": "状态（进行中/赢单/输单）", "en": "Status (open/won/lost)"},
    "role_lost_stage": {"zh": "输单阶段", "en": "Lost at stage"},
    "role_lost_reason": {"zh": "输单原因", "en": "Lost reason"},
    "role_event_date": {"zh": "阶段变更日期", "en": "Stage change date"},
    "role_category": {"zh": "预测类别", "en": "Forecast category"},
    "role_stage_date": {"zh": "阶段日期", "en": "Stage date"},
    "stage_date_of": {"zh": "进入「{stage}」的日期", "en": "Date entered “{stage}”"},
    "stage_dates_header": {"zh": "每个阶段的进入日期列", "en": "Date each stage was entered"},
    "order_user": {"zh": "阶段顺序：您给出的", "en": "Stage order: as you gave it"},
    "order_template": {"zh": "阶段顺序：取值与模板一致", "en": "Stage order: the values are the template's"},
    "order_vocabulary": {"zh": "阶段顺序：{label} 的标准阶段", "en": "Stage order: {label}'s standard stages"},
    "order_probabilities": {
        "zh": "阶段顺序：按您给出的赢率从低到高",
        "en": "Stage order: by the probabilities you gave, ascending",
    },
    "order_probability": {
        "zh": "阶段顺序：按文件中赢率列的中位数从低到高推断，请确认",
        "en": "Stage order: inferred from the file's probability column (median, ascending); please confirm",
    },
    "order_dates": {
        "zh": "阶段顺序：按各阶段的进入日期先后推断，请确认",
        "en": "Stage order: inferred from the dates each stage was entered; please confirm",
    },
    "order_words": {
        "zh": "阶段顺序：按阶段名称推断（线索在前、谈判在后），请确认",
        "en": "Stage order: inferred from the stage names (lead early, negotiation late); please confirm",
    },
    "order_unknown": {
        "zh": "阶段顺序：无法从文件推断，请给出",
        "en": "Stage order: the file does not tell it; please give it",
    },
    "order_unplaced": {"zh": "；无法排序的取值：{values}", "en": "; values that could not be placed: {values}"},
    "order_confirm": {"zh": "阶段顺序正确", "en": "This stage order is right"},
    "order_from_data": {"zh": "从数据识别", "en": "From the data"},
    "placement_line": {
        "zh": "输单商机的位置：按阶段日期 {dates} 个 · 按输单阶段列 {lost_stage_column} 个 · 按状态/输单原因列及当时阶段 {current_stage} 个 · 只计入第一阶段 {first_stage} 个",
        "en": "Lost deals placed by stage dates: {dates} · by the lost-at-stage column: {lost_stage_column} · by a status or lost-reason column at their stage: {current_stage} · at the first stage only: {first_stage}",
    },
    "no_amount_note": {
        "zh": "{n} 个进行中的商机没有金额（空白或不是数字），未计入任何预测金额。",
        "en": "{n} open deals have no amount (blank or not a number) and are in no forecast sum.",
    },
    "unmapped_line": {"zh": "无法对应阶段的取值：{values}", "en": "Stage values matching no stage: {values}"},
    "left_out_line": {"zh": "剔除的行：{reasons}", "en": "Rows left out: {reasons}"},
    # --- forecast and snapshots
    "page_forecast": {"zh": "销售预测", "en": "Sales forecast"},
    "forecast_hint": {
        "zh": "加权预测 = Σ 金额 × 赢率，按预计签约日期归入月份或季度。赢单按 100%，输单不计；进行中的商机优先用文件中的赢率，否则用下表的阶段赢率。",
        "en": "Weighted forecast = Σ amount × probability, by expected signing month or quarter. Won counts 100%, lost nothing; an open deal uses its own probability from the file, else the stage table below.",
    },
    "forecast_by": {"zh": "预测周期", "en": "Forecast by"},
    "by_quarter": {"zh": "季度", "en": "Quarter"},
    "by_month": {"zh": "月份", "en": "Month"},
    "use_probability_column": {"zh": "使用文件中的赢率列", "en": "Use the file's probability column"},
    "probability_table": {"zh": "阶段赢率（可编辑）", "en": "Probability per stage (editable)"},
    "commit_bound": {"zh": "承诺（commit）：赢率至少（%）", "en": "Commit: probability at least (%)"},
    "best_bound": {"zh": "最佳情况（best case）：赢率至少（%）", "en": "Best case: probability at least (%)"},
    "cat_closed": {"zh": "已赢单", "en": "Closed won"},
    "cat_commit": {"zh": "承诺", "en": "Commit"},
    "cat_best_case": {"zh": "最佳情况", "en": "Best case"},
    "cat_pipeline": {"zh": "管道", "en": "Pipeline"},
    "forecast_chart": {"zh": "各期按类别的金额", "en": "Amount per period by category"},
    "targets_header": {"zh": "目标与缺口", "en": "Targets and gap"},
    "targets_caption": {
        "zh": "在“目标”列填写各期目标（元）。覆盖率 = 未结商机金额 ÷ 剩余缺口。",
        "en": "Enter each period's target. Coverage = open pipeline ÷ remaining gap.",
    },
    "slipping_header": {
        "zh": "延期的商机（预计签约日期已过仍未结束）",
        "en": "Slipping deals (expected signing date passed, still open)",
    },
    "slipping_caption": {"zh": "截至 {date}：{n} 个商机", "en": "As of {date}: {n} deals"},
    "snap_header": {"zh": "每周快照", "en": "Weekly snapshots"},
    "snap_week": {"zh": "周（ISO，如 2026-W48）", "en": "Week (ISO, e.g. 2026-W48)"},
    "snap_label": {"zh": "备注", "en": "Label"},
    "snap_save": {"zh": "保存本周预测", "en": "Save this week's forecast"},
    "snap_saved": {"zh": "已保存 {week}：{n} 个商机。", "en": "Saved {week}: {n} deals."},
    "snap_replace_q": {"zh": "{week} 已有快照。要替换吗？", "en": "{week} already has a snapshot. Replace it?"},
    "snap_replace": {"zh": "替换", "en": "Replace"},
    "snap_delete": {"zh": "删除快照", "en": "Delete a snapshot"},
    "snap_delete_q": {
        "zh": "确定删除 {week} 的快照？此操作无法撤销。",
        "en": "Delete the snapshot of {week}? This cannot be undone.",
    },
    "snap_deleted": {"zh": "已删除 {week}。", "en": "Deleted {week}."},
    "confirm": {"zh": "确定", "en": "Yes"},
    "cancel": {"zh": "取消", "en": "Cancel"},
    "snap_none": {"zh": "还没有快照。", "en": "No snapshots yet."},
    "history_quarter": {"zh": "查看哪个季度的预测变化", "en": "Quarter to follow"},
    "history_chart": {"zh": "{q} 的加权预测与承诺（按周）", "en": "{q}: weighted forecast and commit by week"},
    "changes_header": {"zh": "本周变化（{a} → {b}）", "en": "What changed ({a} → {b})"},
    "change_added": {"zh": "新增", "en": "added"},
    "change_removed": {"zh": "移出", "en": "removed"},
    "change_stage": {"zh": "阶段", "en": "stage"},
    "change_amount": {"zh": "金额", "en": "amount"},
    "change_date": {"zh": "签约日期", "en": "signing date"},
    "accuracy_header": {
        "zh": "{q} 预测准确度（实际赢单 {actual}）",
        "en": "{q} forecast accuracy (actual won {actual})",
    },
    "actual_source": {"zh": "实际值来自", "en": "Actual from"},
    "actual_snapshot": {"zh": "最新快照中的赢单", "en": "Won deals in the latest snapshot"},
    "actual_sales": {"zh": "销售报表中该季度的销售额", "en": "The sales report's revenue in the quarter"},
    "accuracy_share": {
        "zh": "{share} 的周预测在实际值 ±10% 以内。",
        "en": "{share} of weekly forecasts were within 10% of actual.",
    },
    "col_period": {"zh": "期间", "en": "Period"},
    "col_weighted": {"zh": "加权预测", "en": "Weighted"},
    "col_closed": {"zh": "已赢单", "en": "Closed won"},
    "col_commit": {"zh": "承诺", "en": "Commit"},
    "col_best_case": {"zh": "最佳情况", "en": "Best case"},
    "col_open_amount": {"zh": "未结金额", "en": "Open pipeline"},
    "col_target": {"zh": "目标", "en": "Target"},
    "col_gap": {"zh": "缺口", "en": "Gap"},
    "col_coverage": {"zh": "覆盖率", "en": "Coverage"},
    "col_probability": {"zh": "赢率", "en": "Probability"},
    "col_signing_date": {"zh": "预计签约日期", "en": "Expected signing"},
    "col_week": {"zh": "周", "en": "Week"},
    "col_label": {"zh": "备注", "en": "Label"},
    "col_saved_at": {"zh": "保存时间", "en": "Saved at"},
    "col_deals": {"zh": "商机数", "en": "Deals"},
    "col_error": {"zh": "误差", "en": "Error"},
    "col_within": {"zh": "±10% 以内", "en": "Within 10%"},
    "col_change_kind": {"zh": "变化", "en": "Change"},
    "col_before": {"zh": "之前", "en": "Before"},
    "col_after": {"zh": "之后", "en": "After"},
    "forecast_bad_probability": {
        "zh": "赢率设置「{value}」无效；请写成 提案=0.5 或 提案=50%。",
        "en": "Probability “{value}” not understood; write it as Proposal=0.5 or Proposal=50%.",
    },
    "forecast_bad_bounds": {
        "zh": "需满足 0 ≤ 最佳情况 ≤ 承诺 ≤ 100%（现在承诺 {commit}，最佳 {best}）。",
        "en": "Need 0 ≤ best case ≤ commit ≤ 100% (now commit {commit}, best case {best}).",
    },
    "forecast_bad_period": {
        "zh": "周期只能是 quarter 或 month（{value}）。",
        "en": "The period must be quarter or month ({value}).",
    },
    "snapshot_exists": {
        "zh": "{week} 已经有快照；确认替换后再保存（命令行加 --replace）。",
        "en": "{week} already has a snapshot; confirm to replace it (add --replace on the command line).",
    },
    "snapshot_bad_week": {
        "zh": "周「{value}」格式不对；请写成 2026-W48。",
        "en": "Week “{value}” is not valid; write it as 2026-W48.",
    },
    "snapshot_busy": {
        "zh": "快照簿「{book}」正忙（另一个会话在保存）；请稍后再试。",
        "en": "The snapshot book “{book}” is busy (another session is saving); try again in a moment.",
    },
    "snapshot_newer_schema": {
        "zh": "快照数据库来自更新的版本（结构 {found}，本程序认识到 {known}）；请升级本程序。",
        "en": "The snapshot database comes from a newer version (schema {found}, this program knows up to {known}); please upgrade.",
    },
    "snapshot_delete_unconfirmed": {
        "zh": "未删除 {week}：需要确认（加 --yes）。",
        "en": "{week} not deleted: it needs confirming (add --yes).",
    },
    "snapshot_not_found": {"zh": "没有 {week} 的快照。", "en": "There is no snapshot for {week}."},
    # --- snapshot books and store failures (sec-rest)
    "snap_book": {"zh": "快照簿", "en": "Snapshot book"},
    "snap_book_new": {"zh": "（新建快照簿…）", "en": "(New book…)"},
    "snap_new_book": {"zh": "新快照簿的名称", "en": "Name of the new book"},
    "snap_book_help": {
        "zh": "快照簿保存在服务器的数据文件夹中（由管理员设置）。名称最多 {n} 个字母、数字、- 或 _。",
        "en": "Books are kept in the server's data folder (set by the administrator). A name is up to {n} letters, digits, - or _.",
    },
    "snapshot_bad_book": {
        "zh": "「{value}」不能作为快照簿名称：请用最多 {n} 个字母、数字、- 或 _，并以字母或数字开头。",
        "en": "“{value}” cannot name a snapshot book: use up to {n} letters, digits, - or _, starting with a letter or digit.",
    },
    "snapshot_data_dir_relative": {
        "zh": "快照文件夹设置（FUNNEL_DATA_DIR）必须是绝对路径；请联系管理员。",
        "en": "The snapshot folder setting (FUNNEL_DATA_DIR) must be an absolute path; ask the administrator.",
    },
    "snapshot_empty_file": {
        "zh": "「{book}」是一个空文件，不是快照簿；它未被改动。请换一个名称。",
        "en": "“{book}” is an empty file, not a snapshot book; it was left untouched. Choose another name.",
    },
    "snapshot_not_ours": {
        "zh": "「{book}」不是快照簿（它属于其他程序或不是数据库）；它未被改动。请换一个名称。",
        "en": "“{book}” is not a snapshot book (it belongs to another program or is not a database); it was left untouched. Choose another name.",
    },
    "snapshot_corrupt": {
        "zh": "快照簿「{book}」已损坏，无法读取；请从备份恢复或换一个快照簿。",
        "en": "The snapshot book “{book}” is damaged and cannot be read; restore it from a backup or use another book.",
    },
    "snapshot_disk_full": {
        "zh": "存放快照簿「{book}」的磁盘已满，未能保存；请腾出空间后重试。",
        "en": "The disk holding the snapshot book “{book}” is full, so nothing was saved; free some space and try again.",
    },
    "snapshot_read_only": {
        "zh": "快照簿「{book}」是只读的，未能保存；可以查看，但要保存请让管理员开放写入权限。",
        "en": "The snapshot book “{book}” is read-only, so nothing was saved; it can be viewed, but saving needs write access.",
    },
    "snapshot_cannot_open": {
        "zh": "无法打开快照簿「{book}」（文件夹不存在或无权访问）；请检查数据文件夹的设置。",
        "en": "The snapshot book “{book}” cannot be opened (its folder is missing or not accessible); check the data folder setting.",
    },
    "snapshot_io_error": {
        "zh": "读写快照簿「{book}」时磁盘报错；已保存的内容不受影响，请稍后重试。",
        "en": "The disk reported an error while using the snapshot book “{book}”; what was saved is unaffected. Try again later.",
    },
    "snapshot_store_failed": {
        "zh": "快照簿「{book}」暂时无法使用；已保存的内容不受影响，请稍后重试。",
        "en": "The snapshot book “{book}” could not be used just now; what was saved is unaffected. Try again later.",
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
    # --- limits on untrusted files (funnel.limits, funnel.guard)
    "limit_setting": {
        "zh": "服务器设置 {name}={value} 不是正数；请管理员修改。",
        "en": "The server setting {name}={value} is not a positive number; ask the operator to fix it.",
    },
    "limit_rows_claims": {
        "zh": "工作表声明有 {rows} 行，上限是 {limit} 行；文件可能已损坏，请重新导出。",
        "en": "The sheet claims {rows} rows; the limit is {limit}. The file may be damaged: export it again.",
    },
    "limit_rows_has": {
        "zh": "文件有 {rows} 行，上限是 {limit} 行；请只导出需要的期间或产品。",
        "en": "The file has {rows} rows; the limit is {limit}. Export only the period or products you need.",
    },
    "limit_columns_claims": {
        "zh": "工作表声明有 {columns} 列，上限是 {limit} 列；文件可能已损坏，请重新导出。",
        "en": "The sheet claims {columns} columns; the limit is {limit}. The file may be damaged: export it again.",
    },
    "limit_columns_has": {
        "zh": "工作表有 {columns} 列有内容，上限是 {limit} 列；请只导出需要的列。",
        "en": "The sheet has {columns} columns holding data; the limit is {limit}. Export only the columns you need.",
    },
    "limit_cells_claims": {
        "zh": "工作表声明有 {rows} 行 × {columns} 列 = {cells} 个单元格，上限是 {limit} 个；请只导出需要的数据。",
        "en": "The sheet claims {rows} rows × {columns} columns = {cells} cells; the limit is {limit}. Export only the data you need.",
    },
    "limit_cells_has": {
        "zh": "工作表有 {cells} 个单元格，上限是 {limit} 个；请只导出需要的数据。",
        "en": "The sheet has {cells} cells; the limit is {limit}. Export only the data you need.",
    },
    "limit_text": {
        "zh": "第 {row} 行第 {column} 列的文字有 {chars} 个字符，上限是 {limit} 个（Excel 本身的上限）；文件可能已损坏。",
        "en": "Row {row}, column {column} holds a text of {chars} characters; the limit is {limit} (Excel's own). The file may be damaged.",
    },
    "limit_text_string": {
        "zh": "文件中的一段文字有 {chars} 个字符，上限是 {limit} 个（Excel 本身的上限）；文件可能已损坏。",
        "en": "The file holds a text of {chars} characters; the limit is {limit} (Excel's own). The file may be damaged.",
    },
    "limit_strings": {
        "zh": "文件的字符串表声明有 {strings} 条，最多可能有 {limit} 条；文件已损坏，请重新导出。",
        "en": "The file's string table claims {strings} strings where it can hold at most {limit}; the file is damaged: export it again.",
    },
    "limit_unzipped": {
        "zh": "文件解压后有 {size_mb} MB，上限是 {limit_mb} MB；请只导出需要的数据。",
        "en": "The file unpacks to {size_mb} MB; the limit is {limit_mb} MB. Export only the data you need.",
    },
    "limit_ratio": {
        "zh": "文件的一部分从 {packed_kb} KB 解压成 {size_mb} MB（{ratio} 倍），电子表格最多 {limit} 倍；这不是正常导出的文件。",
        "en": "Part of the file unpacks from {packed_kb} KB to {size_mb} MB ({ratio}-fold) where spreadsheets stay under {limit}-fold; this is not a normal export.",
    },
    "limit_entries": {
        "zh": "文件包含 {entries} 个部件，上限是 {limit} 个；这不是正常导出的文件。",
        "en": "The file holds {entries} parts; the limit is {limit}. This is not a normal export.",
    },
    "limit_memory": {
        "zh": "读取这个文件需要的内存超过了服务器的上限（{limit_mb} MB）；请只导出需要的数据。",
        "en": "Reading this file needs more memory than the server allows ({limit_mb} MB); export only the data you need.",
    },
    "limit_memory_asked": {
        "zh": "读取这个文件需要一次分配 {asked_mb} MB 内存，服务器上限是 {limit_mb} MB；文件可能已损坏，请重新导出。",
        "en": "Reading this file asks for {asked_mb} MB of memory at once where the server allows {limit_mb} MB; the file may be damaged: export it again.",
    },
    "limit_time": {
        "zh": "读取这个文件超过了服务器的时间上限（{seconds} 秒）；请只导出需要的数据。",
        "en": "Reading this file took longer than the server allows ({seconds} s); export only the data you need.",
    },
    "limit_busy": {
        "zh": "服务器正在读取其他文件；请过一分钟再试。",
        "en": "The server is busy reading other files; try again in a minute.",
    },
    "limit_fields": {
        "zh": "第 {line} 行有 {fields} 个字段，上限是 {limit} 列；请检查分隔符或只导出需要的列。",
        "en": "Line {line} has {fields} fields; the limit is {limit} columns. Check the separator or export only the columns you need.",
    },
    "limit_line": {
        "zh": "第 {line} 行超过 {limit} 个字符；这不是正常导出的 CSV。",
        "en": "Line {line} is longer than {limit} characters; this is not a normal CSV export.",
    },
    "read_xml_dtd": {
        "zh": "文件中的 XML 自带实体声明（DTD），正常的电子表格从不这样做；文件未被读取。",
        "en": "The file's XML declares its own entities (a DTD), which spreadsheets never do; it was not read.",
    },
    "read_sparse_unsuitable": {
        "zh": "工作表太大，无法逐格读取。",
        "en": "The sheet is too large to be read cell by cell.",
    },
    "csv_open_quote": {
        "zh": "第 {line} 行的引号一直没有闭合，后面 {lines} 行都会变成一个单元格；请修正这个引号或重新导出。",
        "en": "Line {line} opens a quote that is never closed, which would make the {lines} lines after it one cell; fix the quote or export again.",
    },
    "csv_quote_rows": {
        "zh": "从第 {line} 行到第 {end} 行被引号并成了一个单元格，而其中的内容看起来是数据行；是不是少了一个引号？请检查第 {line} 行。",
        "en": "A quoted cell runs from line {line} to line {end} and holds lines that look like rows; is a quote missing? Check line {line}.",
    },
    "csv_long_cell": {
        "zh": "从第 {line} 行开始的单元格超过 {limit} 个字符，多半是引号没有闭合；请检查这一行。",
        "en": "The cell starting on line {line} runs past {limit} characters, most likely a quote that is never closed; check that line.",
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
    "cli_needs_dates": {
        "zh": "报表没有可用的日期列；请用 --date-col 指定。",
        "en": "The report has no usable date column; name it with --date-col.",
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
    # --- long lists in messages (sec-rest)
    "more_items": {"zh": "……等另外 {n} 项", "en": " … and {n} more"},
    # --- money that cannot overflow (sec-rest)
    "values_too_many_lines": {
        "zh": "文件有 {n} 行，超过可精确合计的 {limit} 行；请分期间导出。",
        "en": "The file has {n} lines, more than the {limit} that can be summed exactly; export it in parts.",
    },
    "values_sum_too_large": {
        "zh": "合计金额超出了可精确计算的范围；请检查金额列或分开导出。",
        "en": "A total is beyond the range that can be summed exactly; check the amount column or export in parts.",
    },
    # --- exports: errors that name what to set (issue #10)
    "stages_mostly_unmatched": {
        "zh": "{share} 的商机阶段取值无法对应阶段顺序（{stages}）：{values}。请调整阶段顺序，或在下方指定这些取值对应的阶段。",
        "en": "{share} of the deals' stage values match no stage of the order ({stages}): {values}. Change the stage order, or map these values below.",
    },
    "stages_mostly_unmatched@cli": {
        "zh": "{share} 的商机阶段取值无法对应阶段顺序（{stages}）：{values}。请用 --order 给出阶段顺序，或用 --stage-col 指定阶段列。",
        "en": "{share} of the deals' stage values match no stage of the order ({stages}): {values}. Give the order with --order, or the stage column with --stage-col.",
    },
    "stages_order_unknown": {
        "zh": "无法从文件推断这些阶段的先后：{values}；请在阶段顺序中排好。",
        "en": "The file does not tell the order of these stages: {values}; put them in order in the stage list.",
    },
    "stages_order_unknown@cli": {
        "zh": "无法从文件推断这些阶段的先后：{values}；请用 --order 给出阶段顺序。",
        "en": "The file does not tell the order of these stages: {values}; give the order with --order.",
    },
    "stages_no_stage_column@cli": {
        "zh": "没有找到阶段列；现有列：{columns}。请用 --stage-col 指定。",
        "en": "No stage column found; the file has: {columns}. Name it with --stage-col.",
    },
    "stages_no_deal_column@cli": {
        "zh": "阶段日志需要商机编号列；请用 --id-col 指定。",
        "en": "An event log needs a deal id column; name it with --id-col.",
    },
    "stages_no_date_column@cli": {
        "zh": "阶段日志需要日期列；请用 --event-date-col 指定。",
        "en": "An event log needs a date column; name it with --event-date-col.",
    },
    "stages_no_date_columns@cli": {
        "zh": "没有找到“进入某阶段日期”的列；请用 --stage-date 阶段=列 指定。",
        "en": "No “date entered stage” columns found; name them with --stage-date STAGE=COLUMN.",
    },
    "stages_no_open_values": {
        "zh": "阶段列只有赢单/输单等结果，没有进行中的阶段；请给出阶段顺序。",
        "en": "The stage column holds only outcomes (won, lost), no open stage; please give the stage order.",
    },
    "forecast_unknown_stage": {
        "zh": "赢率中的「{value}」不是阶段顺序中的阶段（{stages}）。",
        "en": "“{value}” in the probabilities is not a stage of the order ({stages}).",
    },
    "cli_bad_stage_date": {
        "zh": "「{value}」格式不对；请写成 --stage-date 阶段=列。",
        "en": "“{value}” is not understood; write it as --stage-date STAGE=COLUMN.",
    },
    "schema_missing_columns@cli": {
        "zh": "没有找到必需的列（{roles}）；现有列：{columns}。请用 {flags} 指定。",
        "en": "Required columns not found ({roles}); the file has: {columns}. Name them with {flags}.",
    },
    "schema_unknown_column@cli": {
        "zh": "所选的{role}列「{column}」不在文件中；请检查 {flag}。",
        "en": "The {role} column “{column}” is not in the file; check {flag}.",
    },
    "schema_low_confidence": {
        "zh": "无法确定哪一列是{roles}（{evidence}）；请在「列映射」中选择。",
        "en": "Not sure which column is the {roles} ({evidence}); choose it under “Column mapping”.",
    },
    "schema_low_confidence@cli": {
        "zh": "无法确定哪一列是{roles}（{evidence}）；请用 {flags} 指定。",
        "en": "Not sure which column is the {roles} ({evidence}); name it with {flags}.",
    },
    "period_needs_dates": {
        "zh": "报表没有日期列，不能按期间筛选；请在「列映射」中选择日期列。",
        "en": "The report has no date column, so no period can be applied; choose a date column under “Column mapping”.",
    },
    "period_needs_dates@cli": {
        "zh": "报表没有可用的日期列，不能使用 --start/--end；请用 {flag} 指定日期列。",
        "en": "The report has no usable date column, so --start/--end cannot apply; name it with {flag}.",
    },
    # --- interaction: units, links, thresholds, trends, formatting (issue #11)
    "unit_label": {"zh": "金额单位", "en": "Money unit"},
    "unit_help": {
        "zh": "所有金额、坐标轴和表格都按这个单位显示；“自动”：人民币数据中文用万元、英文用元，其他币种用文件中的币种。下载的文件始终以元（或文件的币种）为单位。",
        "en": "Every amount, axis and table is shown in this unit. Auto: 万元 in Chinese and yuan in English for yuan data, the file's own currency otherwise. Downloads are always in yuan (or the file's currency).",
    },
    "unit_auto": {"zh": "自动（{unit}）", "en": "Auto ({unit})"},
    "unit_plain_none": {"zh": "不带单位", "en": "plain numbers"},
    "upload_help": {
        "zh": "xlsx、xls、csv、txt 或 tsv 文件，每个不超过 200MB。",
        "en": "An xlsx, xls, csv, txt or tsv file of up to 200MB.",
    },
    "upload_button": {"zh": "选择文件", "en": "Browse files"},
    "upload_limit": {"zh": "每个文件不超过 200MB · xlsx、xls、csv", "en": "Up to 200MB per file · xlsx, xls, csv"},
    "products_placeholder": {"zh": "全部产品", "en": "All products"},
    "all_placeholder": {"zh": "全部", "en": "All"},
    "search_placeholder": {"zh": "输入名称中的字", "en": "Part of a name"},
    "sample_name": {"zh": "内置示例报表", "en": "the bundled sample"},
    "no_data_rows": {
        "zh": "这个文件只有表头，没有数据行。",
        "en": "This file has a header but no data rows.",
    },
    "no_rows_used": {
        "zh": "读取的 {n} 行都被剔除了，没有可用的销售明细（原因见「数据与列映射」）。",
        "en": "All {n} rows read were left out, so there are no sales lines to use (see “Data and mapping”).",
    },
    "link_bad_value": {
        "zh": "链接中的 {name}={value} 无法识别，已忽略。",
        "en": "The link's {name}={value} is not understood and was ignored.",
    },
    "link_bad_period": {
        "zh": "链接中的期间「{start}」至「{end}」无法识别，已忽略（请写成 2025-01-31）。",
        "en": "The link's period “{start}” to “{end}” is not understood and was ignored (write dates as 2025-01-31).",
    },
    "link_products_missing": {
        "zh": "链接中的 {n} 个产品不在当前报表中，未应用：{values}",
        "en": "{n} of the link's products are not in this report and were not applied: {values}",
    },
    "link_period_no_dates": {
        "zh": "链接中的期间未应用：当前报表没有日期列。",
        "en": "The link's period was not applied: this report has no dates.",
    },
    "link_period_outside": {
        "zh": "链接中的期间 {start} 至 {end} 不在当前报表的日期（{lo} 至 {hi}）之内，未应用。",
        "en": "The link's period {start} to {end} is outside this report's dates ({lo} to {hi}) and was not applied.",
    },
    "threshold_exact_help": {"zh": "输入这个阈值的精确金额", "en": "Type this threshold exactly"},
    "thresholds_reordered": {
        "zh": "阈值越过了相邻的阈值，已按从小到大重新排列。",
        "en": "A threshold moved past its neighbour; the thresholds were put back in order.",
    },
    "suggest_bands": {"zh": "按客户分布建议", "en": "Suggest from the data"},
    "add_band_help": {
        "zh": "在最高阈值之上增加一层（新阈值 {value}）",
        "en": "Add a band above the top threshold (at {value})",
    },
    "remove_band_help": {
        "zh": "删除最高的阈值（最高一层并入下一层）",
        "en": "Remove the top threshold (the top band joins the one below)",
    },
    "reset_bands_help": {"zh": "恢复为 {values}", "en": "Back to {values}"},
    "suggest_caption": {
        "zh": "建议：{values}（约 50%、75%、90%、97% 的客户在各阈值以下）",
        "en": "Suggested: {values} (about 50%, 75%, 90% and 97% of customers below each)",
    },
    "bands_crowded": {
        "zh": "{share} 的客户都在「{band}」：这些阈值不太适合这份数据，可以在侧边栏使用「按客户分布建议」。",
        "en": "{share} of the customers are in “{band}”: these thresholds do not fit this data well; try “Suggest from the data” in the sidebar.",
    },
    "shape_detected": {"zh": "从文件识别为：{shape}", "en": "The file looks like: {shape}"},
    "shape_hint": {
        "zh": "当前按「{shape}」读取，而文件看起来是「{detected}」；可在侧边栏的「数据形式」中改回。",
        "en": "The file is read as “{shape}” but looks like “{detected}”; change it back under the input shape in the sidebar.",
    },
    "compare_needs_dates": {
        "zh": "商机数据没有可用的日期，不能按期间对比。",
        "en": "The pipeline has no usable dates, so periods cannot be compared.",
    },
    "vs_sample_pipeline": {
        "zh": "商机数据仍是内置示例，与你上传的销售报表无关，所以这里不做关联；请在侧边栏「商机数据」上传你的商机导出。",
        "en": "The pipeline is still the bundled sample, unrelated to your sales report, so it is not joined here; upload your pipeline export under “Pipeline data” in the sidebar.",
    },
    "vs_use_sample": {"zh": "仍用示例商机数据查看", "en": "Join the sample pipeline anyway"},
    "vs_sample_note": {
        "zh": "正在使用内置示例销售报表与内置示例商机数据。",
        "en": "Using the bundled sample sales report and the bundled sample pipeline.",
    },
    "no_signing_date": {"zh": "未定签单日期", "en": "No signing date"},
    "points_format": {"zh": "%+.1f 个百分点", "en": "%+.1f pp"},
    "date_column_format": {"zh": "YYYY年M月D日", "en": "D MMM YYYY"},
    "snap_times_zone": {
        "zh": "保存时间按你的浏览器时区（{zone}）显示。",
        "en": "Save times are in your browser's time zone ({zone}).",
    },
    "preset_quarter_prev": {"zh": "本季度 vs 上季度同期", "en": "This quarter vs the same days last quarter"},
    "preset_month_prev": {"zh": "本月 vs 上月同期", "en": "This month vs the same days last month"},
    "preset_no_data": {"zh": "（无数据）", "en": " (no data)"},
    "preset_default_why": {
        "zh": "默认使用「{chosen}」：「{first}」的前一期间在报表中没有数据。",
        "en": "“{chosen}” is the default: the earlier period of “{first}” has no data in this report.",
    },
    "preset_empty": {
        "zh": "「{preset}」的两个期间中有一个在报表中没有数据：所有客户都会显示为新增或流失。",
        "en": "One of the two periods of “{preset}” has no data in this report: every customer will show as new or lost.",
    },
    "period_has_no_lines": {
        "zh": "{which}没有销售明细：所有客户都显示为新增或流失。",
        "en": "The {which} has no sales lines: every customer shows as new or lost.",
    },
    "min_customers": {"zh": "至少多少个客户才标记", "en": "Flag only with at least (customers)"},
    "min_customers_help": {
        "zh": "客户数少于此值的产品不做流失率和客单额标记（1 个客户流失就是 100%）。",
        "en": "Products with fewer customers than this are not flagged for churn or revenue per customer (one lost customer is 100%).",
    },
    "flags_header": {
        "zh": "需要关注的产品：{n} 个（至少 {min} 个客户，按减少的销售额排序）",
        "en": "Products to look at: {n} (at least {min} customers, largest revenue loss first)",
    },
    "flag_kinds": {"zh": "标记类型", "en": "Flag"},
    "flags_caption": {"zh": "显示 {shown} / {total} 个产品", "en": "Showing {shown} of {total} products"},
    "flag_kind_churn": {"zh": "流失率高", "en": "High churn"},
    "flag_kind_per_customer_down": {"zh": "客单额下降", "en": "Revenue per customer falling"},
    "flag_search": {"zh": "搜索产品", "en": "Search products"},
    "no_flags": {
        "zh": "没有需要标记的产品（只看至少 {min} 个客户的产品）。",
        "en": "No product is flagged (only products with at least {min} customers are looked at).",
    },
    "all_products": {"zh": "全部 {n} 个产品的变化", "en": "Change for all {n} products"},
    "flag_churn_words": {
        "zh": "流失率 {churn}（{n} 个客户中流失 {lost} 个）",
        "en": "churn {churn} ({lost} of {n} customers lost)",
    },
    "flag_grew_faster": {
        "zh": "客户数增长 {cg}，快于销售额增长 {rg}",
        "en": "customers grew {cg}, faster than revenue ({rg})",
    },
    "flag_grew_while_fell": {
        "zh": "客户数增长 {cg}，销售额却下降 {rg}",
        "en": "customers grew {cg} while revenue fell {rg}",
    },
    "flag_fell_faster": {
        "zh": "销售额下降 {rg}，快于客户数下降 {cg}",
        "en": "revenue fell {rg}, faster than customers ({cg})",
    },
    "col_flag": {"zh": "标记", "en": "Flag"},
    "col_revenue_at_stake": {"zh": "减少的销售额", "en": "Revenue lost"},
    "partial_months": {
        "zh": "{months} 的数据不完整（报表的日期到 {last} 为止），图中以空心点标出并加 *，不是断崖。",
        "en": "{months}: only part of the month is in the report (its dates end on {last}); marked with * and an open dot, not a cliff.",
    },
    # --- warehouse sources (DuckDB, PostgreSQL, Spark)
    "engine_open_failed": {
        "zh": "无法打开数据源 {source}：{detail}",
        "en": "Could not open the source {source}: {detail}",
    },
    "engine_unreachable": {
        "zh": "连接不上数据库服务器 {where}；请检查地址、端口和网络。",
        "en": "Could not reach the database server at {where}; check the host, port and network.",
    },
    "engine_bad_password": {
        "zh": "{where} 拒绝了用户名或密码；请在 FUNNEL_DB_PASSWORD 或 PGPASSWORD 中设置正确的密码。",
        "en": "The server at {where} refused the user name or password; set the right one in FUNNEL_DB_PASSWORD or PGPASSWORD.",
    },
    "engine_password_in_url": {
        "zh": "请不要把密码写在地址里；用环境变量 FUNNEL_DB_PASSWORD 或 PGPASSWORD 提供。",
        "en": "Do not put the password in the URL; give it in FUNNEL_DB_PASSWORD or PGPASSWORD.",
    },
    "engine_needs_table": {
        "zh": "{source} 数据源需要用 --table 指定表名。",
        "en": "A {source} source needs the table name: add --table NAME.",
    },
    "engine_missing_table": {"zh": "找不到表：{detail}", "en": "Table not found: {detail}"},
    "engine_missing_column": {"zh": "找不到列：{detail}", "en": "Column not found: {detail}"},
    "engine_timeout": {
        "zh": "查询超过 {seconds} 秒被取消；请缩小产品或期间范围后重试。",
        "en": "The query ran longer than {seconds} s and was cancelled; narrow the products or period and retry.",
    },
    "engine_query_failed": {"zh": "数据库查询失败：{detail}", "en": "The database query failed: {detail}"},
    "engine_sum_overflow": {
        "zh": "{column} 的合计超出了可表示的范围；请检查金额列。",
        "en": "The total in {column} is too large to represent; check the amount column.",
    },
    "engine_needs_spark_connect": {
        "zh": 'Spark Connect 数据源（sc://）需要安装 pyspark[connect]（pip install "pyspark[connect]"）。',
        "en": 'Spark Connect sources (sc://) need pyspark[connect] (pip install "pyspark[connect]").',
    },
    "engine_needs_pyspark": {
        "zh": "Spark 数据源需要安装 pyspark（pip install pyspark）。",
        "en": "Spark sources need pyspark (pip install pyspark).",
    },
    "engine_spark_needs_parquet": {
        "zh": "--engine spark 读取 Parquet 文件或文件夹；xlsx/xls/csv 请用默认引擎。",
        "en": "--engine spark reads a Parquet file or folder; use the default engine for xlsx/xls/csv.",
    },
    "engine_bad_password@app": {
        "zh": "{where} 拒绝了用户名或密码；请检查密码。",
        "en": "The server of {where} refused the user name or password; check the password.",
    },
    # --- the app's database sources (FUNNEL_SOURCES, funnel/catalog.py)
    "catalog_unreadable": {
        "zh": "无法读取 FUNNEL_SOURCES 指定的数据源清单文件；请管理员检查该文件。",
        "en": "The list of sources named by FUNNEL_SOURCES cannot be read; ask the administrator to check it.",
    },
    "catalog_bad_toml": {
        "zh": "数据源清单（FUNNEL_SOURCES）不是有效的 TOML：{detail}",
        "en": "The list of sources (FUNNEL_SOURCES) is not valid TOML: {detail}",
    },
    "catalog_unknown_section": {
        "zh": "数据源清单只能有 [sources.名称] 表；多出了：{keys}。",
        "en": "The list of sources may only hold [sources.NAME] tables; it also has: {keys}.",
    },
    "catalog_no_sources": {
        "zh": "数据源清单的 sources 必须是 [sources.名称] 表。",
        "en": "In the list of sources, sources must be [sources.NAME] tables.",
    },
    "catalog_bad_name": {
        "zh": "数据源名称须为 1–60 个可见字符。",
        "en": "A source name must be 1–60 visible characters.",
    },
    "catalog_not_a_table": {
        "zh": "数据源「{name}」必须写成 [sources.{name}] 表。",
        "en": "Source “{name}” must be written as a [sources.{name}] table.",
    },
    "catalog_unknown_key": {
        "zh": "数据源「{name}」有不认识的设置：{keys}（可用：url、tables、password_env、ask_password、engine）。",
        "en": "Source “{name}” has unknown settings: {keys} (known: url, tables, password_env, ask_password, engine).",
    },
    "catalog_missing_url": {
        "zh": "数据源「{name}」缺少 url。",
        "en": "Source “{name}” has no url.",
    },
    "catalog_bad_url": {
        "zh": "数据源「{name}」的 url 不是 postgresql://、duckdb://、sc:// 或 Parquet 路径。",
        "en": "The url of source “{name}” is not postgresql://, duckdb://, sc:// or a Parquet path.",
    },
    "catalog_password_in_url": {
        "zh": "数据源「{name}」的 url 里写了密码；请改用 password_env 或 ask_password。",
        "en": "The url of source “{name}” holds a password; use password_env or ask_password instead.",
    },
    "catalog_bad_tables": {
        "zh": "数据源「{name}」的 tables 必须是表名或视图名的列表。",
        "en": "The tables of source “{name}” must be a list of table or view names.",
    },
    "catalog_bad_password_env": {
        "zh": "数据源「{name}」的 password_env 必须是环境变量名（字母、数字、下划线）。",
        "en": "The password_env of source “{name}” must be an environment variable name (letters, digits, _).",
    },
    "catalog_bad_ask_password": {
        "zh": "数据源「{name}」的 ask_password 必须是 true 或 false。",
        "en": "The ask_password of source “{name}” must be true or false.",
    },
    "catalog_two_passwords": {
        "zh": "数据源「{name}」同时设置了 password_env 和 ask_password；请只用一个。",
        "en": "Source “{name}” sets both password_env and ask_password; use one.",
    },
    "catalog_bad_engine": {
        "zh": "数据源「{name}」的 engine 只能是 {engines}。",
        "en": "The engine of source “{name}” must be one of {engines}.",
    },
    "catalog_password_not_used": {
        "zh": "数据源「{name}」不是 PostgreSQL，不需要密码设置。",
        "en": "Source “{name}” is not PostgreSQL: it takes no password setting.",
    },
    "catalog_spark_needs_parquet": {
        "zh": '数据源「{name}」：engine = "spark" 只用于 Parquet 路径。',
        "en": 'Source “{name}”: engine = "spark" is for a Parquet path only.',
    },
    "catalog_password_needed": {
        "zh": "请在侧栏输入数据源「{name}」的密码。",
        "en": "Type the password of source “{name}” in the sidebar.",
    },
    "catalog_password_env_unset": {
        "zh": "数据源「{name}」的密码应在环境变量 {env} 中，但它没有设置；请管理员设置。",
        "en": "The password of source “{name}” should be in the environment variable {env}, which is not set; ask the administrator.",
    },
    "catalog_source_missing": {
        "zh": "数据源「{name}」的文件不存在或无法打开；请管理员检查清单。",
        "en": "The file of source “{name}” does not exist or cannot be opened; ask the administrator to check the list.",
    },
    "catalog_table_not_listed": {
        "zh": "数据源「{name}」没有提供这个表；请从列表中选择。",
        "en": "Source “{name}” does not offer this table; choose one from the list.",
    },
    "source_kind": {"zh": "数据来自", "en": "Data from"},
    "source_kind_file": {"zh": "上传 / 示例", "en": "Upload / sample"},
    "source_kind_db": {"zh": "数据库", "en": "Database"},
    "db_source": {"zh": "数据源", "en": "Source"},
    "db_table": {"zh": "表或视图", "en": "Table or view"},
    "db_password": {"zh": "密码", "en": "Password"},
    "db_password_help": {
        "zh": "只用于连接，不保存、不显示、不写进地址。",
        "en": "Used to connect only: never kept, shown or put in the address.",
    },
    "db_connect": {"zh": "连接", "en": "Connect"},
    "db_running": {"zh": "正在读取 {what}…（{seconds} 秒）", "en": "Reading {what}… ({seconds} s)"},
    "db_cancel": {"zh": "取消查询", "en": "Cancel the query"},
    "db_cancelled": {
        "zh": "查询已取消；可以换一个表或选项，或点「重新运行」。",
        "en": "The query was cancelled; choose another table or option, or click “Run again”.",
    },
    "db_retry": {"zh": "重新运行", "en": "Run again"},
    "db_no_tables": {"zh": "数据源「{name}」没有可读的表。", "en": "Source “{name}” has no table to read."},
    "db_choose_table": {"zh": "请选择一个表或视图。", "en": "Choose a table or view."},
    "using_db": {"zh": "正在使用数据源「{name}」的表 {table}", "en": "Using table {table} of source “{name}”"},
    "db_error": {"zh": "无法使用这个数据源：{msg}", "en": "This source cannot be used: {msg}"},
    "db_link_unknown": {
        "zh": "链接中的数据源或表「{value}」不在清单中，已改用列表中的第一个。",
        "en": "The link's source or table “{value}” is not in the list; the first one in the list is shown instead.",
    },
    "db_data_page_note": {
        "zh": "数据库表的剔除行按原因计数（见上表），不逐行列出；明细留在数据库中。",
        "en": "A database table's rows left out are counted per reason (above), not listed; the lines stay in the database.",
    },
    "db_other_report_file_only": {
        "zh": "与另一份报表比较需要上传文件；数据库表请比较两个期间。",
        "en": "Comparing with another report needs an uploaded file; for a database table compare two periods.",
    },
    # --- warehouse sources: values parsed as in a file, nothing usable (#13 phase 2)
    "table_derived_too_many": {
        "zh": "数量×单价的不同组合超过 {limit} 个，无法按文件的规则精确计算金额；请指定金额列（--amount-col）。",
        "en": "Quantity × unit price has more than {limit} distinct pairs, too many to compute exactly as for a file; "
        "name an amount column (--amount-col).",
    },
    "table_parsed_in_sql": {
        "zh": "注意：{columns} 的不同值超过 {limit} 个，按 SQL 规则解析（不识别日/月/年顺序和日期后的星期）。",
        "en": "Note: more than {limit} distinct values in {columns}, parsed by the SQL rules (which do not know "
        "day-first dates or a weekday after the date).",
    },
    "source_nothing_usable": {
        "zh": "{rows} 行中没有一行可用（{reasons}）；请检查列的指定和数据格式。",
        "en": "None of the {rows} rows is usable ({reasons}); check which columns are used and how values are written.",
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
