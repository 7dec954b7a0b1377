"""On resolve the requester gets a rating request whose link is the rating page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gongdan.notify.messages import MESSAGES
from gongdan.notify.models import Notification
from gongdan.portal.services import rating_order
from gongdan.workorders.services import work_order_assign
from tests.conftest import Plant
from tests.integration.conftest import resolve


def _rating_requests(user: Any) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user, template="rating_request"))


def test_resolving_sends_the_requester_the_rating_link(
    plant: Plant, new_order: Callable[..., Any]
) -> None:
    order = new_order(actor=plant.requester)
    work_order_assign(order=order, actor=plant.dispatcher, assignee=plant.wang)
    assert _rating_requests(plant.requester) == []

    resolve(order, plant.wang)

    rows = _rating_requests(plant.requester)
    assert rows, "the requester got no rating request"
    for row in rows:
        assert row.order_id == order.pk
        url = row.payload["url"]
        assert "/rate/" in url and f"/orders/{order.number}/" not in url
        # The link opens the rating page of exactly this order.
        assert rating_order(url.rsplit("/", 1)[-1]).pk == order.pk
        assert order.number in row.payload["subject"] and "评价" in row.payload["subject"]
        assert "已处理完毕" in row.payload["body"]
    # Nobody else is asked to rate.
    assert Notification.objects.filter(template="rating_request").count() == len(rows)


def test_rating_request_is_in_the_requesters_language(
    plant: Plant, new_order: Callable[..., Any]
) -> None:
    plant.requester.language = "en"
    plant.requester.save()
    order = new_order(actor=plant.requester)
    work_order_assign(order=order, actor=plant.dispatcher, assignee=plant.wang)
    resolve(order, plant.wang)
    [row, *_rest] = _rating_requests(plant.requester)
    assert row.payload["language"] == "en"
    assert row.payload["subject"] == f"Please rate the service on order {order.number}"
    assert "/rate/" in row.payload["url"]


def test_parts_texts_are_registered_through_the_outbox_catalogue() -> None:
    subject, body = MESSAGES["parts_pick_list"]
    assert str(subject) == "待发料：%(requisition)s"
    assert "发料" in str(body)
