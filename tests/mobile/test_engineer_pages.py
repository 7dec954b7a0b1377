"""The engineer's phone pages: my orders, depart/arrive with position, proof of presence,
photos, completion and the rating QR."""

from __future__ import annotations

import gzip
import re
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.staticfiles import finders
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from gongdan.mobile.models import PresenceCheck, TravelKind, TravelRecord
from gongdan.workorders.models import Attachment, WorkOrder
from gongdan.workorders.services import work_order_assign
from tests.conftest import PASSWORD

# 上海虹桥 → the plant in 松江: about 20 km as the crow flies.
PLANT = (Decimal("31.0329"), Decimal("121.2270"))
HONGQIAO = {"lat": "31.1979", "lng": "121.3364", "accuracy": "12"}


@pytest.fixture
def wang(plant: Any) -> Client:
    client = Client()
    client.login(username="wang", password=PASSWORD)
    return client


def _act(client: Client, order: WorkOrder, action: str, **fields: str) -> Any:
    order.refresh_from_db()
    return client.post(
        f"/m/o/{order.number}/act", {"action": action, "version": order.version, **fields}
    )


def test_my_orders_put_red_first_then_the_nearest_deadline(
    plant: Any, new_order: Any, wang: Client
) -> None:
    now = timezone.now()
    late = new_order(title="黄单·期限晚", priority="yellow")
    soon = new_order(title="黄单·期限早", priority="yellow")
    red = new_order(title="红单", priority="red")
    for order in (late, soon, red):
        work_order_assign(order=order, actor=plant.dispatcher, assignee=plant.wang)
    WorkOrder.objects.filter(pk=late.pk).update(resolution_due_at=now + timezone.timedelta(hours=8))
    WorkOrder.objects.filter(pk=soon.pk).update(resolution_due_at=now + timezone.timedelta(hours=1))
    new_order(title="待抢单")
    page = wang.get("/m/").content.decode()
    assert page.index("红单") < page.index("黄单·期限早") < page.index("黄单·期限晚")
    assert page.index("黄单·期限晚") < page.index("待抢单")


def test_depart_records_distance_and_eta_and_the_requester_sees_it(
    plant: Any, new_order: Any, wang: Client
) -> None:
    plant.press.latitude, plant.press.longitude = PLANT
    plant.press.save()
    order = new_order()
    assert _act(wang, order, "accept").status_code == 302
    _act(wang, order, "depart", **HONGQIAO)
    trip = TravelRecord.objects.get(order=order, kind=TravelKind.DEPART)
    assert trip.distance_m is not None and 19_000 < trip.distance_m < 24_000
    assert trip.eta_at is not None and trip.eta_at > timezone.now()
    eta = f"{timezone.localtime(trip.eta_at):%H:%M}"
    comment = order.comments.get()
    assert "距设备约" in comment.body and eta in comment.body
    assert f"预计 {eta} 到达" in Client().get("/q/IMM-001").content.decode()
    assert f"预计 {eta} 到达" in wang.get(f"/m/o/{order.number}/").content.decode()


def test_arrive_then_only_the_right_machine_code_unlocks_the_order(
    plant: Any, new_order: Any, wang: Client
) -> None:
    order = new_order()
    _act(wang, order, "accept")
    _act(wang, order, "arrive", lat="31.0330", lng="121.2271")
    order.refresh_from_db()
    assert order.arrived_at is not None
    assert order.data["arrival_location"] == {"lat": 31.033, "lng": 121.2271}
    page = wang.get(f"/m/o/{order.number}/").content.decode()
    assert "确认到场" in page and 'name="fault_cause"' not in page
    refused = _act(wang, order, "resolve", fault_cause="x", fix_action="y", fix_result="fixed")
    assert refused.status_code == 302
    order.refresh_from_db()
    assert order.state.key == "on_site"
    wrong = wang.post(f"/m/o/{order.number}/verify", {"code": "IMM-101"}, follow=True)
    assert "设备编号不符" in wrong.content.decode()
    assert not PresenceCheck.objects.exists()
    wang.post(
        f"/m/o/{order.number}/verify",
        {"code": "http://127.0.0.1:8000/q/IMM-001", "method": "scan"},
    )
    assert PresenceCheck.objects.get(order=order).method == "scan"
    page = wang.get(f"/m/o/{order.number}/").content.decode()
    assert 'name="fault_cause"' in page and "这台设备以前的工单" in page


def test_photos_are_time_stamped_and_filed_as_before_and_after(
    plant: Any, new_order: Any, wang: Client, tiny_png: bytes
) -> None:
    order = new_order()
    _act(wang, order, "accept")
    _act(wang, order, "arrive")
    for tag in ("before", "after"):
        photo = SimpleUploadedFile("p.png", tiny_png, content_type="image/png")
        wang.post(f"/m/o/{order.number}/photo", {"tag": tag, "photo": photo})
    before, after = Attachment.objects.filter(order=order).order_by("id")
    assert (before.tag, after.tag) == ("before", "after")
    assert before.content_type == "image/jpeg"  # re-encoded with the stamp burnt in
    order.refresh_from_db()
    assert order.data["before_photos"] == [before.pk]
    assert order.data["after_photos"] == [after.pk]
    from PIL import Image

    with Image.open(before.file.path) as stamped:
        corner = stamped.convert("RGB").getpixel((2, stamped.height - 2))
    assert corner == (0, 0, 0)  # the stamp's band; the original photo is solid red


def test_complete_with_cause_fix_and_result_then_show_the_rating_qr(
    plant: Any, new_order: Any, wang: Client
) -> None:
    order = new_order()
    _act(wang, order, "accept")
    _act(wang, order, "arrive")
    wang.post(f"/m/o/{order.number}/verify", {"code": "imm-001"})
    _act(
        wang,
        order,
        "resolve",
        fault_category="electrical",
        fault_cause="接触器触点烧蚀",
        fix_action="更换接触器",
        fix_result="fixed",
    )
    order.refresh_from_db()
    assert order.state.key == "resolved" and order.resolved_at is not None
    page = wang.get(f"/m/o/{order.number}/").content.decode()
    assert "请客户扫码评价" in page and "<svg" in page
    rating_link = re.search(r'href="(http[^"]+/rate/[^"]+)"', page)
    assert rating_link
    path = rating_link.group(1).split("127.0.0.1:8000", 1)[1]
    assert Client().get(path).status_code == 200
    printed = wang.get(f"/m/o/{order.number}/print/").content.decode()
    assert "接触器触点烧蚀" in printed and "请扫码为本次服务评价" in printed


def test_decline_needs_a_reason_and_returns_the_order(
    plant: Any, new_order: Any, wang: Client
) -> None:
    order = new_order()
    work_order_assign(order=order, actor=plant.dispatcher, assignee=plant.wang)
    no_reason = _act(wang, order, "decline")
    assert no_reason.status_code == 302
    order.refresh_from_db()
    assert order.assignee == plant.wang
    _act(wang, order, "decline", comment="手上有红单，无法及时到场")
    order.refresh_from_db()
    assert order.assignee is None and order.state.key == "new"


def test_other_engineers_orders_stay_private(plant: Any, new_order: Any) -> None:
    order = new_order(asset=plant.south_press)
    work_order_assign(order=order, actor=plant.dispatcher, assignee=plant.zhang)
    client = Client()
    client.login(username="wang", password=PASSWORD)
    assert client.get(f"/m/o/{order.number}/").status_code == 404
    assert client.get("/m/").status_code == 200
    assert Client().get("/m/").status_code == 302


def test_installable_app_has_a_manifest_and_a_service_worker(plant: Any, wang: Client) -> None:
    manifest = wang.get("/m/manifest.webmanifest").json()
    assert manifest["start_url"] == "/m/" and manifest["display"] == "standalone"
    worker = wang.get("/m/sw.js")
    body = worker.content.decode()
    assert worker["Content-Type"].startswith("text/javascript")
    assert "mobile/mobile.css" in body and "caches.open" in body


def test_my_orders_first_load_is_under_60_kb_compressed(
    plant: Any, new_order: Any, wang: Client
) -> None:
    for n in range(10):
        order = new_order(title=f"故障 {n}")
        work_order_assign(order=order, actor=plant.dispatcher, assignee=plant.wang)
    response = wang.get("/m/")
    page = response.content.decode()
    total = len(gzip.compress(response.content))
    for url in re.findall(r'(?:href|src)="(/static/[^"]+)"', page):
        path = finders.find(url.removeprefix("/static/"))
        assert path, url
        with open(path, "rb") as handle:
            total += len(gzip.compress(handle.read()))
    assert total <= 60 * 1024
