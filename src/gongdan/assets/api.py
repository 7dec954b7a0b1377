"""The equipment registry over REST: list and look up machines, register and change them."""

from __future__ import annotations

import datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status

from gongdan.core.errors import Forbidden, NotFound, ValidationFailed
from gongdan.core.models import User, request_user
from gongdan.workorders.api import ERRORS

from . import permissions, selectors, services
from .models import Asset

router = Router(tags=["assets"])


class AssetOut(Schema):
    code: str
    name: str
    site: str | None
    site_name: str | None
    area: str | None
    line: str | None
    place: str
    location: str
    region: str | None
    customer: str
    model: str
    serial_number: str
    manufacturer: str
    installed_on: datetime.date | None
    warranty_until: datetime.date | None
    under_warranty: bool
    latitude: float | None
    longitude: float | None
    notes: str
    is_active: bool
    public_url: str
    updated_at: datetime.datetime


class AssetPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[AssetOut]


class AssetQuery(Schema):
    site: str = ""
    region: str = ""
    customer: str = ""
    q: str = ""
    page: int = 1
    page_size: int = 50


class AssetIn(Schema):
    code: str
    name: str
    site: str | None = None
    area: str | None = None
    line: str | None = None
    location: str = ""
    region: str | None = None
    customer: str = ""
    model: str = ""
    serial_number: str = ""
    manufacturer: str = ""
    installed_on: datetime.date | None = None
    warranty_until: datetime.date | None = None
    latitude: float | None = None
    longitude: float | None = None
    notes: str = ""
    is_active: bool = True


class AssetPatch(Schema):
    """Only the fields sent are changed."""

    code: str | None = None
    name: str | None = None
    site: str | None = None
    area: str | None = None
    line: str | None = None
    location: str | None = None
    region: str | None = None
    customer: str | None = None
    model: str | None = None
    serial_number: str | None = None
    manufacturer: str | None = None
    installed_on: datetime.date | None = None
    warranty_until: datetime.date | None = None
    latitude: float | None = None
    longitude: float | None = None
    notes: str | None = None
    is_active: bool | None = None


def asset_out(asset: Asset) -> AssetOut:
    return AssetOut(
        code=asset.code,
        name=asset.name,
        site=asset.site.code if asset.site else None,
        site_name=asset.site.name if asset.site else None,
        area=asset.area.name if asset.area else None,
        line=asset.line.name if asset.line else None,
        place=asset.place,
        location=asset.location,
        region=asset.region.code if asset.region else None,
        customer=asset.customer,
        model=asset.model,
        serial_number=asset.serial_number,
        manufacturer=asset.manufacturer,
        installed_on=asset.installed_on,
        warranty_until=asset.warranty_until,
        under_warranty=asset.under_warranty,
        latitude=float(asset.latitude) if asset.latitude is not None else None,
        longitude=float(asset.longitude) if asset.longitude is not None else None,
        notes=asset.notes,
        is_active=asset.is_active,
        public_url=asset.public_url,
        updated_at=asset.updated_at,
    )


def _viewer(request: HttpRequest) -> User:
    user = request_user(request)
    if not permissions.can_view_assets(user):
        raise Forbidden(_("您没有查看设备台账的权限。"))
    return user


def _asset(code: str) -> Asset:
    asset = selectors.asset_by_code(code)
    if asset is None:
        raise NotFound(_("找不到该设备。"))
    return asset


@router.get("", response={200: AssetPage, **ERRORS}, summary="List and filter machines")
def asset_list(request: HttpRequest, query: Query[AssetQuery]) -> Any:
    _viewer(request)
    if query.page < 1:
        raise ValidationFailed(_("页码应大于 0。"), {"page": _("应大于 0。")})
    if not 1 <= query.page_size <= 200:
        raise ValidationFailed(
            _("每页数量应在 1–200 之间。"), {"page_size": _("应在 1–200 之间。")}
        )
    qs = selectors.asset_list(
        q=query.q, site=query.site, region=query.region, customer=query.customer
    )
    start = (query.page - 1) * query.page_size
    return AssetPage(
        count=qs.count(),
        page=query.page,
        page_size=query.page_size,
        results=[asset_out(a) for a in qs[start : start + query.page_size]],
    )


@router.post("", response={201: AssetOut, **ERRORS}, summary="Register a machine")
def asset_create(request: HttpRequest, payload: AssetIn) -> Any:
    asset = services.asset_create(
        actor=request_user(request), data=payload.dict(exclude_unset=True)
    )
    return Status(201, asset_out(_asset(asset.code)))


@router.get("/{code}", response={200: AssetOut, **ERRORS}, summary="One machine, by its code")
def asset_detail(request: HttpRequest, code: str) -> Any:
    _viewer(request)
    return asset_out(_asset(code))


@router.patch("/{code}", response={200: AssetOut, **ERRORS}, summary="Change a machine")
def asset_update(request: HttpRequest, code: str, payload: AssetPatch) -> Any:
    user = request_user(request)
    if not permissions.can_manage_assets(user):
        # Checked before the lookup, so the answer does not reveal which codes exist.
        raise Forbidden(_("只有管理员、调度和文员可以修改设备。"))
    asset = services.asset_update(
        actor=user, asset=_asset(code), data=payload.dict(exclude_unset=True)
    )
    return asset_out(_asset(asset.code))
