"""`gongdan demo`: the demo plant, its history, idempotency and the extension hook."""

from __future__ import annotations

import datetime
import importlib.machinery
import io
import sys
import types
from collections import Counter
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from gongdan.assets.models import Asset
from gongdan.core.demo import DEMO_PASSWORD, demo_plan
from gongdan.core.models import Region, Skill, Team, User, UserSkill
from gongdan.workorders.models import Comment, EventKind, WorkOrder, WorkOrderEvent

ACCOUNTS = {
    "admin": "admin",
    "dispatcher": "dispatcher",
    "manager": "manager",
    "clerk": "clerk",
    "warehouse": "warehouse",
    "requester": "requester",
    **{f"engineer{n}": "engineer" for n in range(1, 7)},
}
NOW = datetime.datetime(2026, 3, 18, 15, 30, tzinfo=datetime.UTC)  # a Wednesday afternoon


def run_demo(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("demo", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def local(moment: datetime.datetime) -> datetime.datetime:
    return timezone.localtime(moment)


def working_hours(moment: datetime.datetime) -> bool:
    moment = local(moment)
    return moment.weekday() < 6 and 8 <= moment.hour < 18


def state_after(plan: Any, now: datetime.datetime) -> str:
    """The last action that has happened to a planned order by ``now``."""
    past = [s for s in plan.steps if s.at < now]
    return past[-1].action or past[-1].kind if past else "created"


# --- the plan (no database) ----------------------------------------------------


def test_eight_weeks_of_history_hold_over_300_orders_of_the_four_types():
    plans = demo_plan(weeks=8, now=NOW)
    assert len(plans) >= 300
    by_type = Counter(p.type_key for p in plans)
    assert set(by_type) == {
        "equipment_repair",
        "after_sales",
        "preventive_maintenance",
        "facility_service",
    }
    assert min(by_type.values()) >= 25
    start = NOW - datetime.timedelta(weeks=8, days=1)
    assert all(start <= p.created_at < NOW for p in plans)
    assert len({p.key for p in plans}) == len(plans)


def test_orders_come_in_at_realistic_times():
    plans = demo_plan(weeks=8, now=NOW)
    created = [local(p.created_at) for p in plans]
    in_hours = sum(working_hours(c) for c in created)
    assert in_hours / len(created) >= 0.8, "most orders arrive in working hours, Mon–Sat"
    nights = [c for c in created if c.hour >= 20 or c.hour < 6]
    assert len(nights) >= 10, "the night shift reports some"
    assert sum(c.weekday() == 6 for c in created) < len(created) / 30, "Sundays are quiet"

    def mornings(weekday: int) -> float:
        days = {c.date() for c in created if c.weekday() == weekday}
        hits = [c for c in created if c.weekday() == weekday and 8 <= c.hour < 11]
        return len(hits) / max(1, len(days))

    tuesday = mornings(1)
    assert all(tuesday > 1.5 * mornings(day) for day in (2, 3, 4)), "Tuesday mornings cluster"


def test_tuesday_morning_cluster_runs_late():
    plans = demo_plan(weeks=8, now=NOW)

    def accepted_after(plan: Any) -> float | None:
        accept = next((s for s in plan.steps if s.action == "accept"), None)
        return (accept.at - plan.created_at).total_seconds() if accept else None

    def median_wait(selected: list[Any]) -> float:
        waits = sorted(w for w in map(accepted_after, selected) if w is not None)
        return waits[len(waits) // 2]

    repairs = [p for p in plans if p.type_key == "equipment_repair" and working_hours(p.created_at)]
    tuesday = [
        p for p in repairs if local(p.created_at).weekday() == 1 and local(p.created_at).hour < 11
    ]
    others = [p for p in repairs if local(p.created_at).weekday() in (2, 3, 4)]
    assert median_wait(tuesday) > 1.5 * median_wait(others)


def test_history_goes_through_realistic_sequences():
    plans = demo_plan(weeks=8, now=NOW)
    actions = Counter(s.action for p in plans for s in p.steps if s.at < NOW)
    finished = Counter(state_after(p, NOW) for p in plans)
    assert finished["close"] / len(plans) > 0.75, "most orders are closed"
    for action in ("reopen", "decline", "wait_parts", "cancel", "remote_resolve"):
        assert actions[action] >= 3, f"a few orders went through {action}"
    # Open work on the board, in every open state.
    for last in ("created", "assign", "accept", "depart", "arrive", "wait_parts", "resolve"):
        assert finished[last] >= 1, f"an order is still open after {last}"
    by_clerk = [p for p in plans if p.creator == "clerk" and p.on_behalf_of]
    assert len(by_clerk) >= 5, "paper tickets typed in by the clerk for an engineer"
    assert any(s.on_behalf_of for p in plans for s in p.steps if s.actor == "clerk")
    for plan in plans:
        times = [plan.created_at, *(s.at for s in plan.steps)]
        assert times == sorted(times), f"{plan.key} happens in order"


def test_plan_is_reproducible_from_its_seed():
    first = demo_plan(weeks=2, now=NOW)
    again = demo_plan(weeks=2, now=NOW)
    other = demo_plan(weeks=2, now=NOW, seed=7)
    assert [(p.title, p.created_at, len(p.steps)) for p in first] == [
        (p.title, p.created_at, len(p.steps)) for p in again
    ]
    assert [p.title for p in first] != [p.title for p in other]


# --- loading -------------------------------------------------------------------


def snapshot() -> dict[str, Any]:
    return {
        "users": sorted(User.objects.values_list("username", "password", "role")),
        "skills": UserSkill.objects.count(),
        "teams": Team.objects.count(),
        "regions": Region.objects.count(),
        "assets": sorted(Asset.objects.values_list("code", "name", "customer")),
        "orders": sorted(WorkOrder.objects.values_list("number", "state_id", "version")),
        "events": WorkOrderEvent.objects.count(),
        "comments": Comment.objects.count(),
    }


# Loading even one week of history replays a few hundred service calls, so one
# test checks what the demo builds and that running it again changes nothing.
def test_demo_builds_the_plant_and_a_second_run_changes_nothing(db):
    out, err = run_demo("--weeks", "1")
    assert err == "", "every planned step went through and every extension ran"
    for username in ACCOUNTS:
        assert username in out
    assert DEMO_PASSWORD in out

    users = {u.username: u for u in User.objects.filter(username__in=ACCOUNTS)}
    assert {u: users[u].role for u in users} == ACCOUNTS
    assert all(u.check_password(DEMO_PASSWORD) for u in users.values())
    engineers = [users[f"engineer{n}"] for n in range(1, 7)]
    assert {e.region.name for e in engineers if e.region} == {"华东", "华南", "华北"}
    assert len({e.team_id for e in engineers}) >= 4
    assert Region.objects.count() == 3 and Team.objects.count() >= 4
    assert set(Skill.objects.values_list("name", flat=True)) >= {
        "高压电工证",
        "液压",
        "注塑机",
        "PLC",
        "模具",
    }
    licences = UserSkill.objects.filter(skill__code="hv").select_related("user")
    assert all(c.certificate_no and c.expires_on for c in licences)
    soon = timezone.localdate() + datetime.timedelta(days=30)
    assert [c.user.username for c in licences if c.expires_on and c.expires_on <= soon] == [
        "engineer2"
    ]

    assert Asset.objects.count() == 30
    assert Asset.objects.filter(code="IMM-001", name__contains="注塑机").exists()
    assert Asset.objects.exclude(customer="").count() >= 8

    orders = WorkOrder.objects.all()
    assert orders.count() >= 30
    assert set(orders.values_list("type__key", flat=True)) >= {"equipment_repair", "after_sales"}
    categories = set(orders.values_list("state_category", flat=True))
    assert {"new", "in_progress", "resolved", "closed"} <= categories
    now = timezone.now()
    for order in orders.prefetch_related("events"):
        events = list(order.events.all())
        assert events[0].kind == EventKind.CREATED and events[0].created_at == order.created_at
        assert all(order.created_at <= e.created_at <= now for e in events)
    # The crew works non-urgent orders in working hours, whatever time they came in.
    worked = WorkOrderEvent.objects.filter(
        kind__in=[EventKind.TRANSITION, EventKind.COMMENT], actor__isnull=False
    ).exclude(order__priority="red")
    assert worked.exists() and all(working_hours(e.created_at) for e in worked)
    assert Comment.objects.exists()

    before = snapshot()
    out, _ = run_demo("--weeks", "1")
    assert "(0 new)" in out
    assert snapshot() == before
    out, _ = run_demo("--if-empty")
    assert "engineer6" in out and "Demo ready" not in out
    assert snapshot() == before


def test_if_empty_leaves_a_database_in_use_alone(plant, new_order):
    new_order()
    out, _ = run_demo("--if-empty")
    assert "Demo ready" not in out
    assert WorkOrder.objects.count() == 1
    assert not User.objects.filter(username="engineer1").exists()


def _fake_extension(monkeypatch: pytest.MonkeyPatch, app: str, extend: Any) -> None:
    module = types.ModuleType(f"{app}.demo")
    module.__spec__ = importlib.machinery.ModuleSpec(f"{app}.demo", None)
    module.extend = extend  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, f"{app}.demo", module)


def test_apps_extend_the_demo_and_a_broken_extension_does_not_sink_it(plant, monkeypatch):
    seen: dict[str, Any] = {}

    def extend(context: dict[str, Any]) -> None:
        seen.update(context)
        Asset.objects.get_or_create(
            code="PRT-001", defaults={"name": "备件柜", "region": context["regions"]["east"]}
        )

    def broken(context: dict[str, Any]) -> None:
        Asset.objects.create(code="HALF-001", name="写了一半")
        raise RuntimeError("boom")

    _fake_extension(monkeypatch, "gongdan.assets", extend)
    _fake_extension(monkeypatch, "gongdan.workorders", broken)
    # --weeks 0: today's orders only; the extensions are what this test is about.
    _, err = run_demo("--weeks", "0")

    assert seen["users"]["engineer1"].display_name == "王建国"
    assert seen["assets"]["IMM-001"].code == "IMM-001"
    assert set(seen["types"]) >= {"after_sales", "equipment_repair"}
    assert seen["orders"].count() == WorkOrder.objects.count()
    assert Asset.objects.filter(code="PRT-001").exists()
    assert err.count("boom") == 1 and "gongdan.workorders" in err
    assert not Asset.objects.filter(code="HALF-001").exists()
    # The fixture plant's rows were there first: reused, not duplicated or overwritten.
    assert Region.objects.filter(code="east").count() == 1
    assert User.objects.get(username="dispatcher").display_name == "刘调度"
    assert Asset.objects.count() == 31
    assert Asset.objects.get(code="IMM-001").name == "注塑机 海天 MA1600"


def test_every_open_state_has_orders_whatever_the_time_the_demo_is_loaded():
    # The board shows new, assigned, in-progress and resolved work at any hour: the
    # newest reports stay new, the oldest of the recent ones are resolved.
    def reached(plan: Any, now: datetime.datetime) -> str:
        done = [s.action or s.kind for s in plan.steps if s.at < now]
        return done[-1] if done else "created"

    for hours in range(0, 7 * 24, 3):
        now = NOW + datetime.timedelta(hours=hours)
        states = Counter(reached(plan, now) for plan in demo_plan(weeks=1, now=now))
        for wanted in (("created",), ("accept", "assign"), ("depart", "arrive"), ("resolve",)):
            assert any(states[action] for action in wanted), (now, wanted, states)
