"""Equipment that orders are raised against."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from gongdan.core.models import Region, TimeStampedModel


class Asset(TimeStampedModel):
    """A machine or installation, identified by the code printed on its QR label."""

    code = models.CharField(_("设备编号"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=200)
    location = models.CharField(_("位置"), max_length=200, blank=True)
    region = models.ForeignKey(
        Region, verbose_name=_("区域"), null=True, blank=True, on_delete=models.SET_NULL
    )
    customer = models.CharField(_("客户"), max_length=200, blank=True)
    is_active = models.BooleanField(_("在用"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("设备")
        verbose_name_plural = _("设备")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"
