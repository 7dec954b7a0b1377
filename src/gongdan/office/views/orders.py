"""The order page, its actions, the printable view and the create/edit forms."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gongdan.core.errors import ServiceError, ValidationFailed
from gongdan.core.i18n import pick
from gongdan.core.models import User, request_user
from gongdan.workorders import permissions
from gongdan.workorders import services as wo
from gongdan.workorders.fields import is_empty
from gongdan.workorders.models import (
    Attachment,
    FieldDefinition,
    FieldType,
    Transition,
    WorkOrder,
    WorkOrderType,
)
from gongdan.workorders.selectors import work_order_events

from .. import forms, selectors, services
from ..timeline import timeline

# --- showing values ----------------------------------------------------------------


@dataclass
class Shown:
    """One custom field as the order page shows it."""

    label: str
    kind: str  # text, long, photos, empty
    value: Any = ""
    photos: list[Attachment] = field(default_factory=list)


def _shown(
    definition: FieldDefinition,
    value: Any,
    attachments: dict[int, Attachment],
    people: dict[str, User],
) -> Shown:
    label = definition.label
    if is_empty(value):
        return Shown(label, "empty", "—")
    ftype = definition.field_type
    if ftype in (FieldType.PHOTO, FieldType.FILE):
        ids = value if isinstance(value, list) else [value]
        return Shown(label, "photos", photos=[attachments[i] for i in ids if i in attachments])
    if ftype == FieldType.CHOICE:
        return Shown(label, "text", definition.choice_label(value))
    if ftype == FieldType.MULTI_CHOICE:
        return Shown(label, "text", "、".join(definition.choice_label(v) for v in value))
    if ftype == FieldType.BOOLEAN:
        return Shown(label, "text", _("是") if value else _("否"))
    if ftype == FieldType.USER:
        return Shown(label, "text", str(people.get(value, value)))
    if ftype == FieldType.DATETIME:
        return Shown(label, "datetime", parse_datetime(value) or value)
    if ftype == FieldType.DATE:
        return Shown(label, "date", parse_date(value) or value)
    if ftype == FieldType.LOCATION and isinstance(value, dict):
        where = f"{value.get('lat')}, {value.get('lng')}"
        return Shown(
            label, "text", f"{value.get('address')} ({where})" if value.get("address") else where
        )
    if ftype == FieldType.LONG_TEXT:
        return Shown(label, "long", value)
    return Shown(label, "text", value)


def _layout(
    order_type: WorkOrderType, definitions: list[FieldDefinition]
) -> list[tuple[str, list[FieldDefinition]]]:
    """The type's sections in its order; fields no section names go last under “其他”."""
    by_key = {d.key: d for d in definitions}
    sections: list[tuple[str, list[FieldDefinition]]] = []
    placed: set[str] = set()
    for section in order_type.layout or []:
        title = section.get("title") or {}
        members = [by_key[k] for k in section.get("fields", []) if k in by_key]
        placed.update(d.key for d in members)
        if members:
            sections.append((pick(title.get("zh", ""), title.get("en", "")), members))
    rest = [d for d in definitions if d.key not in placed]
    if rest:
        sections.append((_("其他") if sections else "", rest))
    return sections


def _visible_in(definition: FieldDefinition, state_key: str) -> bool:
    return not definition.visible_states or state_key in definition.visible_states


# --- the order page ------------------------------------------------------------------


@dataclass
class ActionForm:
    """A transition the user may fire now, with exactly the inputs it needs."""

    transition: Transition
    inputs: list[forms.FieldInput]
    needs_comment: bool
    has_files: bool
    open: bool = False
    error: str = ""
    comment: str = ""
    comment_error: str = ""


def _needed(
    order: WorkOrder, transition: Transition, definitions: list[FieldDefinition]
) -> list[FieldDefinition]:
    target = transition.to_state.key
    wanted = set(transition.required_fields or [])
    for d in definitions:
        if target in (d.required_states or []) or (d.required and is_empty(order.data.get(d.key))):
            wanted.add(d.key)
    return [d for d in definitions if d.key in wanted]


def _action_forms(
    order: WorkOrder,
    user: User,
    definitions: list[FieldDefinition],
    failed: str = "",
    post: QueryDict | None = None,
    error: ValidationFailed | ServiceError | None = None,
) -> list[ActionForm]:
    out = []
    users = None
    for transition in wo.available_transitions(order, user):
        needed = _needed(order, transition, definitions)
        if users is None and any(d.field_type == FieldType.USER for d in needed):
            users = forms.field_users()
        is_failed = transition.key == failed and post is not None
        errors = error.errors if is_failed and error else {}
        inputs = []
        for d in needed:
            value = order.data.get(d.key)
            if is_failed and post is not None:
                value = forms.data_from_post([d], post).get(d.key, value)
            inputs.append(
                forms.field_input(
                    d, value=value, required=True, error=errors.get(d.key, ""), users=users
                )
            )
        out.append(
            ActionForm(
                transition=transition,
                inputs=inputs,
                needs_comment=transition.requires_comment,
                has_files=any(i.kind == "file" for i in inputs),
                open=is_failed,
                error=error.message if is_failed and error else "",
                comment=post.get("comment", "") if is_failed and post is not None else "",
                comment_error=errors.get("comment", ""),
            )
        )
    return out


def _order_context(
    request: HttpRequest,
    order: WorkOrder,
    *,
    failed_action: str = "",
    error: ServiceError | None = None,
    comment_error: str = "",
) -> dict[str, Any]:
    user = request_user(request)
    definitions = list(order.type.fields.all())
    attachments = selectors.order_photos(order)
    by_id = {a.pk: a for a in attachments}
    user_keys = [
        str(order.data.get(d.key))
        for d in definitions
        if d.field_type == FieldType.USER and order.data.get(d.key)
    ]
    people = (
        {u.username: u for u in User.objects.filter(username__in=user_keys)} if user_keys else {}
    )
    state_key = order.state.key
    sections = [
        (
            title,
            [
                _shown(d, order.data.get(d.key), by_id, people)
                for d in members
                if _visible_in(d, state_key)
            ],
        )
        for title, members in _layout(order.type, definitions)
    ]
    return {
        "order": order,
        "sections": [s for s in sections if s[1]],
        "timeline": timeline(order, work_order_events(order=order)),
        "comments": selectors.order_comments(order),
        "photos": [a for a in attachments if a.is_image],
        "files": [a for a in attachments if not a.is_image],
        "actions": _action_forms(
            order,
            user,
            definitions,
            failed=failed_action,
            post=request.POST if failed_action else None,
            error=error,
        ),
        "can_edit": permissions.can_edit(user, order),
        "can_assign": permissions.can_assign(user),
        "comment_error": comment_error,
        **_neighbours(order),
    }


def _neighbours(order: WorkOrder) -> dict[str, Any]:
    """What other apps add to the order page: the parts cost panel (loaded by htmx from
    the parts app) and, once resolved, the customer's rating link and QR."""
    context: dict[str, Any] = {}
    if apps.is_installed("gongdan.parts"):
        context["parts_url"] = reverse("parts:order", args=[order.number])
    if apps.is_installed("gongdan.portal") and order.resolved_at is not None:
        from gongdan.assets.labels import qr_svg
        from gongdan.portal.services import rating_url

        context["rating_url"] = rating_url(order)
        context["rating_qr"] = qr_svg(context["rating_url"], scale=4)
        context["rated"] = hasattr(order, "rating")
    return context


def _order_or_404(request: HttpRequest, number: str) -> WorkOrder:
    try:
        return selectors.order_for_page(user=request_user(request), number=number)
    except WorkOrder.DoesNotExist:
        raise Http404


@login_required
def order_detail(request: HttpRequest, number: str) -> HttpResponse:
    order = _order_or_404(request, number)
    return render(request, "office/order.html", _order_context(request, order))


@login_required
def order_print(request: HttpRequest, number: str) -> HttpResponse:
    order = _order_or_404(request, number)
    return render(request, "office/order_print.html", _order_context(request, order))


@login_required
@require_POST
def order_transition(request: HttpRequest, number: str, action: str) -> HttpResponse:
    """Fire one transition with the fields its form asked for."""
    order = _order_or_404(request, number)
    user = request_user(request)
    definitions = list(order.type.fields.all())
    transition = next((t for t in order.type.transitions.all() if t.key == action), None)
    only = {d.key for d in _needed(order, transition, definitions)} if transition else set()
    try:
        services.work_order_transition_from_form(
            order=order,
            actor=user,
            action=action,
            version=_int(request.POST.get("version")),
            comment=request.POST.get("comment", ""),
            data=forms.data_from_post(definitions, request.POST, only=only),
            uploads=forms.files_for([d for d in definitions if d.key in only], request.FILES),
        )
    except ServiceError as exc:
        order = _order_or_404(request, number)
        context = _order_context(request, order, failed_action=action, error=exc)
        if not any(a.open for a in context["actions"]):
            context["page_error"] = exc.message
        return render(request, "office/order.html", context, status=exc.status)
    return redirect("office:order", number=number)


def _int(raw: Any) -> Any:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return raw


@login_required
@require_POST
def order_comment(request: HttpRequest, number: str) -> HttpResponse:
    order = _order_or_404(request, number)
    try:
        wo.comment_create(
            order=order, actor=request_user(request), body=request.POST.get("body", "")
        )
    except ServiceError as exc:
        context = _order_context(request, order, comment_error=exc.errors.get("body", exc.message))
        return render(request, "office/order.html", context, status=exc.status)
    return redirect(f"/orders/{number}/#comments")


@login_required
@require_POST
def order_photo(request: HttpRequest, number: str) -> HttpResponse:
    order = _order_or_404(request, number)
    user = request_user(request)
    if not (permissions.can_edit(user, order) or order.requester_id == user.pk):
        raise PermissionDenied
    upload = request.FILES.get("file")
    try:
        if upload is None:
            raise ValidationFailed(_("请选择照片。"), {"file": _("此项为必填。")})
        wo.attachment_create(order=order, actor=user, upload=upload)
    except ServiceError as exc:
        context = _order_context(request, order)
        context["photo_error"] = exc.message
        return render(request, "office/order.html", context, status=exc.status)
    return redirect(f"/orders/{number}/#photos")


# --- create and edit -----------------------------------------------------------------


def _core_from_post(post: QueryDict) -> dict[str, Any]:
    return {
        "title": post.get("title", ""),
        "description": post.get("description", ""),
        "priority": post.get("priority", ""),
        "customer": post.get("customer", "").strip(),
    }


def _form_context(
    *,
    user: User,
    order_type: WorkOrderType,
    state_key: str,
    values: dict[str, Any],
    data: dict[str, Any],
    errors: dict[str, str],
    order: WorkOrder | None = None,
) -> dict[str, Any]:
    definitions = [d for d in order_type.fields.all() if _visible_in(d, state_key)]
    users = (
        forms.field_users() if any(d.field_type == FieldType.USER for d in definitions) else None
    )
    sections = []
    for title, members in _layout(order_type, definitions):
        inputs = [
            forms.field_input(
                d,
                value=data.get(d.key),
                required=d.required or state_key in (d.required_states or []),
                error=errors.get(d.key, ""),
                users=users,
            )
            for d in members
        ]
        sections.append((title, inputs))
    return {
        "order_type": order_type,
        "order": order,
        "sections": sections,
        "values": values,
        "errors": errors,
        "priorities": forms.priority_choices(values.get("priority") or order_type.default_priority),
        "assets": selectors.asset_codes(),
        "behalf": forms.on_behalf_candidates() if permissions.can_act_on_behalf(user) else [],
        "has_files": any(d.field_type in forms.FILE_TYPES for d in definitions),
    }


@login_required
def order_new(request: HttpRequest) -> HttpResponse:
    """Choose the type of the new order (skipped when only one type is active)."""
    user = request_user(request)
    if not permissions.can_create(user):
        raise PermissionDenied
    types = list(WorkOrderType.objects.filter(is_active=True))
    if len(types) == 1:
        return redirect("office:order-create", type_key=types[0].key)
    return render(request, "office/order_new.html", {"types": types})


@login_required
def order_create(request: HttpRequest, type_key: str) -> HttpResponse:
    """The create form for one type, drawn from its field definitions."""
    user = request_user(request)
    if not permissions.can_create(user):
        raise PermissionDenied
    order_type = get_object_or_404(
        WorkOrderType.objects.prefetch_related("fields"), key=type_key, is_active=True
    )
    state_key = order_type.initial_state().key
    if request.method != "POST":
        values = {"priority": order_type.default_priority, "token": uuid.uuid4().hex}
        if request.GET.get("asset"):
            values["asset"] = request.GET["asset"]
        context = _form_context(
            user=user, order_type=order_type, state_key=state_key, values=values, data={}, errors={}
        )
        return render(request, "office/order_form.html", context)
    post = request.POST
    definitions = list(order_type.fields.all())
    data = forms.data_from_post(definitions, post)
    core = _core_from_post(post)
    errors: dict[str, str] = {}
    asset = forms.asset_by_code(post.get("asset", ""))
    if post.get("asset", "").strip() and asset is None:
        errors["asset"] = _("找不到该设备。")
    behalf = None
    if post.get("on_behalf_of"):
        behalf = User.objects.filter(username=post["on_behalf_of"], is_active=True).first()
        if behalf is None:
            errors["on_behalf_of"] = _("找不到该人员。")
    message = _("请检查标出的字段。")
    status = 422
    if not errors:
        try:
            order, _created = services.work_order_create_from_form(
                actor=user,
                order_type=order_type,
                fields={**core, "asset": asset, "on_behalf_of": behalf},
                data=data,
                uploads=forms.files_for(definitions, request.FILES),
                idempotency_key=(post.get("token") or "")[:100] or None,
            )
            return redirect("office:order", number=order.number)
        except ServiceError as exc:
            errors, message, status = exc.errors, exc.message, exc.status
    values = {
        **core,
        "asset": post.get("asset", ""),
        "on_behalf_of": post.get("on_behalf_of", ""),
        "token": post.get("token", ""),
    }
    context = _form_context(
        user=user,
        order_type=order_type,
        state_key=state_key,
        values=values,
        data=data,
        errors=errors,
    )
    context["message"] = message
    return render(request, "office/order_form.html", context, status=status)


@login_required
def order_edit(request: HttpRequest, number: str) -> HttpResponse:
    """Edit title, priority, asset and the custom fields shown in the order's state."""
    order = _order_or_404(request, number)
    user = request_user(request)
    if not permissions.can_edit(user, order):
        raise PermissionDenied
    state_key = order.state.key
    if request.method != "POST":
        values = {
            "title": order.title,
            "description": order.description,
            "priority": order.priority,
            "customer": order.customer,
            "asset": order.asset.code if order.asset else "",
            "version": order.version,
        }
        context = _form_context(
            user=user,
            order_type=order.type,
            state_key=state_key,
            values=values,
            data=order.data,
            errors={},
            order=order,
        )
        return render(request, "office/order_form.html", context)
    post = request.POST
    definitions = [d for d in order.type.fields.all() if _visible_in(d, state_key)]
    data = forms.data_from_post(definitions, post)
    core = _core_from_post(post)
    errors: dict[str, str] = {}
    message = _("请检查标出的字段。")
    status = 422
    asset = forms.asset_by_code(post.get("asset", ""))
    if post.get("asset", "").strip() and asset is None:
        errors["asset"] = _("找不到该设备。")
    if not errors:
        try:
            uploads = forms.files_for(definitions, request.FILES)
            changes: dict[str, Any] = {**core, "asset": asset, "data": data}
            with_files = services.work_order_edit_from_form(
                order=order,
                actor=user,
                version=_int(post.get("version")),
                changes=changes,
                uploads=uploads,
            )
            return redirect("office:order", number=with_files.number)
        except ServiceError as exc:
            errors, message, status = exc.errors, exc.message, exc.status
    values = {**core, "asset": post.get("asset", ""), "version": post.get("version", "")}
    context = _form_context(
        user=user,
        order_type=order.type,
        state_key=state_key,
        values=values,
        data={**order.data, **data},
        errors=errors,
        order=order,
    )
    context["message"] = message
    return render(request, "office/order_form.html", context, status=status)
