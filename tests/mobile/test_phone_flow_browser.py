"""The service loop on real phones (390×844): scan and report in two taps, the engineer
accepts, departs, arrives, proves presence, photographs and completes; the customer rates."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from gongdan.portal.models import Rating
from gongdan.workorders.models import WorkOrder
from tests.browser import PHONE, screenshot, sign_in

pytestmark = pytest.mark.browser


def test_scan_report_repair_and_rate_on_phones(
    browser: Any, live_server: Any, live_plant: Any, phone: Any, tmp_path: Path
) -> None:
    live_plant.press.latitude, live_plant.press.longitude = Decimal("31.0329"), Decimal("121.2270")
    live_plant.press.save()

    # The operator scans the label: tap a symptom, tap submit.
    phone.goto("/q/IMM-001")
    phone.get_by_text("不启动", exact=True).click()
    screenshot(phone, "portal-scan")
    phone.get_by_role("button", name="提交报修").click()
    number = phone.locator("#order-number").inner_text()
    screenshot(phone, "portal-reported")
    order = WorkOrder.objects.get(number=number)
    assert order.data["symptom"] == "no_start"

    # The engineer, with a faked position about 20 km away.
    context = browser.new_context(
        viewport=PHONE,
        base_url=live_server.url,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        is_mobile=True,
        has_touch=True,
        geolocation={"latitude": 31.1979, "longitude": 121.3364, "accuracy": 15},
        permissions=["geolocation"],
    )
    context.set_default_timeout(10_000)
    engineer = context.new_page()
    sign_in(engineer, "wang")
    engineer.goto("/m/")
    screenshot(engineer, "mobile-my-orders")
    engineer.get_by_text(number).click()
    engineer.get_by_role("button", name="接单").click()
    engineer.get_by_role("button", name="出发").click()
    engineer.locator("#eta").wait_for()
    assert "预计" in engineer.locator("#eta").inner_text()
    phone.goto("/q/IMM-001")
    assert "工程师已出发" in phone.locator(".eta").inner_text()

    context.set_geolocation({"latitude": 31.0330, "longitude": 121.2271, "accuracy": 10})
    engineer.get_by_role("button", name="到场签到").click()
    engineer.locator("#verify").wait_for()
    screenshot(engineer, "mobile-verify")
    engineer.get_by_label("设备编号").fill("IMM-001")
    engineer.get_by_role("button", name="确认", exact=True).click()

    photo = tmp_path / "before.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), (90, 110, 130)).save(buffer, "JPEG")
    photo.write_bytes(buffer.getvalue())
    engineer.locator("input[name=photo]").set_input_files(str(photo))
    engineer.get_by_role("button", name="上传照片").click()
    engineer.locator(".photos img").first.wait_for()

    engineer.locator("select[name=fault_category]").select_option("electrical")
    engineer.locator("textarea[name=fault_cause]").fill("接触器触点烧蚀")
    engineer.locator("textarea[name=fix_action]").fill("更换接触器，试机正常")
    engineer.locator("select[name=fix_result]").select_option("fixed")
    engineer.get_by_role("button", name="完工").click()
    engineer.locator("#rating svg").wait_for()
    screenshot(engineer, "mobile-resolved")
    rating_url = engineer.locator("#rating a[href*='/rate/']").get_attribute("href")
    assert rating_url
    context.close()

    # The customer scans the QR on the engineer's phone and rates.
    phone.goto("/rate/" + rating_url.rsplit("/rate/", 1)[1])
    phone.locator("label[for=star5]").click()
    phone.locator(".scores label", has_text="9").click()
    phone.get_by_role("button", name="提交评价").click()
    assert "感谢您的评价" in phone.content()
    screenshot(phone, "portal-rated")
    rating = Rating.objects.get(order=order)
    assert (rating.stars, rating.recommend) == (5, 9)
    order.refresh_from_db()
    assert order.state.key == "resolved" and order.arrived_at is not None
