"""SLA policies and business calendars over REST: roles, validation, replace, delete."""

from __future__ import annotations

from typing import Any

import pytest

from gongdan.sla.models import BusinessCalendar, SlaPolicy, WorkSchedule

pytestmark = pytest.mark.django_db

DAY_SHIFT = {"days": [0, 1, 2, 3, 4], "start": "08:30", "end": "17:30"}
NIGHT_SHIFT = {"days": [0, 1, 2, 3, 4], "start": "20:00", "end": "08:00"}


@pytest.fixture
def plant_calendar(plant: Any) -> BusinessCalendar:
    return BusinessCalendar.objects.create(code="plant", name="工厂日历", periods=[DAY_SHIFT])


def _policy(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "维修 红色",
        "order_type": "equipment_repair",
        "priority": "red",
        "clock": "business",
        "calendar": "plant",
        "response_minutes": 15,
        "arrival_minutes": 60,
        "resolution_minutes": 240,
        "escalations": [{"target": "resolution", "percent": 80, "notify": ["supervisor"]}],
    }
    body.update(overrides)
    return body


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("anonymous", 401),
        ("engineer", 403),
        ("requester", 403),
        ("dispatcher", 200),
        ("manager", 200),
        ("admin", 200),
    ],
)
def test_who_may_read_policies_and_calendars(
    plant: Any, api: Any, plant_calendar: Any, who: str, status: int
):
    user = {
        "anonymous": None,
        "engineer": plant.wang,
        "requester": plant.requester,
        "dispatcher": plant.dispatcher,
        "manager": plant.manager,
        "admin": plant.admin,
    }[who]
    client = api(user)
    for path in ("sla/calendars", "sla/calendars/plant", "sla/policies"):
        response = client.get(path)
        assert response.status_code == status, path
        if status != 200:
            assert set(response.json()) == {"code", "message", "errors"}


@pytest.mark.parametrize("who", ["dispatcher", "manager", "engineer"])
def test_only_administrators_change_them(plant: Any, api: Any, plant_calendar: Any, who: str):
    client = api(getattr(plant, {"engineer": "wang"}.get(who, who)))
    assert client.post("sla/policies", _policy()).status_code == 403
    assert client.put("sla/calendars/plant", {"code": "plant", "name": "x"}).status_code == 403
    assert client.delete("sla/calendars/plant").status_code == 403
    assert SlaPolicy.objects.count() == 0
    assert BusinessCalendar.objects.get(code="plant").name == "工厂日历"


def test_administrator_creates_a_policy_and_reads_it_back(
    plant: Any, api: Any, plant_calendar: Any
):
    client = api(plant.admin)
    created = client.post("sla/policies", _policy())
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["order_type"], body["priority"], body["calendar"]) == (
        "equipment_repair",
        "red",
        "plant",
    )
    detail = api(plant.dispatcher).get(f"sla/policies/{body['id']}").json()
    assert detail["resolution_minutes"] == 240
    assert detail["escalations"][0]["percent"] == 80
    replaced = client.put(f"sla/policies/{body['id']}", _policy(resolution_minutes=180))
    assert replaced.json()["resolution_minutes"] == 180
    assert client.delete(f"sla/policies/{body['id']}").status_code == 204
    assert client.get(f"sla/policies/{body['id']}").status_code == 404


def test_a_policy_with_bad_targets_or_unknown_names_is_refused_by_field(
    plant: Any, api: Any, plant_calendar: Any
):
    client = api(plant.admin)
    response = client.post(
        "sla/policies",
        _policy(
            calendar="nights",
            order_type="nope",
            response_minutes=0,
            arrival_minutes=-5,
            escalations=[{"percent": 0}],
        ),
    )
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert {"calendar", "order_type", "response_minutes", "arrival_minutes"} <= set(errors)
    assert "nights" in errors["calendar"]
    assert any(key.startswith("escalations.0") for key in errors)
    no_target = client.post(
        "sla/policies",
        _policy(response_minutes=None, arrival_minutes=None, resolution_minutes=None),
    )
    assert no_target.status_code == 422
    wrong_type = client.post("sla/policies", _policy(priority="purple", resolution_minutes="4h"))
    assert wrong_type.status_code == 422
    assert {"priority", "resolution_minutes"} <= set(wrong_type.json()["errors"])
    missing = client.post("sla/policies", {"name": "x"})
    assert "priority" in missing.json()["errors"]
    assert SlaPolicy.objects.count() == 0


def test_administrator_defines_a_calendar_with_a_night_shift_and_a_shutdown(plant: Any, api: Any):
    client = api(plant.admin)
    response = client.post(
        "sla/calendars",
        {
            "code": "two-shift",
            "name": "两班倒",
            "periods": [DAY_SHIFT, NIGHT_SHIFT],
            "exceptions": [
                {"date": "2026-05-06", "note": "设备检修停产"},
                {"date": "2026-05-09", "is_working": True, "start": "08:30", "end": "12:00"},
            ],
            "is_default": True,
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["periods"][1] == NIGHT_SHIFT
    assert body["exceptions"][1] == {
        "date": "2026-05-09",
        "is_working": True,
        "start": "08:30",
        "end": "12:00",
        "note": "",
    }
    calendar = BusinessCalendar.objects.get(code="two-shift")
    assert calendar.is_default
    assert len(calendar.spec().periods) == 2


def test_a_malformed_calendar_names_each_bad_period(plant: Any, api: Any):
    response = api(plant.admin).post(
        "sla/calendars",
        {
            "code": "bad code!",
            "name": "",
            "periods": [
                {"days": [7], "start": "8点", "end": "17:30"},
                {"days": [0], "start": "09:00", "end": "25:00"},
            ],
            "exceptions": [{"date": "2026-05-06", "is_working": False, "start": "08:00"}],
        },
    )
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert {"code", "name", "periods.0.days", "periods.0.start", "periods.1.end"} <= set(errors)
    assert any(key.startswith("exceptions.0") for key in errors)
    assert not BusinessCalendar.objects.exists()


def test_a_calendar_in_use_cannot_be_deleted(plant: Any, api: Any, plant_calendar: Any):
    client = api(plant.admin)
    WorkSchedule.objects.create(user=plant.wang, calendar=plant_calendar)
    refused = client.delete("sla/calendars/plant")
    assert refused.status_code == 409
    assert BusinessCalendar.objects.filter(code="plant").exists()
    WorkSchedule.objects.all().delete()
    assert client.delete("sla/calendars/plant").status_code == 204
    assert client.get("sla/calendars/plant").status_code == 404


def test_replacing_a_calendar_keeps_its_code_unique(plant: Any, api: Any, plant_calendar: Any):
    client = api(plant.admin)
    client.post("sla/calendars", {"code": "office", "name": "办公室", "periods": [DAY_SHIFT]})
    clash = client.put("sla/calendars/office", {"code": "plant", "name": "办公室"})
    assert clash.status_code == 422
    assert "code" in clash.json()["errors"]
    renamed = client.put(
        "sla/calendars/office", {"code": "office", "name": "行政办公室", "periods": []}
    )
    assert renamed.status_code == 200
    assert renamed.json()["name"] == "行政办公室"


def test_errors_are_in_english_for_an_english_client(plant: Any, api: Any, plant_calendar: Any):
    response = api(plant.admin).post(
        "sla/policies", _policy(calendar="nights"), **{"Accept-Language": "en"}
    )
    assert response.status_code == 422
    assert response.json()["errors"]["calendar"] == "Unknown calendar “nights”."
