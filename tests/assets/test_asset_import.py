"""Importing the plant's Excel ledger: a dry run first, then all rows or none."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.test import Client
from openpyxl import Workbook, load_workbook

from gongdan.assets.models import Asset, Site
from gongdan.assets.services import asset_export, asset_import
from gongdan.core.errors import Forbidden, ValidationFailed
from tests.conftest import PASSWORD

HEADER = [
    "设备编号",
    "名称",
    "站点",
    "车间",
    "产线",
    "型号",
    "安装日期",
    "保修到期",
    "纬度",
    "经度",
]


def ledger(*rows: list[Any], header: list[str] | None = None) -> io.BytesIO:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(header or HEADER)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    return buffer


@pytest.fixture
def site(plant: Any) -> Site:
    return Site.objects.create(code="SZ1", name="苏州一厂", region=plant.east)


def test_dry_run_lists_every_rows_problems_and_writes_nothing(plant: Any, site: Site) -> None:
    upload = ledger(
        ["IMM-201", "注塑机 A", "SZ1", "注塑车间", "A 线", "MA1600", "2021-03-01", "2026-03-01"],
        ["", "没有编号的机器", "SZ1"],
        ["IMM-201", "重复编号", "SZ1"],
        ["CNC-001", "加工中心", "无锡厂"],
        ["CNC-002", "车床", "SZ1", "", "", "", "去年", "", "91", "120"],
    )
    report = asset_import(actor=plant.clerk, upload=upload, dry_run=True)
    problems = {row.number: " ".join(row.problems) for row in report.rows_with_problems}
    assert not report.ok
    assert problems.keys() == {3, 4, 5, 6}
    assert "缺少设备编号" in problems[3]
    assert "与第 2 行重复" in problems[4]
    assert "未知的站点“无锡厂”" in problems[5]
    assert "安装日期不是有效日期" in problems[6] and "纬度应为" in problems[6]
    assert Asset.objects.filter(code__in=["IMM-201", "CNC-001", "CNC-002"]).count() == 0


def test_real_import_with_one_bad_row_writes_no_row(plant: Any, site: Site) -> None:
    upload = ledger(
        ["IMM-201", "注塑机 A", "SZ1"],
        ["IMM-202", "注塑机 B", "SZ1"],
        ["CNC-001", "加工中心", "无锡厂"],
    )
    with pytest.raises(ValidationFailed) as failure:
        asset_import(actor=plant.clerk, upload=upload, dry_run=False)
    assert "row 4" in failure.value.errors
    assert not Asset.objects.filter(code__startswith="IMM-20").exists()


def test_clean_ledger_imports_every_row_with_its_hierarchy(plant: Any, site: Site) -> None:
    upload = ledger(
        [
            "IMM-201",
            "注塑机 A",
            "苏州一厂",
            "注塑车间",
            "A 线",
            "MA1600",
            "2021-03-01",
            "2026-03-01",
            31.3,
            120.6,
        ],
        ["IMM-001", "注塑机 海天 MA1600（改）", "SZ1"],
    )
    report = asset_import(actor=plant.clerk, upload=upload, dry_run=False)
    assert report.written and (report.creates, report.updates) == (1, 1)
    created = Asset.objects.get(code="IMM-201")
    assert created.site == site and created.region == plant.east
    assert created.area is not None and created.area.name == "注塑车间"
    assert created.line is not None and created.line.name == "A 线"
    assert str(created.installed_on) == "2021-03-01"
    assert created.coordinates == (31.3, 120.6)
    assert Asset.objects.get(code="IMM-001").name == "注塑机 海天 MA1600（改）"


def test_export_round_trips_through_import(plant: Any, site: Site) -> None:
    asset_import(
        actor=plant.admin,
        upload=ledger(["IMM-201", "注塑机 A", "SZ1", "注塑车间", "A 线", "MA1600", "2021-03-01"]),
        dry_run=False,
    )
    exported = asset_export(assets=Asset.objects.all())
    sheet = load_workbook(io.BytesIO(exported)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("设备编号", "名称", "站点")
    assert {r[0] for r in rows[1:]} == {"IMM-001", "IMM-101", "IMM-201"}
    again = asset_import(actor=plant.admin, upload=io.BytesIO(exported), dry_run=True)
    assert again.ok and again.updates == 3


def test_not_a_spreadsheet_is_reported_not_crashed(plant: Any) -> None:
    report = asset_import(actor=plant.clerk, upload=io.BytesIO(b"just text"), dry_run=True)
    assert not report.ok and "xlsx" in report.problems[0]


def test_engineers_cannot_import(plant: Any) -> None:
    with pytest.raises(Forbidden):
        asset_import(actor=plant.wang, upload=ledger(["X-1", "x"]), dry_run=True)


def test_import_page_checks_first_then_imports_on_confirm(plant: Any, site: Site) -> None:
    client = Client()
    client.login(username="clerk", password=PASSWORD)
    checked = client.post("/assets/import/", {"file": ledger(["IMM-201", "注塑机 A", "SZ1"])})
    page = checked.content.decode()
    assert "检查通过" in page and not Asset.objects.filter(code="IMM-201").exists()
    token = page.split('name="token" value="')[1].split('"')[0]
    done = client.post("/assets/import/", {"token": token, "confirm": "1"})
    assert "已导入" in done.content.decode()
    assert Asset.objects.filter(code="IMM-201").exists()
