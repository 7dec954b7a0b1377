"""Who could take an order: the roster of active engineers (kept per process), and
each of them either scored — load, and distance where it counts — or marked with
why they are out.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.utils import timezone

from gongdan.core.cache import ProcessCache
from gongdan.core.models import Role, User, UserSkill
from gongdan.workorders.models import WorkOrder

from ..models import Excluded, RuleAction, Strategy
from .loads import _loads
from .positions import _haversine_km, _order_position, _user_positions


@dataclass
class Candidate:
    user: User
    load: float = 0.0
    distance_km: float | None = None
    excluded: str = ""

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"user": self.user.username, "name": str(self.user)}
        out["load"] = self.load
        if self.distance_km is not None:
            out["distance_km"] = round(self.distance_km, 2)
        if self.excluded:
            out["excluded"] = self.excluded
        return out


class Engineer(NamedTuple):
    """What the rules compare, read off an engineer once per roster load."""

    user: User
    pk: int
    username: str
    region: str | None
    team: str | None


@dataclass(frozen=True)
class Roster:
    """Who can be routed to: every active engineer with team and region, their skill
    certificates and shift calendars. Shared read-only by the process's threads."""

    engineers: list[Engineer]
    skills: dict[int, list[UserSkill]]
    shifts: dict[int, Any]


def _load_roster() -> Roster:
    from gongdan.sla.models import WorkSchedule

    engineers = list(
        User.objects.filter(is_active=True, role=Role.ENGINEER)
        .select_related("team", "region")
        .order_by("id")
    )
    skills: dict[int, list[UserSkill]] = {}
    for us in UserSkill.objects.filter(user__in=engineers).select_related("skill"):
        skills.setdefault(us.user_id, []).append(us)
    shifts = {
        schedule.user_id: schedule.calendar.spec()
        for schedule in WorkSchedule.objects.filter(user__in=engineers)
        .select_related("calendar")
        .prefetch_related("calendar__exceptions")
    }
    roster = [
        Engineer(
            user=user,
            pk=user.pk,
            username=user.username,
            region=user.region.code if user.region is not None else None,
            team=user.team.code if user.team is not None else None,
        )
        for user in engineers
    ]
    return Roster(engineers=roster, skills=skills, shifts=shifts)


def _roster_models() -> tuple[type[Any], ...]:
    from gongdan.core.models import Region, Skill, Team
    from gongdan.sla.models import BusinessCalendar, CalendarException, WorkSchedule

    return (User, UserSkill, Skill, Team, Region, WorkSchedule, BusinessCalendar, CalendarException)


_roster = ProcessCache(_load_roster, models=_roster_models())


def _on_shift(roster: Roster, user: User, now: datetime.datetime) -> bool:
    from gongdan.sla.calendar import is_working_at

    shift = roster.shifts.get(user.pk)
    # Without a shift calendar a person counts as always on duty.
    return shift is None or is_working_at(now, shift)


def candidates_for(
    order: WorkOrder,
    action: RuleAction,
    *,
    exclude_ids: set[int],
    now: datetime.datetime,
) -> list[Candidate]:
    """Every active engineer, each either scored or marked with why they are out."""
    roster = _roster.get()
    today = timezone.localdate(now)
    held: dict[int, set[str]] = {}
    if action.skills:
        for user_id, certificates in roster.skills.items():
            for us in certificates:
                if us.skill.code in action.skills and us.is_valid_on(today):
                    held.setdefault(user_id, set()).add(us.skill.code)
    region_code = None
    if action.region == "order":
        region_code = order.region.code if order.region_id and order.region else None
    elif action.region:
        region_code = action.region
    wanted = set(action.skills)
    out: list[Candidate] = []
    eligible: list[Candidate] = []
    for engineer in roster.engineers:
        candidate = Candidate(user=engineer.user)
        missing = wanted - held.get(engineer.pk, set()) if wanted else None
        if engineer.pk in exclude_ids:
            candidate.excluded = Excluded.DECLINED_OR_TIMED_OUT
        elif action.strategy == Strategy.NAMED and engineer.username != action.person:
            candidate.excluded = Excluded.NOT_NAMED
        elif missing:
            candidate.excluded = f"{Excluded.MISSING_OR_EXPIRED.value}:" + ",".join(sorted(missing))
        elif action.region and (engineer.region is None or engineer.region != region_code):
            candidate.excluded = Excluded.OTHER_REGION
        elif action.team and engineer.team != action.team:
            candidate.excluded = Excluded.OTHER_TEAM
        elif action.on_shift and not _on_shift(roster, engineer.user, now):
            candidate.excluded = Excluded.OFF_SHIFT
        else:
            eligible.append(candidate)
        out.append(candidate)
    users = [c.user for c in eligible]
    loads = _loads([c.user.pk for c in eligible])
    for c in eligible:
        c.load = loads.get(c.user.pk, 0)
    # Distance decides for the nearest strategy, and breaks a tie in load otherwise;
    # where neither applies, the positions are not looked up.
    lightest = min((c.load for c in eligible), default=0)
    tied = sum(1 for c in eligible if c.load == lightest) > 1
    if action.strategy == Strategy.NEAREST or (tied and action.strategy == Strategy.LEAST_LOADED):
        where = _order_position(order)
        positions = _user_positions(users, now) if where else {}
        for c in eligible:
            if where and c.user.pk in positions:
                c.distance_km = _haversine_km(where, positions[c.user.pk])
    return out
