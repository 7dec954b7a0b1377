"""Working calendars and shifts, SLA policies and each order's SLA clock."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from pydantic import BaseModel, Field

from gongdan.core.fields import RowKeyOneToOneField
from gongdan.core.models import TimeStampedModel
from gongdan.workorders.models import Priority, WorkOrder, WorkOrderType

from .calendar import CalendarSpec, Hours, period_from_json


class BusinessCalendar(TimeStampedModel):
    """Weekly working periods (shifts), public holidays and local exceptions.

    ``periods``: [{"days": [0, 1, 2, 3, 4], "start": "08:30", "end": "17:30"}, …];
    Monday is 0, and a period whose end is not after its start runs past midnight
    (a night shift).
    """

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    periods = models.JSONField(_("工作时段"), default=list, blank=True)
    follow_public_holidays = models.BooleanField(_("遵循法定节假日与调休"), default=True)
    is_default = models.BooleanField(_("默认日历"), default=False)

    class Meta:
        ordering = ["code"]
        verbose_name = _("工作日历")
        verbose_name_plural = _("工作日历")

    def __str__(self) -> str:
        return self.name

    def spec(self) -> CalendarSpec:
        exceptions: dict[datetime.date, Hours] = {}
        for exc in self.exceptions.all():
            hours: Hours = ()
            if exc.is_working and exc.start is not None and exc.end is not None:
                hours = ((exc.start, exc.end),)
            elif exc.is_working:
                hours = ((datetime.time(0), datetime.time(0)),)
            exceptions[exc.date] = hours
        return CalendarSpec(
            periods=tuple(period_from_json(p) for p in self.periods),
            follow_public_holidays=self.follow_public_holidays,
            exceptions=exceptions,
        )

    def clean(self) -> None:
        try:
            for item in self.periods:
                period_from_json(item)
        except (KeyError, ValueError, TypeError, AttributeError):
            raise ValidationError(
                {"periods": _('时段格式应为 {"days": [0-6], "start": "08:30", "end": "17:30"}。')}
            )


class CalendarException(models.Model):
    """One date that differs from the week: a plant shutdown or an extra shift."""

    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="exceptions"
    )
    date = models.DateField(_("日期"))
    is_working = models.BooleanField(_("上班"), default=False)
    start = models.TimeField(_("开始"), null=True, blank=True)
    end = models.TimeField(_("结束"), null=True, blank=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        ordering = ["calendar", "date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="unique_calendar_date"),
        ]
        verbose_name = _("日历例外")
        verbose_name_plural = _("日历例外")

    def __str__(self) -> str:
        return f"{self.calendar} {self.date}"


class WorkSchedule(models.Model):
    """A person's shift calendar: when they are on duty (routing, quiet hours)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="work_schedule"
    )
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("人员班次")
        verbose_name_plural = _("人员班次")

    def __str__(self) -> str:
        return f"{self.user} · {self.calendar}"


class Clock(models.TextChoices):
    BUSINESS = "business", _("工作时间")
    ALWAYS = "24x7", _("7×24 小时")


class Target(models.TextChoices):
    RESPONSE = "response", _("响应")
    ARRIVAL = "arrival", _("到场")
    RESOLUTION = "resolution", _("解决")


class EscalationStep(BaseModel):
    """One rung of the ladder: at ``percent`` of a target, tell people and maybe reassign."""

    target: Target = Target.RESOLUTION
    percent: int = Field(ge=1, le=1000)
    # "assignee", "supervisor" (the assignee's team leader, else dispatchers),
    # "dispatchers", "managers" or a username.
    notify: list[str] = Field(default_factory=list)
    channel: str | None = None
    reassign: bool = False

    @property
    def key(self) -> str:
        return f"{self.target}:{self.percent}"


class SlaPolicy(TimeStampedModel):
    """Targets for one order type × priority (type empty = every type)."""

    name = models.CharField(_("名称"), max_length=100)
    order_type = models.ForeignKey(
        WorkOrderType,
        verbose_name=_("工单类型"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sla_policies",
    )
    priority = models.CharField(_("优先级"), max_length=10, choices=Priority.choices)
    clock = models.CharField(_("计时方式"), max_length=10, choices=Clock.choices)
    calendar = models.ForeignKey(
        BusinessCalendar,
        verbose_name=_("日历"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text=_("为空时使用默认日历。"),
    )
    response_minutes = models.PositiveIntegerField(_("响应时限（分钟）"), null=True, blank=True)
    arrival_minutes = models.PositiveIntegerField(_("到场时限（分钟）"), null=True, blank=True)
    resolution_minutes = models.PositiveIntegerField(_("解决时限（分钟）"), null=True, blank=True)
    # [{"target": "resolution", "percent": 50, "notify": ["assignee"]}, …]
    escalations = models.JSONField(_("升级阶梯"), default=list, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["order_type__key", "priority"]
        verbose_name = _("时限策略")
        verbose_name_plural = _("时限策略")

    def __str__(self) -> str:
        return self.name

    def ladder(self) -> list[EscalationStep]:
        # Parsed once per instance and escalation list (the SLA services read it on
        # every change of every order).
        memo = self.__dict__.get("_ladder")
        if memo is None or memo[0] is not self.escalations:
            memo = (self.escalations, [EscalationStep.model_validate(s) for s in self.escalations])
            self.__dict__["_ladder"] = memo
        return memo[1]

    def minutes(self, target: str) -> int | None:
        return {
            Target.RESPONSE: self.response_minutes,
            Target.ARRIVAL: self.arrival_minutes,
            Target.RESOLUTION: self.resolution_minutes,
        }[Target(target)]

    def calendar_spec(self) -> Any:
        """The calendar the clock runs on; resolved once per instance and calendar
        (a deadline is several look-ups of it)."""
        from .calendar import ALWAYS_OPEN, resolve

        key = (self.clock, self.calendar_id)
        memo = self.__dict__.get("_spec")
        if memo is None or memo[0] != key:
            spec = ALWAYS_OPEN if self.clock == Clock.ALWAYS else resolve(self.calendar)
            memo = (key, spec)
            self.__dict__["_spec"] = memo
        return memo[1]


class OrderClock(models.Model):
    """An order's SLA bookkeeping: its policy, pauses and the escalations done.

    The deadlines themselves live on the order (indexed columns); this row
    keeps what is needed to recompute them on every state change.
    """

    order = RowKeyOneToOneField(
        WorkOrder, on_delete=models.CASCADE, primary_key=True, related_name="sla_clock"
    )
    policy = models.ForeignKey(
        SlaPolicy, null=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    started_at = models.DateTimeField()
    paused_at = models.DateTimeField(null=True, blank=True)
    # Working time spent in waiting states so far, in seconds.
    paused_seconds = models.FloatField(default=0)
    steps_done = models.JSONField(default=list, blank=True)
    # When the next escalation step falls due; the ticker looks here.
    next_check_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = _("时限计时")
        verbose_name_plural = _("时限计时")

    def __str__(self) -> str:
        return str(self.order_id)
