"""Demo calendars, shifts and SLA policies (called by `gongdan demo`; idempotent)."""

from __future__ import annotations

from typing import Any

from .models import BusinessCalendar, SlaPolicy, WorkSchedule

WEEKDAYS = [0, 1, 2, 3, 4]
# (priority, clock, response, arrival, resolution) in minutes.
TARGETS = [
    ("red", "24x7", 15, 60, 4 * 60),
    ("yellow", "business", 60, 4 * 60, 16 * 60),
    ("blue", "business", 8 * 60, None, 5 * 8 * 60),
]
LADDER = [
    {"target": "response", "percent": 100, "notify": ["supervisor"]},
    {"target": "resolution", "percent": 50, "notify": ["assignee"]},
    {"target": "resolution", "percent": 100, "notify": ["supervisor"]},
    {"target": "resolution", "percent": 150, "notify": ["managers"], "reassign": True},
]


def extend(context: dict[str, Any]) -> None:
    plant, _ = BusinessCalendar.objects.get_or_create(
        code="plant",
        defaults={
            "name": "全厂白班",
            "periods": [
                {"days": WEEKDAYS, "start": "08:00", "end": "12:00"},
                {"days": WEEKDAYS, "start": "13:00", "end": "17:30"},
            ],
            "is_default": not BusinessCalendar.objects.filter(is_default=True).exists(),
        },
    )
    night, _ = BusinessCalendar.objects.get_or_create(
        code="night",
        defaults={
            "name": "夜班",
            "periods": [{"days": [0, 1, 2, 3, 4, 5, 6], "start": "20:00", "end": "08:00"}],
            "follow_public_holidays": False,
        },
    )
    users = context.get("users") or {}
    for username, calendar in (("engineer1", plant), ("engineer2", night), ("engineer3", plant)):
        user = users.get(username)
        if user is not None:
            WorkSchedule.objects.get_or_create(user=user, defaults={"calendar": calendar})
    for priority, clock, response, arrival, resolution in TARGETS:
        SlaPolicy.objects.get_or_create(
            order_type=None,
            priority=priority,
            defaults={
                "name": f"默认 · {priority}",
                "clock": clock,
                "calendar": plant if clock == "business" else None,
                "response_minutes": response,
                "arrival_minutes": arrival,
                "resolution_minutes": resolution,
                "escalations": LADDER,
            },
        )
    # The history was replayed before these policies existed: give every demo order
    # the deadlines it would have had, so the reports can tell late from on time.
    from gongdan.workorders.models import WorkOrder

    from .services import sla_clock_rebuild

    for order in WorkOrder.objects.filter(sla_clock__isnull=True).select_related("type"):
        sla_clock_rebuild(order=order)
