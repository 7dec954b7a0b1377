"""A small constructed service history for the metric tests: ISO week 2025-W41.

That week holds the end of the National Day holiday (Mon 6 – Wed 8 October),
two ordinary working days, an adjusted working Saturday (调休, 11 October) and
a Sunday. The orders, in site time (Asia/Shanghai):

A  Thu 09:00  red, IMM-001; 王工 assigned 09:05, accepts 09:20, departs 09:30,
              arrives 10:00, resolves 12:00 (electrical), closed 13:00; target
              13:00; rated 5★ / 10.
B  Fri 16:00  IMM-001; 李工 assigned 16:10, comments 16:50, accepts 17:00,
              arrives Sat 09:00, resolves Sat 11:00, reopened Sat 14:00,
              resolves again Sun 10:00 (hydraulic), not closed; target Sat 12:00;
              rated 2★ / 5.
C  Tue 08:30  red, IMM-101 (holiday); 张工 accepts 09:00, arrives 10:00, waits
              for parts 11:00 → Thu 11:00, resolves Thu 15:00 (mechanical),
              closed 16:00; target (paused while waiting) Thu 16:00; rated 4★ / 8.
D  Wed 10:00  paper order entered by the clerk for 王工 (holiday); accepted 10:10,
              arrived 10:30, resolved 12:00 (mould), closed by the clerk Fri 09:00;
              no target.
E  Fri 17:00  red, IMM-001, electrical; 王工 assigned 17:05, never answers;
              target Fri 23:00 — still open. Same machine and fault as A within
              7 days, so A was not fixed the first time.
G  Mon 09:00  blue, cancelled 09:30.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from gongdan.workorders import signals
from gongdan.workorders.models import EventKind, WorkOrder
from gongdan.workorders.services import (
    comment_create,
    event_record,
    work_order_assign,
    work_order_create,
    work_order_transition,
)
from tests.conftest import Plant

TZ = ZoneInfo("Asia/Shanghai")
FIX = {"fault_cause": "接触器烧毁", "fix_action": "更换接触器", "fix_result": "fixed"}


def at(day: int, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(2025, 10, day, hour, minute, tzinfo=TZ)


def step(order: WorkOrder, actor: Any, action: str, when: datetime.datetime, **kw: Any) -> None:
    order.refresh_from_db()
    work_order_transition(
        order=order, actor=actor, action=action, version=order.version, at=when, **kw
    )


def rate(order: WorkOrder, actor: Any, stars: int, recommend: int, when: datetime.datetime) -> None:
    event_record(
        order=order,
        kind=EventKind.RATING,
        actor=actor,
        data={"stars": stars, "recommend": recommend, "comment": ""},
        at=when,
    )


def due(order: WorkOrder, when: datetime.datetime | None) -> None:
    WorkOrder.objects.filter(pk=order.pk).update(resolution_due_at=when)


@pytest.fixture(autouse=True)
def _chinese() -> Iterator[None]:
    """Chinese unless a test asks otherwise; a request in English elsewhere must not leak."""
    with translation.override("zh-hans"):
        yield


@pytest.fixture
def quiet_signals(monkeypatch: pytest.MonkeyPatch) -> None:
    """Build history as it was recorded: routing and SLA receivers would re-decide
    assignments and deadlines at today's clock."""
    for signal in (
        signals.work_order_created,
        signals.work_order_transitioned,
        signals.work_order_assigned,
    ):
        monkeypatch.setattr(signal, "receivers", [])
        monkeypatch.setattr(signal, "sender_receivers_cache", {})


@dataclass
class History:
    plant: Plant
    orders: dict[str, WorkOrder]

    def __getitem__(self, name: str) -> WorkOrder:
        return self.orders[name]


def create(plant: Plant, when: datetime.datetime, **kw: Any) -> WorkOrder:
    args: dict[str, Any] = {
        "actor": plant.requester,
        "order_type": plant.repair,
        "title": "注塑机故障",
        "priority": "yellow",
        "asset": plant.press,
        "data": {"symptom": "no_start"},
        "created_at": when,
    }
    args.update(kw)
    order, _ = work_order_create(**args)
    return order


@pytest.fixture
def history(plant: Plant, quiet_signals: None) -> History:
    return build_history(plant)


def build_history(p: Plant) -> History:
    a = create(p, at(9, 9), title="A 注塑机不启动", priority="red")
    work_order_assign(order=a, actor=p.dispatcher, assignee=p.wang, at=at(9, 9, 5))
    step(a, p.wang, "accept", at(9, 9, 20))
    step(a, p.wang, "depart", at(9, 9, 30))
    step(a, p.wang, "arrive", at(9, 10))
    step(a, p.wang, "resolve", at(9, 12), data={"fault_category": "electrical", **FIX})
    step(a, p.requester, "close", at(9, 13))
    due(a, at(9, 13))
    rate(a, p.requester, 5, 10, at(9, 14))

    b = create(p, at(10, 16), title="B 液压异响")
    work_order_assign(order=b, actor=p.dispatcher, assignee=p.li, at=at(10, 16, 10))
    comment_create(order=b, actor=p.li, body="收到，马上过来", at=at(10, 16, 50))
    step(b, p.li, "accept", at(10, 17))
    step(b, p.li, "arrive", at(11, 9))
    step(b, p.li, "resolve", at(11, 11), data={"fault_category": "hydraulic", **FIX})
    step(b, p.requester, "reopen", at(11, 14), comment="还在漏油")
    step(b, p.li, "resolve", at(12, 10))
    due(b, at(11, 12))
    rate(b, p.requester, 2, 5, at(12, 11))

    c = create(p, at(7, 8, 30), title="C 南厂停机", priority="red", asset=p.south_press)
    step(c, p.zhang, "accept", at(7, 9))
    step(c, p.zhang, "arrive", at(7, 10))
    step(c, p.zhang, "wait_parts", at(7, 11), comment="等油封")
    step(c, p.zhang, "resume", at(9, 11))
    step(c, p.zhang, "resolve", at(9, 15), data={"fault_category": "mechanical", **FIX})
    step(c, p.dispatcher, "close", at(9, 16))
    due(c, at(9, 16))
    rate(c, p.requester, 4, 8, at(9, 17))

    d = create(p, at(8, 10), title="D 纸质工单", actor=p.clerk, on_behalf_of=p.wang, requester=None)
    step(d, p.clerk, "accept", at(8, 10, 10), on_behalf_of=p.wang)
    step(d, p.clerk, "arrive", at(8, 10, 30), on_behalf_of=p.wang)
    step(
        d,
        p.clerk,
        "resolve",
        at(8, 12),
        on_behalf_of=p.wang,
        data={"fault_category": "mould", **FIX},
    )
    step(d, p.clerk, "close", at(10, 9))

    e = create(
        p,
        at(10, 17),
        title="E 电柜跳闸",
        priority="red",
        data={"symptom": "alarm", "fault_category": "electrical"},
    )
    work_order_assign(order=e, actor=p.dispatcher, assignee=p.wang, at=at(10, 17, 5))
    due(e, at(10, 23))

    g = create(p, at(6, 9), title="G 计划保养", priority="blue")
    step(g, p.requester, "cancel", at(6, 9, 30), comment="报错了")
    return History(plant=p, orders={"A": a, "B": b, "C": c, "D": d, "E": e, "G": g})


def reference_business_time(a: datetime.datetime, b: datetime.datetime) -> datetime.timedelta:
    """A site calendar for the tests: 08:00–17:00 on Chinese working days."""
    import chinese_calendar

    total = datetime.timedelta()
    a, b = a.astimezone(TZ), b.astimezone(TZ)
    day = a.date()
    while day <= b.date():
        if chinese_calendar.is_workday(day):
            open_ = datetime.datetime.combine(day, datetime.time(8), tzinfo=TZ)
            close = datetime.datetime.combine(day, datetime.time(17), tzinfo=TZ)
            start, end = max(a, open_), min(b, close)
            if end > start:
                total += end - start
        day += datetime.timedelta(days=1)
    return total


@pytest.fixture
def site_calendar(monkeypatch: pytest.MonkeyPatch) -> None:
    """Business time on the reference calendar, as the SLA app's calendar provides it."""
    from gongdan.reports import calendar

    monkeypatch.setattr(calendar, "_site_business_time", lambda: reference_business_time)
