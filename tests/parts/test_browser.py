"""On the phone: the engineer asks for parts from the order, the supervisor signs."""

from __future__ import annotations

import pytest

from gongdan.parts.models import Requisition, RequisitionStatus
from gongdan.workorders.services import work_order_assign, work_order_create
from tests.browser import screenshot, sign_in
from tests.parts.conftest import Store

pytestmark = pytest.mark.browser


def test_engineer_requests_on_the_phone_and_the_supervisor_approves(live_plant, phone):
    plant = live_plant
    Store(plant)
    order, _ = work_order_create(
        actor=plant.requester,
        order_type=plant.repair,
        title="料筒加热不上",
        asset=plant.press,
        data={"symptom": "no_start"},
    )
    work_order_assign(order=order, actor=plant.dispatcher, assignee=plant.wang)

    sign_in(phone, "wang")
    phone.goto(f"/parts/orders/{order.number}/")
    first = phone.locator(".catalogue li").first
    assert "适用本机" in first.inner_text()
    phone.fill("input[name='qty-HB-60']", "2")
    phone.fill("input[name=note]", "二段加热圈烧断")
    screenshot(phone, "parts-request-phone")
    phone.click("button:has-text('提交领料申请')")
    phone.wait_for_url("**/parts/requisitions/*/")
    assert "¥170.00" in phone.inner_text("main")
    assert "审批中" in phone.inner_text("main")

    phone.context.clear_cookies()
    sign_in(phone, "dispatcher")
    phone.goto("/parts/")
    phone.click("#awaiting a")
    phone.fill("textarea[name=comment]", "同意，尽快更换")
    screenshot(phone, "parts-approve-phone")
    phone.click("button[value=approve]")
    phone.wait_for_load_state("networkidle")
    assert "已同意" in phone.inner_text("main")
    assert "待发料" in phone.inner_text("main")
    screenshot(phone, "parts-approved-phone")
    assert Requisition.objects.get().status == RequisitionStatus.APPROVED
