"""Every write to an order goes through one of these functions.

Each runs in one transaction, appends the events that describe it and sends
the signals that let routing, SLA and notifications join the same transaction.
"""

from __future__ import annotations

import datetime
import io
from typing import Any

import filetype
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.db.models import ForeignKey
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from gongdan.assets.models import Asset
from gongdan.core.errors import (
    Forbidden,
    PayloadTooLarge,
    StaleVersion,
    TransitionNotAllowed,
    ValidationFailed,
)
from gongdan.core.models import User

from . import permissions, signals
from .definitions import type_definition
from .fields import FieldValueError, is_empty
from .models import (
    OPEN_CATEGORIES,
    PRIORITY_RANK,
    Attachment,
    Comment,
    EventKind,
    IdempotencyKey,
    OrderNumberSequence,
    Priority,
    StateCategory,
    Transition,
    WorkflowState,
    WorkOrder,
    WorkOrderEvent,
    WorkOrderType,
)

# Keys of the order itself; a custom field may not take one of these names.
CORE_FIELDS = frozenset(
    {"type", "title", "description", "priority", "asset", "data", "version", "customer"}
)
IMAGE_TYPES = {"image/jpeg", "image/png", "image/webp"}
FILE_TYPES = IMAGE_TYPES | {"application/pdf"}


# --- events --------------------------------------------------------------------


def event_record(
    *,
    order: WorkOrder,
    kind: str,
    actor: User | None,
    on_behalf_of: User | None = None,
    action: str = "",
    from_state: str = "",
    to_state: str = "",
    data: dict[str, Any] | None = None,
    at: datetime.datetime | None = None,
) -> WorkOrderEvent:
    """Append one event to an order's timeline."""
    return WorkOrderEvent.objects.create(
        order=order,
        kind=kind,
        actor=actor,
        on_behalf_of=on_behalf_of,
        action=action,
        from_state=from_state,
        to_state=to_state,
        data=data or {},
        created_at=at or timezone.now(),
    )


# --- validation ----------------------------------------------------------------


def validate_order_data(
    *,
    order_type: WorkOrderType,
    data: Any,
    state_key: str,
    existing: dict[str, Any] | None = None,
    extra_required: list[str] | tuple[str, ...] = (),
) -> dict[str, Any]:
    """Clean ``data`` against the type's field definitions and return the merged result.

    ``existing`` holds the values already stored (for updates and transitions);
    ``data`` may set or clear some of them. Requiredness is checked on the merged
    values for the state the order will be in. Raises ValidationFailed naming
    every offending field.
    """
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ValidationFailed(_("自定义字段应为对象。"), {"data": _("应为对象。")})
    definitions = type_definition(order_type).fields
    errors: dict[str, str] = {}
    merged = dict(existing or {})
    for key, value in data.items():
        definition = definitions.get(key)
        if definition is None:
            errors[key] = _("类型“%(type)s”没有这个字段。") % {"type": order_type.name}
            continue
        try:
            cleaned = definition.validate(value)
        except FieldValueError as exc:
            errors[key] = _("%(field)s：%(reason)s") % {"field": definition.label, "reason": exc}
            continue
        if cleaned is None:
            merged.pop(key, None)
        else:
            merged[key] = cleaned
    for key, definition in definitions.items():
        if key in errors:
            continue
        required = (
            definition.required
            or state_key in (definition.required_states or [])
            or key in extra_required
        )
        if required and is_empty(merged.get(key)):
            errors[key] = _("%(field)s：此项为必填。") % {"field": definition.label}
    if errors:
        raise ValidationFailed(_("请检查标出的字段。"), errors)
    return merged


def _clean_core(
    *,
    title: Any,
    priority: Any,
    description: Any,
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not isinstance(title, str) or not title.strip():
        errors["title"] = _("标题：此项为必填。")
    elif len(title.strip()) > 200:
        errors["title"] = _("标题：不能超过 200 个字符。")
    if priority not in Priority.values:
        errors["priority"] = _("优先级：应为 red、yellow 或 blue。")
    if not isinstance(description, str):
        errors["description"] = _("描述：应为文本。")
    elif len(description) > 10000:
        errors["description"] = _("描述：不能超过 10000 个字符。")
    return errors


# --- numbers -------------------------------------------------------------------


def _next_number(now: datetime.datetime) -> str:
    """WO-<year>-<6 digits>, from one UPDATE … RETURNING on the year's row; call it
    inside a transaction (the row stays locked until that commits)."""
    year = timezone.localtime(now).year
    table = OrderNumberSequence._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET last = last + 1 WHERE year = %s RETURNING last", [year])
        row = cursor.fetchone()
        if row is None:
            # First order of the year: create the row (a racing create is absorbed by
            # get_or_create's savepoint) and count from it.
            OrderNumberSequence.objects.get_or_create(year=year)
            cursor.execute(
                f"UPDATE {table} SET last = last + 1 WHERE year = %s RETURNING last", [year]
            )
            row = cursor.fetchone()
    return f"WO-{year}-{row[0]:06d}"


# --- create --------------------------------------------------------------------


def _idempotent_order(scope: str, key: str) -> WorkOrder | None:
    hit = IdempotencyKey.objects.filter(scope=scope, key=key).select_related("order").first()
    return hit.order if hit else None


def work_order_create(
    *,
    actor: User,
    order_type: WorkOrderType,
    title: str,
    priority: str | None = None,
    description: str = "",
    asset: Asset | None = None,
    data: dict[str, Any] | None = None,
    customer: str = "",
    requester: User | None = None,
    on_behalf_of: User | None = None,
    idempotency_key: str | None = None,
    idempotency_scope: str | None = None,
    created_at: datetime.datetime | None = None,
) -> tuple[WorkOrder, bool]:
    """Open an order. Returns (order, created); a repeated idempotency key returns the
    order the first request made and ``created`` False."""
    if not permissions.can_create(actor):
        raise Forbidden(_("您的角色不能创建工单。"))
    if on_behalf_of is not None and on_behalf_of != actor:
        if not permissions.can_act_on_behalf(actor):
            raise Forbidden(_("只有文员、调度和管理员可以代他人录入工单。"))
    else:
        on_behalf_of = None
    scope = idempotency_scope or f"user:{actor.pk}"
    if idempotency_key:
        if len(idempotency_key) > 100:
            raise ValidationFailed(
                _("Idempotency-Key 过长。"), {"Idempotency-Key": _("不能超过 100 个字符。")}
            )
        existing = _idempotent_order(scope, idempotency_key)
        if existing is not None:
            return existing, False
    priority = priority or order_type.default_priority
    # Everything that only reads — the type's definition, validation — happens before
    # the write transaction: on SQLite BEGIN IMMEDIATE takes the database's single
    # write lock, and every other writer waits for as long as it is held.
    state, cleaned = _validate_new(
        order_type=order_type, title=title, priority=priority, description=description, data=data
    )
    now = created_at or timezone.now()
    # On PostgreSQL the number comes from its own short transaction, so the year's
    # counter row is locked for one statement rather than the whole create (routing,
    # SLA, outbox) and concurrent creates overlap; a create that fails afterwards
    # leaves a gap, numbers stay unique and increasing. SQLite has one write lock for
    # the whole database anyway, so there the number is taken inside the create.
    number = None
    if connection.vendor != "sqlite":
        with transaction.atomic():
            number = _next_number(now)
    try:
        with transaction.atomic():
            order = _insert(
                number=number or _next_number(now),
                actor=actor,
                order_type=order_type,
                state=state,
                cleaned=cleaned,
                title=title,
                priority=priority,
                description=description,
                asset=asset,
                customer=customer,
                requester=requester,
                on_behalf_of=on_behalf_of,
                now=now,
            )
            if idempotency_key:
                IdempotencyKey.objects.create(scope=scope, key=idempotency_key, order=order)
    except IntegrityError:
        # A concurrent request with the same key won the race; return its order.
        if idempotency_key:
            existing = _idempotent_order(scope, idempotency_key)
            if existing is not None:
                return existing, False
        raise
    # Receivers (routing, SLA) may have assigned it or set deadlines just now.
    _reload_columns(order)
    return order, True


def _reload_columns(order: WorkOrder) -> None:
    """Re-read the row's columns in one plain query, keeping the related objects the
    instance already holds unless their key changed (refresh_from_db would drop them
    all, and a joined re-read cost more than the create's own INSERTs)."""
    fields = WorkOrder._meta.concrete_fields
    row = WorkOrder.objects.filter(pk=order.pk).values(*[f.attname for f in fields]).get()
    for field in fields:
        value = row[field.attname]
        if (
            isinstance(field, ForeignKey)
            and getattr(order, field.attname) != value
            and field.is_cached(order)
        ):
            field.delete_cached_value(order)
        setattr(order, field.attname, value)


def _validate_new(
    *,
    order_type: WorkOrderType,
    title: str,
    priority: str,
    description: str,
    data: dict[str, Any] | None,
) -> tuple[WorkflowState, dict[str, Any]]:
    if not order_type.is_active:
        raise ValidationFailed(_("该工单类型已停用。"), {"type": _("该工单类型已停用。")})
    errors = _clean_core(title=title, priority=priority, description=description)
    state = type_definition(order_type).initial_state
    cleaned: dict[str, Any] = {}
    try:
        cleaned = validate_order_data(order_type=order_type, data=data, state_key=state.key)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if errors:
        raise ValidationFailed(_("请检查标出的字段。"), errors)
    return state, cleaned


def _insert(
    *,
    number: str,
    actor: User,
    order_type: WorkOrderType,
    state: WorkflowState,
    cleaned: dict[str, Any],
    title: str,
    priority: str,
    description: str,
    asset: Asset | None,
    customer: str,
    requester: User | None,
    on_behalf_of: User | None,
    now: datetime.datetime,
) -> WorkOrder:
    origin = on_behalf_of or actor
    if requester is None and origin.role == "requester":
        requester = origin
    order = WorkOrder.objects.create(
        number=number,
        type=order_type,
        title=title.strip(),
        description=description.strip(),
        priority=priority,
        priority_rank=PRIORITY_RANK[Priority(priority)],
        asset=asset,
        customer=customer or (asset.customer if asset else ""),
        requester=requester,
        created_by=origin,
        entered_by=actor if on_behalf_of else None,
        region=asset.region if asset and asset.region_id else origin.region,
        state=state,
        state_category=state.category,
        data=cleaned,
        created_at=now,
        updated_at=now,
    )
    event_record(
        order=order,
        kind=EventKind.CREATED,
        actor=actor,
        on_behalf_of=on_behalf_of,
        to_state=state.key,
        data={
            "after": {
                "title": order.title,
                "priority": order.priority,
                "asset": asset.code if asset else None,
                "data": cleaned,
            }
        },
        at=now,
    )
    signals.work_order_created.send(sender=WorkOrder, order=order, actor=actor, at=now)
    return order


# --- transitions ---------------------------------------------------------------


def _lock(order: WorkOrder) -> WorkOrder:
    # No joins under FOR UPDATE: PostgreSQL re-checks a joined row against the
    # concurrently updated one and would drop the order from the result.
    return WorkOrder.objects.select_for_update().get(pk=order.pk)


def _guarded_save(order: WorkOrder, version: int, **changes: Any) -> None:
    """Write ``changes`` only if nobody changed the order since ``version`` was read."""
    changes.setdefault("updated_at", timezone.now())
    updated = WorkOrder.objects.filter(pk=order.pk, version=version).update(
        version=version + 1, **changes
    )
    if updated != 1:
        raise StaleVersion(_("工单已被他人修改，请刷新后重试。"), {"version": _("版本已过期。")})
    for name, value in changes.items():
        setattr(order, name, value)
    order.version = version + 1


def _check_version(order: WorkOrder, version: Any) -> int:
    if isinstance(version, bool) or not isinstance(version, int):
        raise ValidationFailed(_("缺少版本号。"), {"version": _("应为整数。")})
    if version != order.version:
        raise StaleVersion(
            _("工单已被他人修改（当前版本 %(current)d，您提交的是 %(sent)d），请刷新后重试。")
            % {"current": order.version, "sent": version},
            {"version": _("版本已过期。")},
        )
    return version


def available_transitions(order: WorkOrder, user: User) -> list[Transition]:
    """The transitions ``user`` may fire on ``order`` now."""
    return [
        t
        for t in order.type.transitions.filter(from_states=order.state).select_related("to_state")
        if permissions.transition_refusal(user, order, t) is None
    ]


def _milestones(
    order: WorkOrder, transition: Transition, target: WorkflowState, actor: User, now: Any
) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    responder = order.assignee_id == actor.pk or transition.assign_to_actor
    if order.first_response_at is None and responder:
        changes["first_response_at"] = now
    if transition.key == "arrive" and order.arrived_at is None:
        changes["arrived_at"] = now
    if target.category == StateCategory.RESOLVED:
        changes["resolved_at"] = now
    elif target.category == StateCategory.CLOSED:
        changes["closed_at"] = now
        if order.resolved_at is None:
            changes["resolved_at"] = now
    elif target.category in OPEN_CATEGORIES and order.resolved_at is not None:
        # Reopened: the earlier resolution no longer stands.
        changes["resolved_at"] = None
        changes["closed_at"] = None
    return changes


@transaction.atomic
def work_order_transition(
    *,
    order: WorkOrder,
    actor: User,
    action: str,
    version: Any,
    comment: str = "",
    data: dict[str, Any] | None = None,
    on_behalf_of: User | None = None,
    at: datetime.datetime | None = None,
) -> WorkOrder:
    """Fire the workflow action ``action``: check, write, append the event, signal."""
    order = _lock(order)
    # A stale view is reported before anything else: the caller must reload, and
    # what they may do may have changed (another engineer just took the order).
    version = _check_version(order, version)
    transition = (
        order.type.transitions.filter(key=action).select_related("to_state").first()
        if isinstance(action, str)
        else None
    )
    if transition is None:
        raise TransitionNotAllowed(
            _("类型“%(type)s”没有动作“%(action)s”。") % {"type": order.type.name, "action": action},
            {"action": _("未知的动作。")},
        )
    if not transition.from_states.filter(pk=order.state_id).exists():
        raise TransitionNotAllowed(
            _("工单当前状态为“%(state)s”，不能执行“%(action)s”。")
            % {"state": order.state.name, "action": transition.name},
            {"action": _("当前状态不允许此动作。")},
        )
    if on_behalf_of is not None and on_behalf_of != actor:
        if not permissions.can_act_on_behalf(actor):
            raise Forbidden(_("只有文员、调度和管理员可以代他人操作。"))
        subject = on_behalf_of
    else:
        on_behalf_of = None
        subject = actor
    refusal = permissions.transition_refusal(subject, order, transition)
    if refusal:
        raise Forbidden(refusal)
    if not isinstance(comment, str):
        raise ValidationFailed(_("说明应为文本。"), {"comment": _("应为文本。")})
    comment = comment.strip()
    if transition.requires_comment and not comment:
        raise ValidationFailed(
            _("“%(action)s”需要填写说明。") % {"action": transition.name},
            {"comment": _("此项为必填。")},
        )
    target = transition.to_state
    cleaned = validate_order_data(
        order_type=order.type,
        data=data,
        state_key=target.key,
        existing=order.data,
        extra_required=transition.required_fields,
    )
    now = at or timezone.now()
    from_state = order.state
    changes: dict[str, Any] = {
        "state": target,
        "state_category": target.category,
        "data": cleaned,
        "updated_at": now,
    }
    if transition.assign_to_actor and order.assignee_id != subject.pk:
        changes["assignee"] = subject
    elif transition.clears_assignee:
        changes["assignee"] = None
    changes.update(_milestones(order, transition, target, subject, now))
    before_data = order.data
    _guarded_save(order, version, **changes)
    event_record(
        order=order,
        kind=EventKind.TRANSITION,
        actor=actor,
        on_behalf_of=on_behalf_of,
        action=transition.key,
        from_state=from_state.key,
        to_state=target.key,
        data=_diff(before_data, cleaned) | ({"comment": comment} if comment else {}),
        at=now,
    )
    if comment:
        Comment.objects.create(
            order=order, author=actor, on_behalf_of=on_behalf_of, body=comment, created_at=now
        )
    signals.work_order_transitioned.send(
        sender=WorkOrder,
        order=order,
        actor=actor,
        transition=transition,
        from_state=from_state,
        at=now,
    )
    return order


def _diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    keys = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    if not keys:
        return {}
    return {
        "before": {k: before.get(k) for k in sorted(keys)},
        "after": {k: after.get(k) for k in sorted(keys)},
    }


# --- assignment and edits ------------------------------------------------------


@transaction.atomic
def work_order_assign(
    *,
    order: WorkOrder,
    actor: User | None,
    assignee: User | None,
    version: Any | None = None,
    reason: str = "",
    details: dict[str, Any] | None = None,
    at: datetime.datetime | None = None,
) -> WorkOrder:
    """Give the order to ``assignee`` (None puts it back in the queue).

    ``actor`` None means the system (routing, escalation). A new order moves to
    the type's first *assigned* state, so the board shows it has an owner.
    """
    order = _lock(order)
    if actor is not None and not permissions.can_assign(actor):
        raise Forbidden(_("只有调度和管理员可以派单。"))
    if version is not None:
        _check_version(order, version)
    if assignee is not None and (not assignee.is_active or assignee.role != "engineer"):
        raise ValidationFailed(
            _("只能派给在职的工程师。"), {"assignee": _("只能派给在职的工程师。")}
        )
    previous = order.assignee
    if previous == assignee:
        return order
    changes: dict[str, Any] = {"assignee": assignee}
    from_state = order.state
    if assignee is not None and order.state_category == StateCategory.NEW:
        target = order.type.states.filter(category=StateCategory.ASSIGNED).first()
        if target is not None:
            changes["state"] = target
            changes["state_category"] = target.category
    if assignee is not None and assignee.team_id:
        changes["team_id"] = assignee.team_id
    _guarded_save(order, order.version, updated_at=at or timezone.now(), **changes)
    event_record(
        order=order,
        kind=EventKind.ASSIGNED,
        actor=actor,
        action="assign",
        from_state=from_state.key,
        to_state=order.state.key if "state" in changes else "",
        data={
            "before": {"assignee": previous.username if previous else None},
            "after": {"assignee": assignee.username if assignee else None},
            **({"comment": reason} if reason else {}),
            **(details or {}),
        },
        at=at,
    )
    signals.work_order_assigned.send(
        sender=WorkOrder,
        order=order,
        actor=actor,
        previous_assignee=previous,
        at=order.updated_at,
    )
    return order


@transaction.atomic
def work_order_update(
    *,
    order: WorkOrder,
    actor: User,
    version: Any,
    changes: dict[str, Any],
    on_behalf_of: User | None = None,
) -> WorkOrder:
    """Edit an order's title, description, priority, asset, customer or custom fields."""
    order = _lock(order)
    if not permissions.can_edit(actor, order):
        raise Forbidden(_("您不能修改这张工单。"))
    version = _check_version(order, version)
    title = changes.get("title", order.title)
    priority = changes.get("priority", order.priority)
    description = changes.get("description", order.description)
    errors = _clean_core(title=title, priority=priority, description=description)
    cleaned = order.data
    try:
        if "data" in changes:
            cleaned = validate_order_data(
                order_type=order.type,
                data=changes["data"],
                state_key=order.state.key,
                existing=order.data,
            )
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if errors:
        raise ValidationFailed(_("请检查标出的字段。"), errors)
    new: dict[str, Any] = {
        "title": title.strip(),
        "description": description.strip(),
        "priority": priority,
        "priority_rank": PRIORITY_RANK[Priority(priority)],
        "data": cleaned,
    }
    if "asset" in changes:
        new["asset"] = changes["asset"]
    if "customer" in changes:
        new["customer"] = str(changes["customer"] or "")[:200]
    before = _snapshot(order)
    _guarded_save(order, version, **new)
    after = _snapshot(order)
    diff = _diff(before, after)
    signals.work_order_updated.send(
        sender=WorkOrder, order=order, actor=actor, before=before, after=after, at=order.updated_at
    )
    event_record(
        order=order,
        kind=EventKind.UPDATED,
        actor=actor,
        on_behalf_of=on_behalf_of,
        action="update",
        data=diff,
    )
    return order


def _snapshot(order: WorkOrder) -> dict[str, Any]:
    return {
        "title": order.title,
        "description": order.description,
        "priority": order.priority,
        "asset": order.asset.code if order.asset else None,
        "customer": order.customer,
        **{f"data.{k}": v for k, v in order.data.items()},
    }


# --- comments and attachments --------------------------------------------------


@transaction.atomic
def comment_create(
    *,
    order: WorkOrder,
    actor: User,
    body: Any,
    on_behalf_of: User | None = None,
    at: datetime.datetime | None = None,
) -> Comment:
    """Add a comment; the assignee's first comment counts as the first response."""
    if not isinstance(body, str) or not body.strip():
        raise ValidationFailed(_("评论不能为空。"), {"body": _("此项为必填。")})
    if len(body) > 5000:
        raise ValidationFailed(_("评论过长。"), {"body": _("不能超过 5000 个字符。")})
    if on_behalf_of is not None and on_behalf_of != actor:
        if not permissions.can_act_on_behalf(actor):
            raise Forbidden(_("只有文员、调度和管理员可以代他人操作。"))
    else:
        on_behalf_of = None
    now = at or timezone.now()
    comment = Comment.objects.create(
        order=order, author=actor, on_behalf_of=on_behalf_of, body=body.strip(), created_at=now
    )
    author = on_behalf_of or actor
    if order.first_response_at is None and order.assignee_id == author.pk:
        WorkOrder.objects.filter(pk=order.pk, first_response_at__isnull=True).update(
            first_response_at=now
        )
        order.first_response_at = now
    event_record(
        order=order,
        kind=EventKind.COMMENT,
        actor=actor,
        on_behalf_of=on_behalf_of,
        data={"comment_id": comment.pk, "comment": comment.body[:500]},
        at=now,
    )
    return comment


def _sniff(head: bytes) -> str | None:
    kind = filetype.guess(head)
    return kind.mime if kind else None


@transaction.atomic
def attachment_create(
    *,
    order: WorkOrder,
    actor: User,
    upload: UploadedFile,
    tag: str = "",
) -> Attachment:
    """Store a photo or PDF; the type comes from the bytes, never from the file name."""
    if upload.size is None or upload.size > settings.MAX_UPLOAD_BYTES:
        raise PayloadTooLarge(
            _("文件过大（上限 %(mb).1f MB）。") % {"mb": settings.MAX_UPLOAD_BYTES / 1048576},
            {"file": _("文件过大。")},
        )
    if upload.size == 0:
        raise ValidationFailed(_("文件为空。"), {"file": _("文件为空。")})
    content = upload.read()
    mime = _sniff(content[:8192])
    if mime not in FILE_TYPES:
        raise ValidationFailed(
            _("只接受 JPEG、PNG、WebP 照片或 PDF 文件。"), {"file": _("不支持的文件类型。")}
        )
    if not isinstance(tag, str) or len(tag) > 30:
        raise ValidationFailed(_("标签无效。"), {"tag": _("不能超过 30 个字符。")})
    width = height = None
    thumb_bytes = b""
    if mime in IMAGE_TYPES:
        try:
            with Image.open(io.BytesIO(content)) as probe:
                probe.verify()
            with Image.open(io.BytesIO(content)) as original:
                image = ImageOps.exif_transpose(original)
                width, height = image.size
                image.thumbnail(settings.THUMBNAIL_SIZE)
                buffer = io.BytesIO()
                image.convert("RGB").save(buffer, "JPEG", quality=80)
                thumb_bytes = buffer.getvalue()
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            raise ValidationFailed(_("图片已损坏，无法读取。"), {"file": _("图片已损坏。")})
    extension = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}.get(mime, "pdf")
    stamp = timezone.now()
    base = f"{stamp:%Y%m%d%H%M%S%f}"
    attachment = Attachment(
        order=order,
        uploaded_by=actor,
        original_name=(upload.name or "")[:200],
        content_type=mime,
        size=len(content),
        width=width,
        height=height,
        tag=tag.strip(),
        created_at=stamp,
    )
    attachment.file.save(f"{base}.{extension}", ContentFile(content), save=False)
    if thumb_bytes:
        attachment.thumbnail.save(f"{base}_thumb.jpg", ContentFile(thumb_bytes), save=False)
    attachment.save()
    event_record(
        order=order,
        kind=EventKind.ATTACHMENT,
        actor=actor,
        data={
            "attachment_id": attachment.pk,
            "name": attachment.original_name,
            "content_type": mime,
            "tag": attachment.tag,
        },
        at=stamp,
    )
    return attachment
