"""Writes made from the office screens: saved views, language, the type designer,
and the order actions that bring uploads along."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Count, F
from django.utils.translation import gettext as _

from gongdan.core.errors import Forbidden, ValidationFailed
from gongdan.core.models import User
from gongdan.workorders import permissions
from gongdan.workorders import services as wo
from gongdan.workorders.blueprints import blueprint_import, blueprint_parse
from gongdan.workorders.models import (
    EventKind,
    WorkflowState,
    WorkOrder,
    WorkOrderType,
)

from .models import SavedView, ViewKind

# --- saved views ---------------------------------------------------------------


@transaction.atomic
def saved_view_create(*, user: User, name: str, kind: str, query: str) -> SavedView:
    """Remember the current filters under a name; saving a name again replaces it."""
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(_("请为视图起个名字。"), {"name": _("此项为必填。")})
    if len(name) > 60:
        raise ValidationFailed(_("名称过长。"), {"name": _("不能超过 60 个字符。")})
    if kind not in ViewKind.values:
        raise ValidationFailed(_("未知的视图类型。"), {"kind": _("未知的视图类型。")})
    # Paging is where you were, not what you wanted to see again.
    query = "&".join(p for p in query.lstrip("?").split("&") if p and not p.startswith("page="))
    view, _created = SavedView.objects.update_or_create(
        user=user, kind=kind, name=name, defaults={"query": query[:1000]}
    )
    return view


@transaction.atomic
def saved_view_delete(*, user: User, view_id: int) -> None:
    """Forget one of the user's own saved views (someone else's is left alone)."""
    SavedView.objects.filter(user=user, pk=view_id).delete()


def user_language_set(*, user: User, language: str) -> None:
    """Keep the user's language so the next sign-in, and messages sent to them, use it."""
    User.objects.filter(pk=user.pk).update(language=language[:10])
    user.language = language[:10]


# --- order actions with uploads --------------------------------------------------


def _store_uploads(
    *, order: WorkOrder, actor: User, uploads: Mapping[str, list[UploadedFile]]
) -> dict[str, list[int]]:
    stored: dict[str, list[int]] = {}
    for key, files in uploads.items():
        ids = list(order.data.get(key) or [])
        for upload in files:
            ids.append(wo.attachment_create(order=order, actor=actor, upload=upload, tag=key).pk)
        stored[key] = ids
    return stored


@transaction.atomic
def work_order_create_from_form(
    *,
    actor: User,
    order_type: WorkOrderType,
    fields: dict[str, Any],
    data: dict[str, Any],
    uploads: Mapping[str, list[UploadedFile]],
    idempotency_key: str | None = None,
) -> tuple[WorkOrder, bool]:
    """Create an order as the form submitted it; photos given on the form are stored
    on the new order and filled into their fields, all or nothing."""
    order, created = wo.work_order_create(
        actor=actor,
        order_type=order_type,
        data=data,
        idempotency_key=idempotency_key,
        **fields,
    )
    if created and uploads:
        stored = _store_uploads(order=order, actor=actor, uploads=uploads)
        order = wo.work_order_update(
            order=order, actor=actor, version=order.version, changes={"data": stored}
        )
    return order, created


@transaction.atomic
def work_order_edit_from_form(
    *,
    order: WorkOrder,
    actor: User,
    version: Any,
    changes: dict[str, Any],
    uploads: Mapping[str, list[UploadedFile]],
) -> WorkOrder:
    """Save the edit form; new photos are added to their fields in the same step."""
    if uploads:
        if not permissions.can_edit(actor, order):
            raise Forbidden(_("您不能修改这张工单。"))
        stored = _store_uploads(order=order, actor=actor, uploads=uploads)
        changes = {**changes, "data": {**changes.get("data", {}), **stored}}
    return wo.work_order_update(order=order, actor=actor, version=version, changes=changes)


@transaction.atomic
def work_order_transition_from_form(
    *,
    order: WorkOrder,
    actor: User,
    action: str,
    version: Any,
    comment: str,
    data: dict[str, Any],
    uploads: Mapping[str, list[UploadedFile]],
) -> WorkOrder:
    """Fire a transition with the fields its form asked for, photos included (a
    photo on *arrive*): if the transition is refused, the photos are not kept."""
    if uploads:
        data = {**data, **_store_uploads(order=order, actor=actor, uploads=uploads)}
    return wo.work_order_transition(
        order=order, actor=actor, action=action, version=version, comment=comment, data=data
    )


# --- the type designer -----------------------------------------------------------


def _states_holding_orders(order_type: WorkOrderType, keep: set[str]) -> dict[str, int]:
    rows = (
        WorkflowState.objects.filter(order_type=order_type)
        .exclude(key__in=keep)
        .annotate(n=Count("orders"))
        .filter(n__gt=0)
    )
    return {s.key: s.n for s in rows}


@transaction.atomic
def order_type_save(
    *,
    actor: User,
    document: str | dict[str, Any],
    renames: Mapping[str, str] | None = None,
) -> WorkOrderType:
    """Create or replace an order type from the designer's document.

    ``renames`` maps old field keys to new ones: the values stored under the old
    key in every order of the type move to the new key, in this transaction, and
    each order that had one records it on its timeline. Removing a state that
    orders are in is refused with an explanation naming the state and the count.
    """
    if not permissions.can_manage_types(actor):
        raise Forbidden(_("只有管理员可以设计工单类型。"))
    try:
        spec = blueprint_parse(document)
    except ValidationFailed as exc:
        raise ValidationFailed(_("类型定义有错误，未做任何修改。"), exc.errors)
    existing = WorkOrderType.objects.filter(key=spec.key).first()
    if existing is not None:
        held = _states_holding_orders(existing, {s.key for s in spec.states})
        if held:
            names = dict(existing.states.values_list("key", "name_zh"))
            raise ValidationFailed(
                _("有工单仍处于要删除的状态，不能删除。请先把这些工单转到其他状态。"),
                {
                    f"states.{key}": _("“%(state)s”中还有 %(n)d 张工单。")
                    % {"state": names.get(key, key), "n": n}
                    for key, n in held.items()
                },
            )
    try:
        order_type = blueprint_import(document)
    except ValidationFailed as exc:
        raise ValidationFailed(_("类型定义有错误，未做任何修改。"), exc.errors)
    moves = {old: new for old, new in (renames or {}).items() if old and new and old != new}
    if moves and existing is not None:
        _move_field_values(order_type=order_type, actor=actor, moves=moves)
    return order_type


def _move_field_values(*, order_type: WorkOrderType, actor: User, moves: dict[str, str]) -> None:
    orders = WorkOrder.objects.select_for_update().filter(type=order_type).only("id", "data")
    for order in orders:
        data = dict(order.data or {})
        moved = {old: new for old, new in moves.items() if old in data}
        if not moved:
            continue
        # Pop every old key before writing any new one, so swapped names (a↔b) work.
        values = {new: data.pop(old) for old, new in moved.items()}
        data.update(values)
        # The version moves on: a form opened before the rename must be reloaded.
        WorkOrder.objects.filter(pk=order.pk).update(data=data, version=F("version") + 1)
        wo.event_record(
            order=order,
            kind=EventKind.UPDATED,
            actor=actor,
            action="field_renamed",
            data={"renames": moved},
        )
