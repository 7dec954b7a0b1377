"""Routing rules as data, each order's routing bookkeeping, and positions for "nearest"."""

from __future__ import annotations

from typing import Literal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from pydantic import BaseModel, Field

from gongdan.core.fields import RowKeyOneToOneField
from gongdan.core.models import TimeStampedModel
from gongdan.workorders.models import WorkOrder, WorkOrderType


class Strategy(models.TextChoices):
    LEAST_LOADED = "least_loaded", _("负荷最低")
    NEAREST = "nearest", _("距离最近")
    ROUND_ROBIN = "round_robin", _("轮流")
    NAMED = "named", _("指定人员")


class Why(models.TextChoices):
    """Why a decision came out as it did, as its record keeps it."""

    LEAST_LOADED = "least_loaded", _("负荷最低")
    NEAREST = "nearest", _("距离最近")
    NEAREST_UNKNOWN_POSITIONS = "nearest_unknown_positions_least_loaded", _("位置未知，按负荷最低")
    ROUND_ROBIN = "round_robin", _("轮流派单")
    NAMED = "named", _("指定人员")
    NO_CANDIDATE = "no_candidate", _("没有符合条件的人")
    NO_RULE_MATCHED = "no_rule_matched", _("没有匹配的规则")
    CONDITION_NOT_MET = "condition_not_met", _("条件不满足")


class Excluded(models.TextChoices):
    """Why an engineer was not considered. MISSING_OR_EXPIRED is recorded with the
    skills after a colon ("missing_or_expired:hv,lv")."""

    DECLINED_OR_TIMED_OUT = "declined_or_timed_out", _("已拒单或超时未接")
    NOT_NAMED = "not_named", _("非指定人员")
    MISSING_OR_EXPIRED = "missing_or_expired", _("缺少或过期的证书")
    OTHER_REGION = "other_region", _("其他区域")
    OTHER_TEAM = "other_team", _("其他班组")
    OFF_SHIFT = "off_shift", _("不在班")


def why_label(code: str) -> str:
    """A code nobody labelled (a newer version's) shows as itself."""
    return str(Why(code).label) if code in Why.values else code


def excluded_label(reason: str) -> str:
    """ "missing_or_expired:hv,lv" → "缺少或过期的证书：hv, lv"."""
    code, _sep, detail = reason.partition(":")
    label = str(Excluded(code).label) if code in Excluded.values else code
    if detail:
        return gettext("%(label)s：%(detail)s") % {
            "label": label,
            "detail": detail.replace(",", ", "),
        }
    return label


class NotifyTarget(BaseModel):
    """Someone else to tell when the rule fires: "supervisor", "dispatchers",
    "managers", "assignee" or a username, on a channel (None = their preference)."""

    who: str
    channel: str | None = None
    template: str = "routing_notice"


class RuleAction(BaseModel):
    """What a matching rule does: filter the engineers, pick one, tell others."""

    skills: list[str] = Field(default_factory=list)
    # "order" = the order's own region; otherwise a region code.
    region: str | None = None
    team: str | None = None
    on_shift: bool = False
    strategy: Literal["least_loaded", "nearest", "round_robin", "named"] = "least_loaded"
    person: str | None = None
    accept_within_minutes: int | None = Field(default=15, ge=1, le=7 * 24 * 60)
    notify: list[NotifyTarget] = Field(default_factory=list)


class RoutingRule(TimeStampedModel):
    """One ordered rule: when ``condition`` holds for a new order, ``action`` picks
    the engineer. Rules without a type apply to every type."""

    name = models.CharField(_("名称"), max_length=100)
    order_type = models.ForeignKey(
        WorkOrderType,
        verbose_name=_("工单类型"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="routing_rules",
    )
    position = models.PositiveIntegerField(_("顺序"), default=100)
    is_active = models.BooleanField(_("启用"), default=True)
    condition = models.JSONField(_("条件"), default=dict, blank=True)
    action = models.JSONField(_("动作"), default=dict, blank=True)
    # The user id round robin gave the last order to.
    last_assignee_id = models.BigIntegerField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("派单规则")
        verbose_name_plural = _("派单规则")

    def __str__(self) -> str:
        return self.name

    def parsed_action(self) -> RuleAction:
        # Parsed once per instance and action (routing reads it for every order).
        memo = self.__dict__.get("_parsed_action")
        if memo is None or memo[0] is not self.action:
            memo = (self.action, RuleAction.model_validate(self.action or {}))
            self.__dict__["_parsed_action"] = memo
        return memo[1]


class RoutingTicket(models.Model):
    """An order's routing bookkeeping: who declined, and when the current assignee
    must have accepted by (the ticker re-routes after that)."""

    order = RowKeyOneToOneField(
        WorkOrder, on_delete=models.CASCADE, primary_key=True, related_name="routing_ticket"
    )
    rule = models.ForeignKey(
        RoutingRule, null=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    assignee_id = models.BigIntegerField(null=True, blank=True)
    declined_by = models.JSONField(default=list, blank=True)
    accept_due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("派单记录")
        verbose_name_plural = _("派单记录")

    def __str__(self) -> str:
        return str(self.order_id)


class EngineerLoad(models.Model):
    """How many open orders of one priority an engineer holds, kept by the database:
    triggers on the orders table (migration 0003) count every order as it is written —
    created, reassigned, reprioritised, moved in or out of an open state, deleted —
    whatever writes it (the ORM, a bulk ``update()``, the admin, a script's SQL).
    Routing reads an engineer's load in one indexed look-up instead of counting the
    backlog. Nothing in Python writes it.

    On PostgreSQL an engineer's count is spread over up to 16 rows (``shard``, from
    the order's id), so that concurrent creates giving orders to the same engineer do
    not queue on one row until each commits; a row alone may be negative, the sum of
    an engineer's rows of a priority is the count. SQLite keeps one row (shard 0)."""

    user_id = models.BigIntegerField()
    priority = models.CharField(max_length=10)
    shard = models.PositiveSmallIntegerField(default=0)
    open_orders = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user_id", "priority", "shard"], name="engineer_load_key"
            )
        ]
        verbose_name = _("人员负荷")
        verbose_name_plural = _("人员负荷")

    def __str__(self) -> str:
        return f"{self.user_id} {self.priority} {self.shard}: {self.open_orders}"


class EngineerPosition(models.Model):
    """Where an engineer is based and was last seen, for the "nearest" strategy."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="position"
    )
    home_lat = models.FloatField(_("常驻纬度"), null=True, blank=True)
    home_lng = models.FloatField(_("常驻经度"), null=True, blank=True)
    last_lat = models.FloatField(_("最近纬度"), null=True, blank=True)
    last_lng = models.FloatField(_("最近经度"), null=True, blank=True)
    last_seen_at = models.DateTimeField(_("最近定位时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("人员位置")
        verbose_name_plural = _("人员位置")

    def __str__(self) -> str:
        return str(self.user)


class AssetPosition(models.Model):
    """A machine's coordinates, for the "nearest" strategy."""

    asset = models.OneToOneField("assets.Asset", on_delete=models.CASCADE, related_name="position")
    lat = models.FloatField(_("纬度"))
    lng = models.FloatField(_("经度"))

    class Meta:
        verbose_name = _("设备位置")
        verbose_name_plural = _("设备位置")

    def __str__(self) -> str:
        return str(self.asset)
