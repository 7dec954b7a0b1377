"""The office in Chromium: design a type, raise an order of it, find it on the board,
move it on, read it in English; the board and order page on a phone."""

from __future__ import annotations

import pytest

from gongdan.workorders.services import work_order_assign, work_order_create
from tests.browser import screenshot, sign_in

pytestmark = pytest.mark.browser


def sign_out(page) -> None:
    page.click("form[action='/logout/'] button")
    page.wait_for_url("**/login/**")


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_type_designed_on_screen_carries_an_order_from_board_to_english(live_plant, page):
    # The administrator designs a type: one field, the default states, one action.
    sign_in(page, "admin")
    page.goto("/designer/new/")
    page.fill("input[name=key]", "mould_change")
    page.fill("input[name=name_zh]", "换模")
    page.fill("input[name=name_en]", "Mould change")
    page.click("#add-field")
    page.fill("input[name='fields-0-key']", "mould_no")
    page.fill("input[name='fields-0-label_zh']", "模具编号")
    page.fill("input[name='fields-0-label_en']", "Mould number")
    page.check("input[name='fields-0-required']")
    page.locator("#preview").get_by_text("模具编号").wait_for()
    page.click("button[value='add:transitions']")
    page.fill("input[name='transitions-0-key']", "start")
    page.fill("input[name='transitions-0-name_zh']", "开始换模")
    page.fill("input[name='transitions-0-name_en']", "Start")
    page.check("input[name='transitions-0-from'][value='new']")
    page.select_option("select[name='transitions-0-to']", "in_progress")
    page.check("input[name='transitions-0-roles'][value='dispatcher']")
    screenshot(page, "office-designer")
    page.click("#save-type")
    page.wait_for_url("**/designer/mould_change/")
    sign_out(page)

    # The dispatcher raises an order of it.
    sign_in(page, "dispatcher")
    assert page.url.endswith("/board/")
    page.click("a[data-nav='new']")
    page.click("text=换模")
    page.fill("#id-title", "2301 保险杠模具换模")
    page.select_option("#id-priority", "red")
    page.fill("input[name='data.mould_no']", "M-2301")
    page.click("button.primary")
    page.wait_for_url("**/orders/WO-*/")
    number = page.url.rstrip("/").rsplit("/", 1)[-1]

    # …finds it on the board by filtering on the new type…
    page.click("a[data-nav='board']")
    page.select_option("select[name=type]", "mould_change")
    page.click("#filters button.primary")
    page.wait_for_url("**/board/?*type=mould_change*")
    cards = page.locator("#board .wo")
    assert cards.count() == 1
    assert number in cards.first.inner_text()
    screenshot(page, "office-board")

    # …opens it and fires the action the type defines.
    cards.first.locator("a.title").click()
    page.wait_for_url(f"**/orders/{number}/")
    assert "M-2301" in page.content()
    page.click("details[data-action='start'] summary")
    page.click("details[data-action='start'] button.primary")
    page.wait_for_url(f"**/orders/{number}/")
    assert page.locator("[data-state]").inner_text() == "处理中"
    assert "刘调度 于" in page.locator("#timeline").inner_text()
    screenshot(page, "office-order")

    # English, and it stays English on the next page.
    page.click("button[name=language][value=en]")
    page.wait_for_load_state("networkidle")
    assert page.locator("#timeline h2").inner_text() == "Timeline"
    assert "Mould number" in page.content()
    assert "Start" in page.locator("#timeline").inner_text()
    page.click("a[data-nav='board']")
    assert page.locator("h1").inner_text() == "Dispatch board"


def test_board_and_order_page_fit_a_phone(live_plant, phone):
    order, _ = work_order_create(
        actor=live_plant.requester,
        order_type=live_plant.repair,
        title="一车间 A 线注塑机报警停机",
        priority="red",
        asset=live_plant.press,
        data={"symptom": "alarm", "alarm_code": "E-203 油温过高"},
    )
    work_order_assign(order=order, actor=live_plant.dispatcher, assignee=live_plant.wang)
    work_order_create(
        actor=live_plant.requester,
        order_type=live_plant.repair,
        title="机械手夹具松动",
        priority="yellow",
        asset=live_plant.press,
        data={"symptom": "other"},
    )
    sign_in(phone, "dispatcher")
    assert phone.locator("#board .wo").count() == 2
    assert no_sideways_scroll(phone)
    screenshot(phone, "office-board-phone")

    phone.click(f"#card-{order.number} a.title")
    phone.wait_for_url(f"**/orders/{order.number}/")
    assert "E-203 油温过高" in phone.content()
    assert no_sideways_scroll(phone)
    screenshot(phone, "office-order-phone")
