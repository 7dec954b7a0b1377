"""The parts pages as people use them: request from the order, sign, issue, import."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from openpyxl import Workbook

from gongdan.parts.models import Part, Requisition, RequisitionStatus
from tests.conftest import PASSWORD


def _client(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def engineer(plant, store):
    return _client(plant.wang)


def test_engineer_requests_parts_suggested_for_the_machine(plant, store, engineer, assigned_order):
    url = f"/parts/orders/{assigned_order.number}/"
    page = engineer.get(url).content.decode()
    # Parts that fit 海天 MA1600 come first and are marked.
    assert page.index("交流接触器") < page.index("液压叶片泵")
    assert "适用本机" in page

    refused = engineer.post(url, {"qty-HB-60": "0"})
    assert refused.status_code == 422
    assert "请至少选择一种备件" in refused.content.decode()

    done = engineer.post(url, {"qty-HB-60": "2", "qty-SEAL-80": "1", "note": "模温机旁"})
    requisition = Requisition.objects.get()
    assert done.status_code == 302 and done["Location"] == f"/parts/requisitions/{requisition.pk}/"
    assert requisition.amount == 215
    assert requisition.note == "模温机旁"


def test_order_panel_shows_the_parts_cost_for_the_order_page(
    plant, store, request_parts, assigned_order
):
    from gongdan.parts import services

    requisition = request_parts((store.heater, 2))
    services.requisition_decide(
        actor=plant.dispatcher,
        requisition=requisition,
        step=requisition.steps.get(),
        approve=True,
        version=1,
    )
    services.requisition_issue(actor=plant.warehouse, requisition=requisition, version=2)
    panel = _client(plant.dispatcher).get(
        f"/parts/orders/{assigned_order.number}/", headers={"HX-Request": "true"}
    )
    html = panel.content.decode()
    assert "<html" not in html  # a fragment for the order page
    assert "¥170.00" in html
    assert "内部维修" in html
    assert requisition.number in html


def test_supervisor_approves_from_the_requisition_page_and_others_cannot(
    plant, store, request_parts
):
    requisition = request_parts((store.heater, 1))
    step = requisition.steps.get()
    url = f"/parts/requisitions/{requisition.pk}/"

    manager = _client(plant.manager)
    assert 'value="approve"' not in manager.get(url).content.decode()
    forbidden = manager.post(url, {"action": "approve", "step": step.pk, "version": 1})
    assert forbidden.status_code == 403
    assert "不是" in forbidden.content.decode()

    supervisor = _client(plant.dispatcher)
    assert 'value="approve"' in supervisor.get(url).content.decode()
    reject = supervisor.post(url, {"action": "reject", "step": step.pk, "version": 1})
    assert reject.status_code == 422
    approved = supervisor.post(url, {"action": "approve", "step": step.pk, "version": 1})
    assert approved.status_code == 302
    twice = supervisor.post(url, {"action": "approve", "step": step.pk, "version": 1})
    assert twice.status_code == 409
    assert "刷新" in twice.content.decode()

    keeper = _client(plant.warehouse)
    home = keeper.get("/parts/").content.decode()
    assert requisition.number in home.split('id="pick-list"')[1].split("</section>")[0]
    assert keeper.post(url, {"action": "issue", "version": 2}).status_code == 302
    requisition.refresh_from_db()
    assert requisition.status == RequisitionStatus.ISSUED


def test_import_page_checks_first_then_imports_exactly_the_checked_file(plant, store):
    book = Workbook()
    book.active.append(["编码", "名称", "单价"])
    book.active.append(["BR-6205", "深沟球轴承 6205", 18])
    buffer = io.BytesIO()
    book.save(buffer)
    upload = io.BytesIO(buffer.getvalue())
    upload.name = "parts.xlsx"

    keeper = _client(plant.warehouse)
    checked = keeper.post("/parts/import/", {"file": upload})
    html = checked.content.decode()
    assert "将新增 1 个" in html
    assert not Part.objects.filter(code="BR-6205").exists()
    token = html.split('name="token" value="')[1].split('"')[0]
    assert keeper.post("/parts/import/", {"token": token}).status_code == 302
    assert Part.objects.get(code="BR-6205").unit_cost == 18

    assert _client(plant.wang).get("/parts/import/").status_code == 403


def test_requisition_page_speaks_english_when_asked(plant, store, request_parts):
    from django.utils import translation

    requisition = request_parts((store.heater, 1))
    page = _client(plant.dispatcher).get(
        f"/parts/requisitions/{requisition.pk}/", headers={"Accept-Language": "en"}
    )
    html = page.content.decode()
    assert "Approve" in html and "Reject" in html
    assert "Awaiting approval" in html
    translation.activate("zh-hans")  # the request left English active on this thread
