"""The equipment registry: site → area (workshop) → line → equipment, and its documents.

A site is one of our plants or, for after-sales service, a customer's site; a
machine may hang at any level (a compressor belongs to a site, not a line).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongdan.core.models import Region, TimeStampedModel


def _coordinate(label: Any) -> models.DecimalField:
    # Seven decimals is about a centimetre: more than a phone's GPS can tell.
    return models.DecimalField(label, max_digits=10, decimal_places=7, null=True, blank=True)


class Site(TimeStampedModel):
    """A plant of ours or a customer's site, with coordinates for travel estimates."""

    code = models.SlugField(_("站点代码"), max_length=40, unique=True, allow_unicode=True)
    name = models.CharField(_("名称"), max_length=200)
    customer = models.CharField(_("客户"), max_length=200, blank=True)
    address = models.CharField(_("地址"), max_length=300, blank=True)
    latitude = _coordinate(_("纬度"))
    longitude = _coordinate(_("经度"))
    region = models.ForeignKey(
        Region, verbose_name=_("区域"), null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("站点")
        verbose_name_plural = _("站点")

    def __str__(self) -> str:
        return self.name


class Area(TimeStampedModel):
    """A workshop or area of a site (一车间, 注塑车间)."""

    site = models.ForeignKey(
        Site, verbose_name=_("站点"), on_delete=models.CASCADE, related_name="areas"
    )
    name = models.CharField(_("名称"), max_length=100)

    class Meta:
        ordering = ["site", "name"]
        constraints = [
            models.UniqueConstraint(fields=["site", "name"], name="unique_area_name"),
        ]
        verbose_name = _("车间/区域")
        verbose_name_plural = _("车间/区域")

    def __str__(self) -> str:
        return f"{self.site} / {self.name}"


class Line(TimeStampedModel):
    """A production line inside an area (A 线)."""

    area = models.ForeignKey(
        Area, verbose_name=_("车间"), on_delete=models.CASCADE, related_name="lines"
    )
    name = models.CharField(_("名称"), max_length=100)

    class Meta:
        ordering = ["area", "name"]
        constraints = [
            models.UniqueConstraint(fields=["area", "name"], name="unique_line_name"),
        ]
        verbose_name = _("产线")
        verbose_name_plural = _("产线")

    def __str__(self) -> str:
        return f"{self.area} / {self.name}"


class Asset(TimeStampedModel):
    """A machine or installation, identified by the code printed on its QR label."""

    code = models.CharField(_("设备编号"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=200)
    # Free text kept for machines outside the hierarchy and for older data;
    # ``place`` prefers the hierarchy when there is one.
    location = models.CharField(_("位置"), max_length=200, blank=True)
    region = models.ForeignKey(
        Region, verbose_name=_("区域"), null=True, blank=True, on_delete=models.SET_NULL
    )
    customer = models.CharField(_("客户"), max_length=200, blank=True)
    is_active = models.BooleanField(_("在用"), default=True)
    site = models.ForeignKey(
        Site,
        verbose_name=_("站点"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assets",
    )
    area = models.ForeignKey(
        Area,
        verbose_name=_("车间/区域"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assets",
    )
    line = models.ForeignKey(
        Line,
        verbose_name=_("产线"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assets",
    )
    model = models.CharField(_("型号"), max_length=100, blank=True)
    serial_number = models.CharField(_("序列号"), max_length=100, blank=True)
    manufacturer = models.CharField(_("制造商"), max_length=100, blank=True)
    installed_on = models.DateField(_("安装日期"), null=True, blank=True)
    warranty_until = models.DateField(_("保修到期"), null=True, blank=True)
    latitude = _coordinate(_("纬度"))
    longitude = _coordinate(_("经度"))
    notes = models.TextField(_("备注"), blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("设备")
        verbose_name_plural = _("设备")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def place(self) -> str:
        """Where to find it, as people on the floor say it."""
        parts = [str(p.name) for p in (self.site, self.area, self.line) if p is not None]
        if self.location and self.location not in parts:
            parts.append(self.location)
        return " · ".join(parts)

    @property
    def coordinates(self) -> tuple[float, float] | None:
        """The machine's own position, else its site's; None when neither is known."""
        for holder in (self, self.site):
            if holder is not None and holder.latitude is not None and holder.longitude is not None:
                return float(holder.latitude), float(holder.longitude)
        return None

    @property
    def under_warranty(self) -> bool:
        return self.warranty_until is not None and self.warranty_until >= timezone.localdate()

    @property
    def public_url(self) -> str:
        """What its QR label encodes: the public scan page on the configured base URL."""
        return f"{settings.PUBLIC_BASE_URL}/q/{self.code}"


def document_path(instance: AssetDocument, filename: str) -> str:
    return f"assets/{instance.asset_id}/{filename}"


class AssetDocument(TimeStampedModel):
    """A manual, drawing or certificate kept with a machine."""

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(_("标题"), max_length=200)
    file = models.FileField(_("文件"), upload_to=document_path, max_length=300)

    class Meta:
        ordering = ["title"]
        verbose_name = _("设备资料")
        verbose_name_plural = _("设备资料")

    def __str__(self) -> str:
        return self.title
