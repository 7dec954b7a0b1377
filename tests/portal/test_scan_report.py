"""The public scan page: see the machine, report a fault in two taps, no duplicates."""

from __future__ import annotations

import gzip
import re
from typing import Any

from django.contrib.staticfiles import finders
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from gongdan.mobile.models import TravelKind, TravelRecord
from gongdan.workorders.models import Attachment, WorkOrder
from gongdan.workorders.services import work_order_assign


def _token(response: Any) -> str:
    match = re.search(r'name="token" value="([^"]+)"', response.content.decode())
    assert match, "the report form carries a per-submission token"
    return match.group(1)


def test_scan_page_shows_the_machine_and_its_symptoms_as_buttons(plant: Any) -> None:
    response = Client().get("/q/IMM-001")
    page = response.content.decode()
    assert response.status_code == 200
    assert "注塑机 海天 MA1600" in page and "IMM-001" in page
    for label in ("不启动", "异响", "漏油", "报警", "其他"):
        assert label in page
    assert 'capture="environment"' in page


def test_symptom_and_submit_create_one_order_with_its_number_on_the_confirmation(
    plant: Any,
) -> None:
    client = Client()
    token = _token(client.get("/q/IMM-001"))
    response = client.post("/q/IMM-001", {"token": token, "symptom": "oil_leak"})
    order = WorkOrder.objects.get()
    assert response.status_code == 201
    assert order.number in response.content.decode()
    assert order.asset == plant.press
    assert order.data["symptom"] == "oil_leak"
    assert order.title.startswith("漏油")
    assert order.requester is not None and order.requester.username == "portal"
    assert not order.requester.has_usable_password()
    assert "工程师会尽快响应" in response.content.decode()


def test_double_tap_and_retry_create_a_single_order(plant: Any) -> None:
    client = Client()
    token = _token(client.get("/q/IMM-001"))
    first = client.post("/q/IMM-001", {"token": token, "symptom": "alarm"})
    again = client.post("/q/IMM-001", {"token": token, "symptom": "alarm"})
    assert first.status_code == 201
    assert again.status_code == 200
    assert WorkOrder.objects.count() == 1
    assert WorkOrder.objects.get().number in again.content.decode()


def test_name_phone_text_and_stopped_machine_reach_the_order(plant: Any, tiny_png: bytes) -> None:
    client = Client()
    token = _token(client.get("/q/IMM-001"))
    photo = SimpleUploadedFile("fault.png", tiny_png, content_type="image/png")
    response = client.post(
        "/q/IMM-001",
        {
            "token": token,
            "symptom": "no_start",
            "stopped": "1",
            "text": "按启动键没反应",
            "name": "周师傅",
            "phone": "138 0000 0000",
            "photo": photo,
        },
    )
    assert response.status_code == 201
    order = WorkOrder.objects.get()
    assert order.priority == "red"
    assert order.data["machine_stopped"] is True
    assert order.data["reporter_phone"] == "138 0000 0000"
    assert "按启动键没反应" in order.description and "周师傅" in order.description
    assert Attachment.objects.get(order=order).tag == "report"


def test_a_bad_photo_or_missing_symptom_changes_nothing_and_says_why(plant: Any) -> None:
    client = Client()
    token = _token(client.get("/q/IMM-001"))
    fake = SimpleUploadedFile("x.jpg", b"not a picture at all", content_type="image/jpeg")
    bad_photo = client.post("/q/IMM-001", {"token": token, "symptom": "alarm", "photo": fake})
    no_symptom = client.post("/q/IMM-001", {"token": token})
    assert bad_photo.status_code == 422
    assert "只接受 JPEG、PNG、WebP 照片" in bad_photo.content.decode()
    assert no_symptom.status_code == 422
    assert "请选择故障现象" in no_symptom.content.decode()
    assert WorkOrder.objects.count() == 0
    # The same token still works once the form is right.
    fixed = client.post("/q/IMM-001", {"token": token, "symptom": "alarm"})
    assert fixed.status_code == 201


def test_too_many_reports_from_one_phone_get_a_friendly_message(plant: Any, settings: Any) -> None:
    settings.PORTAL_RATE_PER_CLIENT = (2, 600)
    client = Client()
    statuses = []
    for code in ("IMM-001", "IMM-101", "IMM-001"):
        token = _token(client.get(f"/q/{code}"))
        statuses.append(client.post(f"/q/{code}", {"token": token, "symptom": "other"}))
    assert [r.status_code for r in statuses] == [201, 201, 429]
    assert "提交次数过多" in statuses[2].content.decode()
    assert WorkOrder.objects.count() == 2


def test_one_machine_flooded_from_many_phones_is_limited(plant: Any, settings: Any) -> None:
    settings.PORTAL_RATE_PER_ASSET = (1, 600)
    results = []
    for address in ("10.0.0.1", "10.0.0.2"):
        client = Client(REMOTE_ADDR=address)
        token = _token(client.get("/q/IMM-001"))
        results.append(client.post("/q/IMM-001", {"token": token, "symptom": "other"}))
    assert [r.status_code for r in results] == [201, 429]
    assert "这台设备刚刚已收到多次报修" in results[1].content.decode()


def test_behind_a_reverse_proxy_each_phone_is_limited_on_its_own(plant: Any, settings: Any) -> None:
    # nginx on the same machine: every request arrives from 127.0.0.1.
    settings.PORTAL_RATE_PER_CLIENT = (1, 600)
    settings.FORWARDED_ALLOW_IPS = ["127.0.0.1", "::1"]

    def report(phone: str, code: str) -> int:
        client = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=phone)
        token = _token(client.get(f"/q/{code}"))
        return client.post(f"/q/{code}", {"token": token, "symptom": "other"}).status_code

    assert report("203.0.113.7", "IMM-001") == 201
    assert report("203.0.113.7", "IMM-101") == 429  # that phone's limit
    # Another phone behind the same proxy is not counted as the first one.
    assert report("203.0.113.8", "IMM-101") == 201
    assert WorkOrder.objects.count() == 2


def test_unknown_code_gets_a_helpful_page(plant: Any) -> None:
    response = Client().get("/q/NOPE-404")
    page = response.content.decode()
    assert response.status_code == 404
    assert "找不到该设备" in page and "NOPE-404" in page
    assert 'name="code"' in page


def test_open_order_shows_who_has_it_and_the_engineers_eta(plant: Any, new_order: Any) -> None:
    import datetime

    from django.utils import timezone

    order = new_order()
    work_order_assign(order=order, actor=plant.dispatcher, assignee=plant.wang)
    eta = timezone.now() + datetime.timedelta(minutes=25)
    TravelRecord.objects.create(
        order=order, engineer=plant.wang, kind=TravelKind.DEPART, eta_at=eta
    )
    page = Client().get("/q/IMM-001").content.decode()
    assert order.number in page
    assert "王工" in page
    assert f"预计 {timezone.localtime(eta):%H:%M} 到达" in page


def test_scan_page_first_load_is_under_60_kb_compressed(plant: Any) -> None:
    response = Client().get("/q/IMM-001")
    total = len(gzip.compress(response.content))
    page = response.content.decode()
    for url in re.findall(r'(?:href|src)="(/static/[^"]+)"', page):
        path = finders.find(url.removeprefix("/static/"))
        assert path, url
        with open(path, "rb") as handle:
            total += len(gzip.compress(handle.read()))
    assert total <= 60 * 1024


def test_scan_page_speaks_english_to_an_english_phone(plant: Any) -> None:
    page = Client(headers={"accept-language": "en"}).get("/q/IMM-001").content.decode()
    assert "Send report" in page and "Won&#x27;t start" in page
    assert "提交报修" not in page
