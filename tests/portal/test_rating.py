"""Rating a resolved order through its signed link: once, before it expires."""

from __future__ import annotations

import datetime
from typing import Any

from django.test import Client
from django.utils import timezone
from freezegun import freeze_time

from gongdan.portal.models import Rating
from gongdan.portal.services import rating_token
from gongdan.workorders.models import EventKind


def test_customer_rates_once_and_the_rating_is_an_event_on_the_order(
    plant: Any, new_order: Any
) -> None:
    order = new_order()
    client = Client()
    url = f"/rate/{rating_token(order)}"
    form = client.get(url)
    assert form.status_code == 200 and order.number in form.content.decode()
    done = client.post(url, {"stars": "4", "recommend": "9", "comment": "来得快，修得好"})
    assert done.status_code == 200
    assert "感谢您的评价" in done.content.decode()
    event = order.events.get(kind=EventKind.RATING)
    assert event.data == {"stars": 4, "recommend": 9, "comment": "来得快，修得好"}
    assert Rating.objects.get(order=order).recommend == 9


def test_a_reused_link_cannot_rate_twice(plant: Any, new_order: Any) -> None:
    order = new_order()
    url = f"/rate/{rating_token(order)}"
    Client().post(url, {"stars": "5", "recommend": "10"})
    again = Client().post(url, {"stars": "1", "recommend": "0"})
    assert again.status_code == 409
    assert "已经评价过了" in again.content.decode()
    assert order.events.filter(kind=EventKind.RATING).count() == 1
    assert Rating.objects.get(order=order).stars == 5


def test_an_expired_link_is_refused_politely(plant: Any, new_order: Any) -> None:
    order = new_order()
    with freeze_time(timezone.now() - datetime.timedelta(days=31)):
        token = rating_token(order)
    response = Client().post(f"/rate/{token}", {"stars": "5", "recommend": "10"})
    assert response.status_code == 410
    assert "评价链接已过期" in response.content.decode()
    assert not Rating.objects.exists()


def test_a_tampered_or_guessed_link_names_no_order(plant: Any, new_order: Any) -> None:
    order = new_order()
    token = rating_token(order)
    forged = token.replace(token[-6:], "AAAAAA")
    assert Client().get(f"/rate/{forged}").status_code == 404
    assert Client().get(f"/rate/{order.pk}").status_code == 404


def test_stars_and_recommend_must_be_in_range(plant: Any, new_order: Any) -> None:
    order = new_order()
    response = Client().post(f"/rate/{rating_token(order)}", {"stars": "6", "recommend": "11"})
    page = response.content.decode()
    assert response.status_code == 422
    assert "请选择 1–5 星" in page and "请选择 0–10 分" in page
    assert not Rating.objects.exists()
