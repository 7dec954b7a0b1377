"""What the engineer's phone records beside the order: travel, check-in, proof of presence."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongdan.workorders.models import WorkOrder, WorkOrderType


class TravelKind(models.TextChoices):
    DEPART = "depart", _("出发")
    ARRIVE = "arrive", _("到场")


class TravelRecord(models.Model):
    """A position the engineer's phone reported on departing or arriving, with the
    distance to the machine and, on departure, the estimated arrival."""

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="travel_records")
    engineer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(_("类型"), max_length=10, choices=TravelKind.choices)
    # Empty when the phone would not give a position (permission refused, no fix indoors).
    latitude = models.FloatField(_("纬度"), null=True, blank=True)
    longitude = models.FloatField(_("经度"), null=True, blank=True)
    accuracy_m = models.FloatField(_("精度（米）"), null=True, blank=True)
    distance_m = models.PositiveIntegerField(_("距设备（米）"), null=True, blank=True)
    eta_at = models.DateTimeField(_("预计到达"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["order", "kind", "created_at"], name="travel_order_idx")]
        verbose_name = _("行程记录")
        verbose_name_plural = _("行程记录")

    def __str__(self) -> str:
        return f"{self.order_id} {self.kind} {self.created_at:%Y-%m-%d %H:%M}"


class PresenceMethod(models.TextChoices):
    SCAN = "scan", _("扫码")
    TYPED = "typed", _("输入编号")


class PresenceCheck(models.Model):
    """Proof that the engineer stood at the machine: its code scanned or typed on site."""

    order = models.OneToOneField(WorkOrder, on_delete=models.CASCADE, related_name="presence")
    engineer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    method = models.CharField(_("方式"), max_length=10, choices=PresenceMethod.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("到场验证")
        verbose_name_plural = _("到场验证")

    def __str__(self) -> str:
        return f"{self.order_id} {self.method}"


class ArrivalRule(models.Model):
    """Per order type: must the engineer scan or type the machine's code on arrival?

    Without a rule, orders on a machine require it: that is the point of the label.
    """

    order_type = models.OneToOneField(
        WorkOrderType, on_delete=models.CASCADE, related_name="arrival_rule"
    )
    require_asset_code = models.BooleanField(_("到场须扫码验证设备"), default=True)

    class Meta:
        verbose_name = _("到场规则")
        verbose_name_plural = _("到场规则")

    def __str__(self) -> str:
        return str(self.order_type)
