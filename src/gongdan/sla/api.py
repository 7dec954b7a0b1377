"""SLA policies and business calendars over REST: read by dispatchers, managers and
administrators, changed by administrators only."""

from __future__ import annotations

import datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from gongdan.core.errors import Forbidden, NotFound
from gongdan.core.models import Role, User, request_user
from gongdan.workorders.api import ERRORS
from gongdan.workorders.models import Priority

from . import services
from .models import BusinessCalendar, Clock, SlaPolicy

router = Router(tags=["sla"])


class PeriodSchema(Schema):
    days: list[int]
    start: str
    end: str


class ExceptionSchema(Schema):
    date: datetime.date
    is_working: bool = False
    start: str | None = None
    end: str | None = None
    note: str = ""


class CalendarIn(Schema):
    code: str
    name: str
    periods: list[PeriodSchema] = []
    follow_public_holidays: bool = True
    is_default: bool = False
    exceptions: list[ExceptionSchema] = []


class CalendarOut(CalendarIn):
    updated_at: datetime.datetime


class PolicyIn(Schema):
    name: str
    order_type: str | None = None
    priority: Priority
    clock: Clock = Clock.BUSINESS
    calendar: str | None = None
    response_minutes: int | None = None
    arrival_minutes: int | None = None
    resolution_minutes: int | None = None
    escalations: list[dict[str, Any]] = []
    is_active: bool = True


class PolicyOut(PolicyIn):
    id: int
    updated_at: datetime.datetime


def _hhmm(value: datetime.time | None) -> str | None:
    return value.strftime("%H:%M") if value is not None else None


def calendar_out(calendar: BusinessCalendar) -> CalendarOut:
    return CalendarOut(
        code=calendar.code,
        name=calendar.name,
        periods=[PeriodSchema(**p) for p in calendar.periods],
        follow_public_holidays=calendar.follow_public_holidays,
        is_default=calendar.is_default,
        exceptions=[
            ExceptionSchema(
                date=e.date,
                is_working=e.is_working,
                start=_hhmm(e.start),
                end=_hhmm(e.end),
                note=e.note,
            )
            for e in calendar.exceptions.all()
        ],
        updated_at=calendar.updated_at,
    )


def policy_out(policy: SlaPolicy) -> PolicyOut:
    return PolicyOut(
        id=policy.pk,
        name=policy.name,
        order_type=policy.order_type.key if policy.order_type else None,
        priority=Priority(policy.priority),
        clock=Clock(policy.clock),
        calendar=policy.calendar.code if policy.calendar else None,
        response_minutes=policy.response_minutes,
        arrival_minutes=policy.arrival_minutes,
        resolution_minutes=policy.resolution_minutes,
        escalations=policy.escalations,
        is_active=policy.is_active,
        updated_at=policy.updated_at,
    )


def _viewer(request: HttpRequest) -> User:
    user = request_user(request)
    if not (user.is_admin or user.has_role(Role.DISPATCHER, Role.MANAGER)):
        raise Forbidden(_("只有管理员、调度和经理可以查看时限策略与工作日历。"))
    return user


def _admin(request: HttpRequest) -> User:
    user = request_user(request)
    if not user.is_admin:
        raise Forbidden(_("只有管理员可以修改时限策略与工作日历。"))
    return user


def _calendar(code: str) -> BusinessCalendar:
    calendar = BusinessCalendar.objects.prefetch_related("exceptions").filter(code=code).first()
    if calendar is None:
        raise NotFound(_("找不到该工作日历。"))
    return calendar


def _policy(policy_id: int) -> SlaPolicy:
    policy = SlaPolicy.objects.select_related("order_type", "calendar").filter(pk=policy_id).first()
    if policy is None:
        raise NotFound(_("找不到该时限策略。"))
    return policy


# --- calendars -----------------------------------------------------------------


@router.get("/calendars", response={200: list[CalendarOut], **ERRORS}, summary="Calendars")
def calendar_list(request: HttpRequest) -> Any:
    _viewer(request)
    return [calendar_out(c) for c in BusinessCalendar.objects.prefetch_related("exceptions")]


@router.post("/calendars", response={201: CalendarOut, **ERRORS}, summary="Create a calendar")
def calendar_create(request: HttpRequest, payload: CalendarIn) -> Any:
    _admin(request)
    calendar = services.business_calendar_save(data=payload.dict())
    return Status(201, calendar_out(_calendar(calendar.code)))


@router.get("/calendars/{code}", response={200: CalendarOut, **ERRORS}, summary="One calendar")
def calendar_detail(request: HttpRequest, code: str) -> Any:
    _viewer(request)
    return calendar_out(_calendar(code))


@router.put("/calendars/{code}", response={200: CalendarOut, **ERRORS}, summary="Replace one")
def calendar_update(request: HttpRequest, code: str, payload: CalendarIn) -> Any:
    _admin(request)
    calendar = services.business_calendar_save(data=payload.dict(), calendar=_calendar(code))
    return calendar_out(_calendar(calendar.code))


@router.delete("/calendars/{code}", response={204: None, **ERRORS}, summary="Delete one")
def calendar_delete(request: HttpRequest, code: str) -> Any:
    _admin(request)
    services.business_calendar_delete(calendar=_calendar(code))
    return Status(204, None)


# --- policies ------------------------------------------------------------------


@router.get("/policies", response={200: list[PolicyOut], **ERRORS}, summary="SLA policies")
def policy_list(request: HttpRequest) -> Any:
    _viewer(request)
    return [policy_out(p) for p in SlaPolicy.objects.select_related("order_type", "calendar")]


@router.post("/policies", response={201: PolicyOut, **ERRORS}, summary="Create a policy")
def policy_create(request: HttpRequest, payload: PolicyIn) -> Any:
    _admin(request)
    policy = services.sla_policy_save(data=payload.dict())
    return Status(201, policy_out(_policy(policy.pk)))


@router.get("/policies/{policy_id}", response={200: PolicyOut, **ERRORS}, summary="One policy")
def policy_detail(request: HttpRequest, policy_id: int) -> Any:
    _viewer(request)
    return policy_out(_policy(policy_id))


@router.put("/policies/{policy_id}", response={200: PolicyOut, **ERRORS}, summary="Replace one")
def policy_update(request: HttpRequest, policy_id: int, payload: PolicyIn) -> Any:
    _admin(request)
    policy = services.sla_policy_save(data=payload.dict(), policy=_policy(policy_id))
    return policy_out(_policy(policy.pk))


@router.delete("/policies/{policy_id}", response={204: None, **ERRORS}, summary="Delete one")
def policy_delete(request: HttpRequest, policy_id: int) -> Any:
    _admin(request)
    services.sla_policy_delete(policy=_policy(policy_id))
    return Status(204, None)
