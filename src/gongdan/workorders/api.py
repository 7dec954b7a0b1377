"""REST endpoints for order types and work orders. Parse, authorize, call a service."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django.db.models import ProtectedError
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Body, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import BaseModel

from gongdan.assets.models import Asset
from gongdan.assets.selectors import asset_named
from gongdan.core.errors import Forbidden, NotFound, ValidationFailed
from gongdan.core.i18n import picker
from gongdan.core.models import User, request_user

from . import permissions, selectors, services
from .blueprints import blueprint_export, blueprint_import, blueprint_parse
from .definitions import type_by_key
from .models import Attachment, Comment, WorkOrder, WorkOrderEvent, WorkOrderType

types_router = Router(tags=["work order types"])
router = Router(tags=["work orders"])


# --- schemas -------------------------------------------------------------------


# Responses are plain pydantic models: ninja's Schema resolves every attribute
# through a Django-aware getter, which cost a quarter of a list request.
class UserRef(BaseModel):
    username: str
    name: str


class WorkOrderIn(Schema):
    type: str
    title: str
    description: str = ""
    priority: str | None = None
    asset: str | None = None
    customer: str = ""
    requester: str | None = None
    on_behalf_of: str | None = None
    data: dict[str, Any] = {}


class WorkOrderPatch(Schema):
    version: int
    title: str | None = None
    description: str | None = None
    priority: str | None = None
    asset: str | None = None
    customer: str | None = None
    data: dict[str, Any] | None = None


class WorkOrderOut(BaseModel):
    number: str
    type: str
    type_name: str
    title: str
    description: str
    priority: str
    state: str
    state_name: str
    state_category: str
    asset: str | None
    asset_name: str | None
    customer: str
    requester: UserRef | None
    assignee: UserRef | None
    created_by: UserRef | None
    entered_by: UserRef | None
    team: str | None
    region: str | None
    data: dict[str, Any]
    version: int
    created_at: datetime.datetime
    updated_at: datetime.datetime
    first_response_at: datetime.datetime | None
    arrived_at: datetime.datetime | None
    resolved_at: datetime.datetime | None
    closed_at: datetime.datetime | None
    response_due_at: datetime.datetime | None
    arrival_due_at: datetime.datetime | None
    resolution_due_at: datetime.datetime | None
    url: str


class WorkOrderPage(BaseModel):
    count: int
    page: int
    page_size: int
    results: list[WorkOrderOut]


class ListQuery(Schema):
    state: str | None = None
    category: str | None = None
    priority: str | None = None
    type: str | None = None
    assignee: str | None = None
    asset: str | None = None
    team: str | None = None
    region: str | None = None
    created_after: datetime.datetime | None = None
    created_before: datetime.datetime | None = None
    q: str | None = None
    sort: str | None = None
    page: int = 1
    page_size: int = 50


class TransitionIn(Schema):
    action: str
    version: int
    comment: str = ""
    data: dict[str, Any] = {}
    on_behalf_of: str | None = None


class AssignIn(Schema):
    assignee: str | None
    version: int
    reason: str = ""


class TransitionOut(BaseModel):
    key: str
    name: str
    to: str
    required_fields: list[str]
    requires_comment: bool


class EventOut(BaseModel):
    id: int
    kind: str
    action: str
    actor: UserRef | None
    on_behalf_of: UserRef | None
    created_at: datetime.datetime
    from_state: str
    to_state: str
    data: dict[str, Any]


class CommentIn(Schema):
    body: str
    on_behalf_of: str | None = None


class CommentOut(BaseModel):
    id: int
    author: UserRef | None
    on_behalf_of: UserRef | None
    body: str
    created_at: datetime.datetime


class AttachmentOut(BaseModel):
    id: int
    name: str
    content_type: str
    size: int
    width: int | None
    height: int | None
    tag: str
    url: str
    thumbnail_url: str | None
    created_at: datetime.datetime


class ErrorOut(BaseModel):
    code: str
    message: str
    errors: dict[str, str]


ERRORS: dict[int, Any] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    413: ErrorOut,
    422: ErrorOut,
}


def _user_ref(user: User | None) -> dict[str, str] | None:
    return {"username": user.username, "name": str(user)} if user else None


def order_out(order: WorkOrder) -> dict[str, Any]:
    """The order as WorkOrderOut's plain data; ninja validates it once on the way out
    (building the schema object here as well doubled the work on every list)."""
    return dict(
        number=order.number,
        type=order.type.key,
        type_name=order.type.name,
        title=order.title,
        description=order.description,
        priority=order.priority,
        state=order.state.key,
        state_name=order.state.name,
        state_category=order.state_category,
        asset=order.asset.code if order.asset else None,
        asset_name=order.asset.name if order.asset else None,
        customer=order.customer,
        requester=_user_ref(order.requester),
        assignee=_user_ref(order.assignee),
        created_by=_user_ref(order.created_by),
        entered_by=_user_ref(order.entered_by),
        team=order.team.code if order.team else None,
        region=order.region.code if order.region else None,
        data=order.data,
        version=order.version,
        created_at=order.created_at,
        updated_at=order.updated_at,
        first_response_at=order.first_response_at,
        arrived_at=order.arrived_at,
        resolved_at=order.resolved_at,
        closed_at=order.closed_at,
        response_due_at=order.response_due_at,
        arrival_due_at=order.arrival_due_at,
        resolution_due_at=order.resolution_due_at,
        url=f"/orders/{order.number}/",
    )


# The list reads plain column values rather than model instances: building the
# nine joined instances of every row (and converting every timestamp of the
# users, asset, team and region on the way) cost more than the query itself on
# a small page. _list_row_out gives exactly what order_out gives.
_OWN_COLUMNS = (
    "number",
    "title",
    "description",
    "priority",
    "state_category",
    "customer",
    "data",
    "version",
    "created_at",
    "updated_at",
    "first_response_at",
    "arrived_at",
    "resolved_at",
    "closed_at",
    "response_due_at",
    "arrival_due_at",
    "resolution_due_at",
)
_PEOPLE = ("requester", "assignee", "created_by", "entered_by")
_PERSON_COLUMNS = {
    who: tuple(f"{who}__{c}" for c in ("username", "display_name", "first_name", "last_name"))
    for who in _PEOPLE
}
_LIST_COLUMNS = (
    *_OWN_COLUMNS,
    "type__key",
    "type__name_zh",
    "type__name_en",
    "state__key",
    "state__name_zh",
    "state__name_en",
    "asset__code",
    "asset__name",
    "team__code",
    "region__code",
    *(column for columns in _PERSON_COLUMNS.values() for column in columns),
)


def _person_ref(row: dict[str, Any], who: str) -> dict[str, str] | None:
    """_user_ref from a list row's columns."""
    username, display_name, first_name, last_name = (row[c] for c in _PERSON_COLUMNS[who])
    if username is None:
        return None
    return {
        "username": username,
        "name": User.name_of(username, display_name, first_name, last_name),
    }


def _list_row_out(row: dict[str, Any], choose: Callable[[str, str], str]) -> dict[str, Any]:
    """``choose``: a ``picker()`` made once for the page."""
    out = {column: row[column] for column in _OWN_COLUMNS}
    out.update(
        type=row["type__key"],
        type_name=choose(row["type__name_zh"], row["type__name_en"]),
        state=row["state__key"],
        state_name=choose(row["state__name_zh"], row["state__name_en"]),
        asset=row["asset__code"],
        asset_name=row["asset__name"],
        team=row["team__code"],
        region=row["region__code"],
        url=f"/orders/{row['number']}/",
    )
    for who in _PEOPLE:
        out[who] = _person_ref(row, who)
    return out


def _fresh(order: WorkOrder) -> WorkOrder:
    return (
        WorkOrder.objects.with_related().select_related("created_by", "entered_by").get(pk=order.pk)
    )


def _order_for(request: HttpRequest, number: str) -> WorkOrder:
    try:
        return selectors.work_order_get(user=request_user(request), number=number)
    except WorkOrder.DoesNotExist:
        raise NotFound(_("找不到工单 %(number)s，或您无权查看。") % {"number": number})


def _user_by_username(username: str | None, field: str) -> User | None:
    if not username:
        return None
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise ValidationFailed(
            _("找不到该人员。"), {field: _("找不到人员 %(u)s。") % {"u": username}}
        )
    return user


def _asset_by_code(code: str | None) -> Asset | None:
    if not code:
        return None
    asset = asset_named(code)
    if asset is None:
        raise ValidationFailed(
            _("找不到该设备。"), {"asset": _("找不到设备 %(c)s。") % {"c": code}}
        )
    return asset


# --- types ---------------------------------------------------------------------


def _type_out(order_type: WorkOrderType) -> dict[str, Any]:
    doc = blueprint_export(order_type)
    doc["display_name"] = order_type.name
    doc["is_active"] = order_type.is_active
    return doc


def _types() -> Any:
    return WorkOrderType.objects.prefetch_related(
        "fields", "states", "transitions__from_states", "transitions__to_state"
    )


@types_router.get("", summary="List order types with fields, states and transitions")
def type_list(request: HttpRequest) -> list[dict[str, Any]]:
    return [_type_out(t) for t in _types().filter(is_active=True)]


@types_router.get("/{key}", response={200: dict[str, Any], **ERRORS}, summary="One order type")
def type_detail(request: HttpRequest, key: str) -> Any:
    order_type = _types().filter(key=key).first()
    if order_type is None:
        raise NotFound(_("找不到工单类型 %(key)s。") % {"key": key})
    return _type_out(order_type)


def _require_type_admin(request: HttpRequest) -> None:
    if not permissions.can_manage_types(request.user):
        raise Forbidden(_("只有管理员可以修改工单类型。"))


@types_router.post(
    "", response={201: dict[str, Any], **ERRORS}, summary="Create an order type (administrators)"
)
def type_create(request: HttpRequest, payload: Body[dict[str, Any]]) -> Any:
    _require_type_admin(request)
    spec = blueprint_parse(payload)
    if WorkOrderType.objects.filter(key=spec.key).exists():
        raise ValidationFailed(
            _("标识已存在。"), {"key": _("标识 %(k)s 已存在。") % {"k": spec.key}}
        )
    return Status(201, _type_out(blueprint_import(payload)))


@types_router.put(
    "/{key}",
    response={200: dict[str, Any], **ERRORS},
    summary="Replace an order type (administrators)",
)
def type_update(request: HttpRequest, key: str, payload: Body[dict[str, Any]]) -> Any:
    _require_type_admin(request)
    if not WorkOrderType.objects.filter(key=key).exists():
        raise NotFound(_("找不到工单类型 %(key)s。") % {"key": key})
    if payload.get("key", key) != key:
        raise ValidationFailed(_("标识不能修改。"), {"key": _("标识不能修改。")})
    return _type_out(blueprint_import({**payload, "key": key}))


@types_router.delete(
    "/{key}", response={204: None, **ERRORS}, summary="Delete an order type (administrators)"
)
def type_delete(request: HttpRequest, key: str) -> Any:
    _require_type_admin(request)
    order_type = WorkOrderType.objects.filter(key=key).first()
    if order_type is None:
        raise NotFound(_("找不到工单类型 %(key)s。") % {"key": key})
    try:
        order_type.delete()
    except ProtectedError:
        from gongdan.core.errors import Conflict

        raise Conflict(_("已有工单使用该类型，不能删除；可以停用。"))
    return Status(204, None)


# --- orders --------------------------------------------------------------------


@router.post("", response={201: WorkOrderOut, 200: WorkOrderOut, **ERRORS}, summary="Open an order")
def order_create(request: HttpRequest, payload: WorkOrderIn) -> Any:
    order_type = type_by_key(payload.type)
    if order_type is None:
        raise ValidationFailed(
            _("未知的工单类型。"), {"type": _("找不到工单类型 %(key)s。") % {"key": payload.type}}
        )
    order, created = services.work_order_create(
        actor=request_user(request),
        order_type=order_type,
        title=payload.title,
        description=payload.description,
        priority=payload.priority,
        asset=_asset_by_code(payload.asset),
        customer=payload.customer,
        data=payload.data,
        requester=_user_by_username(payload.requester, "requester"),
        on_behalf_of=_user_by_username(payload.on_behalf_of, "on_behalf_of"),
        idempotency_key=request.headers.get("Idempotency-Key") or None,
    )
    from gongdan.api import shaped_response  # the API package imports this module

    return shaped_response(request, order_out(order), status=201 if created else 200)


@router.get("", response={200: WorkOrderPage, **ERRORS}, summary="List and filter orders")
def order_list(request: HttpRequest, filters: Query[ListQuery]) -> Any:
    if filters.page < 1:
        raise ValidationFailed(_("页码应大于 0。"), {"page": _("应大于 0。")})
    if not 1 <= filters.page_size <= 200:
        raise ValidationFailed(
            _("每页数量应在 1–200 之间。"), {"page_size": _("应在 1–200 之间。")}
        )
    qs = selectors.work_order_list(
        user=request_user(request),
        filters=selectors.OrderFilter(
            **filters.dict(exclude={"sort", "page", "page_size"}),
        ),
        sort=filters.sort,
    )
    rows = selectors.work_order_page_values(
        qs,
        offset=(filters.page - 1) * filters.page_size,
        limit=filters.page_size,
        fields=_LIST_COLUMNS,
    )
    choose = picker()
    return {
        "count": qs.count(),
        "page": filters.page,
        "page_size": filters.page_size,
        "results": [_list_row_out(row, choose) for row in rows],
    }


@router.get("/{number}", response={200: WorkOrderOut, **ERRORS}, summary="One order")
def order_detail(request: HttpRequest, number: str) -> Any:
    return order_out(_order_for(request, number))


@router.patch("/{number}", response={200: WorkOrderOut, **ERRORS}, summary="Edit an order")
def order_update(request: HttpRequest, number: str, payload: WorkOrderPatch) -> Any:
    order = _order_for(request, number)
    changes: dict[str, Any] = payload.dict(exclude_unset=True, exclude={"version"})
    if "asset" in changes:
        changes["asset"] = _asset_by_code(changes["asset"])
    order = services.work_order_update(
        order=order, actor=request_user(request), version=payload.version, changes=changes
    )
    return order_out(_fresh(order))


@router.get(
    "/{number}/transitions",
    response={200: list[TransitionOut], **ERRORS},
    summary="Actions the caller may fire now",
)
def order_transitions(request: HttpRequest, number: str) -> Any:
    order = _order_for(request, number)
    return [
        TransitionOut(
            key=t.key,
            name=t.name,
            to=t.to_state.key,
            required_fields=t.required_fields,
            requires_comment=t.requires_comment,
        )
        for t in services.available_transitions(order, request_user(request))
    ]


@router.post(
    "/{number}/transitions",
    response={200: WorkOrderOut, **ERRORS},
    summary="Fire a workflow action",
)
def order_transition(request: HttpRequest, number: str, payload: TransitionIn) -> Any:
    order = _order_for(request, number)
    order = services.work_order_transition(
        order=order,
        actor=request_user(request),
        action=payload.action,
        version=payload.version,
        comment=payload.comment,
        data=payload.data,
        on_behalf_of=_user_by_username(payload.on_behalf_of, "on_behalf_of"),
    )
    return order_out(_fresh(order))


@router.post(
    "/{number}/assign", response={200: WorkOrderOut, **ERRORS}, summary="Assign or reassign"
)
def order_assign(request: HttpRequest, number: str, payload: AssignIn) -> Any:
    order = _order_for(request, number)
    order = services.work_order_assign(
        order=order,
        actor=request_user(request),
        assignee=_user_by_username(payload.assignee, "assignee"),
        version=payload.version,
        reason=payload.reason,
    )
    return order_out(_fresh(order))


@router.get("/{number}/events", response={200: list[EventOut], **ERRORS}, summary="Timeline")
def order_events(request: HttpRequest, number: str) -> Any:
    order = _order_for(request, number)
    return [_event_out(e) for e in selectors.work_order_events(order=order)]


def _event_out(event: WorkOrderEvent) -> dict[str, Any]:
    return dict(
        id=event.pk,
        kind=event.kind,
        action=event.action,
        actor=_user_ref(event.actor),
        on_behalf_of=_user_ref(event.on_behalf_of),
        created_at=event.created_at,
        from_state=event.from_state,
        to_state=event.to_state,
        data=event.data,
    )


def _comment_out(comment: Comment) -> dict[str, Any]:
    return dict(
        id=comment.pk,
        author=_user_ref(comment.author),
        on_behalf_of=_user_ref(comment.on_behalf_of),
        body=comment.body,
        created_at=comment.created_at,
    )


@router.get("/{number}/comments", response={200: list[CommentOut], **ERRORS}, summary="Comments")
def order_comments(request: HttpRequest, number: str) -> Any:
    order = _order_for(request, number)
    return [_comment_out(c) for c in order.comments.select_related("author", "on_behalf_of")]


@router.post("/{number}/comments", response={201: CommentOut, **ERRORS}, summary="Add a comment")
def order_comment(request: HttpRequest, number: str, payload: CommentIn) -> Any:
    order = _order_for(request, number)
    comment = services.comment_create(
        order=order,
        actor=request_user(request),
        body=payload.body,
        on_behalf_of=_user_by_username(payload.on_behalf_of, "on_behalf_of"),
    )
    return Status(201, _comment_out(comment))


def attachment_out(attachment: Attachment) -> AttachmentOut:
    return AttachmentOut(
        id=attachment.pk,
        name=attachment.original_name,
        content_type=attachment.content_type,
        size=attachment.size,
        width=attachment.width,
        height=attachment.height,
        tag=attachment.tag,
        url=reverse("workorders:attachment", args=[attachment.pk]),
        thumbnail_url=reverse("workorders:attachment-thumb", args=[attachment.pk])
        if attachment.thumbnail
        else None,
        created_at=attachment.created_at,
    )


@router.get(
    "/{number}/attachments", response={200: list[AttachmentOut], **ERRORS}, summary="Attachments"
)
def order_attachments(request: HttpRequest, number: str) -> Any:
    order = _order_for(request, number)
    return [attachment_out(a) for a in order.attachments.all()]


@router.post(
    "/{number}/attachments",
    response={201: AttachmentOut, **ERRORS},
    summary="Upload a photo (JPEG/PNG/WebP) or PDF",
)
def order_attach(
    request: HttpRequest,
    number: str,
    file: File[UploadedFile],
    tag: Form[str] = "",
) -> Any:
    order = _order_for(request, number)
    attachment = services.attachment_create(
        order=order, actor=request_user(request), upload=file, tag=tag
    )
    return Status(201, attachment_out(attachment))
