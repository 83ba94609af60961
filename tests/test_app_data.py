"""The data page (AppTest): every row accounted for, the left-out rows themselves, the evidence per column."""

from __future__ import annotations

from appkit import PAGES, no_raw_missing, table


def test_data_page_accounts_for_every_row(app):
    app.switch_page(PAGES["data"]).run()
    assert not app.exception
    account = table(app, "原因", "行数")
    numbers = dict(zip(account.iloc[:, 0], account.iloc[:, 1], strict=True))
    assert numbers["使用行数"] + numbers["合计/小计行"] == numbers["读取行数"]
    left_out = table(app, "行号", "原因")
    assert left_out["原因"].tolist() == ["合计/小计行"]
    assert no_raw_missing(left_out)  # the total row's empty cells are empty, not None


def test_a_header_only_file_still_has_its_data_page(app):
    app.sidebar.file_uploader[0].upload("r.csv", "客户名称,价税合计\n".encode()).run()
    app.switch_page(PAGES["data"]).run()
    assert not app.exception
    assert [i.value for i in app.info] == ["这个文件只有表头，没有数据行。"]
    assert dict(zip(*table(app, "原因", "行数").T.values, strict=True))["读取行数"] == 0
