"""The weekly report's delivery record: one row per ISO week, claimed once."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DispatchStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("失败")


class WeeklyReportDispatch(models.Model):
    """The weekly PDF for one ISO week and whether it has gone out to the managers.

    The unique week is the claim: two tickers racing on Monday 08:00 cannot both
    create the row, so the report is enqueued once.
    """

    week = models.CharField(_("周"), max_length=8, unique=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=DispatchStatus.choices, default=DispatchStatus.QUEUED
    )
    claimed_at = models.DateTimeField(_("认领时间"), default=timezone.now)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    recipients = models.JSONField(_("收件人"), default=list, blank=True)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    last_error = models.TextField(_("最近错误"), blank=True)

    objects = models.Manager["WeeklyReportDispatch"]()

    class Meta:
        ordering = ["-week"]
        verbose_name = _("周报发送")
        verbose_name_plural = _("周报发送")

    def __str__(self) -> str:
        return f"{self.week} {self.status}"
