"""The engineer's phone pages under /m/: my orders, one order, and the actions on it.

Plain forms that post and redirect, so every action works on a flaky connection
and with the back button; a little script adds the position and QR scanning.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from gongdan.assets.labels import qr_svg
from gongdan.assets.selectors import asset_by_code, asset_order_history
from gongdan.core.errors import ServiceError
from gongdan.core.models import User, request_user
from gongdan.workorders import services as wo
from gongdan.workorders.models import FieldDefinition, Transition, WorkOrder

from . import selectors, services
from .geo import parse_position

# Transitions the detail page draws with their own forms rather than a plain button.
SPECIAL = {"depart", "arrive", "resolve", "accept"}


def _order(request: HttpRequest, number: str) -> tuple[User, WorkOrder]:
    user = request_user(request)
    order = selectors.order_for_engineer(user=user, number=number)
    if order is None:
        raise Http404
    return user, order


def _back(order: WorkOrder, anchor: str = "") -> HttpResponseRedirect:
    url = reverse("mobile:order", args=[order.number])
    return HttpResponseRedirect(f"{url}#{anchor}" if anchor else url)


@never_cache
@login_required
def my_orders(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    return render(
        request,
        "mobile/my_orders.html",
        {
            "orders": list(selectors.my_orders(user=user)[:100]),
            "claimable": list(selectors.claimable_orders(user=user)),
            "now": timezone.now(),
        },
    )


def _completion_fields(order: WorkOrder, transition: Transition) -> list[FieldDefinition]:
    target = transition.to_state.key
    return [
        f
        for f in order.type.fields.all()
        if target in (f.required_states or [])
        or f.key in (transition.required_fields or [])
        or (f.required and f.key not in order.data)
    ]


@never_cache
@login_required
def order_detail(request: HttpRequest, number: str) -> HttpResponse:
    user, order = _order(request, number)
    transitions = wo.available_transitions(order, user)
    by_key = {t.key: t for t in transitions}
    unlocked = services.details_unlocked(order)
    resolve = by_key.get("resolve")
    context: dict[str, Any] = {
        "order": order,
        "mine": order.assignee_id == user.pk,
        "transitions": by_key,
        "other_transitions": [t for t in transitions if t.key not in SPECIAL],
        "unlocked": unlocked,
        "needs_presence": order.arrived_at is not None and not unlocked,
        "departure": selectors.latest_departure(order),
        "completion_fields": _completion_fields(order, resolve) if resolve else [],
        "symptom": _field_display(order, "symptom"),
        "photos": list(order.attachments.filter(tag__in=["before", "after", "report"])),
        "comments": list(order.comments.select_related("author").order_by("-created_at")[:20]),
        "previous_count": selectors.previous_orders(order=order, user=user).count()
        if unlocked
        else 0,
    }
    if order.resolved_at is not None and order.state_category in ("resolved", "closed"):
        from gongdan.portal.services import rating_url

        context["rating_url"] = rating_url(order)
        context["rating_qr"] = qr_svg(context["rating_url"], scale=5)
        context["rated"] = hasattr(order, "rating")
    return render(request, "mobile/order.html", context)


def _field_display(order: WorkOrder, key: str) -> str:
    value = order.data.get(key)
    if value in (None, ""):
        return ""
    definition = order.type.fields.filter(key=key).first()
    return definition.choice_label(value) if definition else str(value)


def _fail(request: HttpRequest, exc: ServiceError) -> None:
    details = "；".join(v for v in exc.errors.values() if v and v not in exc.message)
    messages.error(request, f"{exc.message} {details}".strip())


@require_POST
@login_required
def order_action(request: HttpRequest, number: str) -> HttpResponse:
    user, order = _order(request, number)
    action = request.POST.get("action", "")
    version = _version(request)
    position = parse_position(
        request.POST.get("lat"), request.POST.get("lng"), request.POST.get("accuracy")
    )
    try:
        if action == "depart":
            record = services.order_depart(
                order=order, actor=user, version=version, position=position
            )
            if record.eta_at is None:
                messages.info(request, _("已出发。未能估算到达时间。"))
        elif action == "arrive":
            services.order_arrive(order=order, actor=user, version=version, position=position)
        elif action == "resolve":
            if not services.details_unlocked(order):
                messages.error(request, _("请先扫描或输入设备编号，确认到场。"))
                return _back(order)
            transition = order.type.transitions.select_related("to_state").get(key="resolve")
            data = {
                f.key: request.POST.get(f.key, "") for f in _completion_fields(order, transition)
            }
            wo.work_order_transition(
                order=order,
                actor=user,
                action="resolve",
                version=version,
                data=data,
                comment=request.POST.get("comment", ""),
            )
        else:
            wo.work_order_transition(
                order=order,
                actor=user,
                action=action,
                version=version,
                comment=request.POST.get("comment", ""),
            )
    except ServiceError as exc:
        _fail(request, exc)
        return _back(order, "actions")
    if action == "decline":
        return HttpResponseRedirect(reverse("mobile:home"))
    return _back(order)


def _version(request: HttpRequest) -> int | None:
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return None


@require_POST
@login_required
def order_verify(request: HttpRequest, number: str) -> HttpResponse:
    user, order = _order(request, number)
    try:
        services.presence_confirm(
            order=order,
            actor=user,
            code=request.POST.get("code", ""),
            method=request.POST.get("method", "typed"),
        )
    except ServiceError as exc:
        _fail(request, exc)
        return _back(order, "verify")
    messages.success(request, _("已确认到场，工单详情已解锁。"))
    return _back(order)


@require_POST
@login_required
def order_photo(request: HttpRequest, number: str) -> HttpResponse:
    user, order = _order(request, number)
    upload = request.FILES.get("photo")
    if upload is None:
        messages.error(request, _("请先拍照或选择照片。"))
        return _back(order, "photos")
    try:
        services.field_photo_add(
            order=order, actor=user, upload=upload, tag=request.POST.get("tag", "")
        )
    except ServiceError as exc:
        _fail(request, exc)
    return _back(order, "photos")


@require_POST
@login_required
def order_note(request: HttpRequest, number: str) -> HttpResponse:
    user, order = _order(request, number)
    try:
        wo.comment_create(order=order, actor=user, body=request.POST.get("body", ""))
    except ServiceError as exc:
        _fail(request, exc)
    return _back(order, "notes")


@login_required
def order_print(request: HttpRequest, number: str) -> HttpResponse:
    _user, order = _order(request, number)
    context: dict[str, Any] = {
        "order": order,
        "fields": [
            (f.label, f.choice_label(order.data[f.key]) if f.choices else order.data[f.key])
            for f in order.type.fields.all()
            if f.key in order.data and f.field_type not in ("photo", "file", "location")
        ],
        "events": order.events.select_related("actor").order_by("created_at", "id"),
    }
    if order.resolved_at is not None:
        from gongdan.portal.services import rating_url

        context["rating_url"] = rating_url(order)
        context["rating_qr"] = qr_svg(context["rating_url"], scale=4)
    return render(request, "mobile/print.html", context)


@login_required
def asset_history(request: HttpRequest, code: str) -> HttpResponse:
    """How this machine was fixed before: its orders with cause and fix."""
    user = request_user(request)
    asset = asset_by_code(code)
    if asset is None:
        raise Http404
    orders = list(asset_order_history(asset=asset, user=user, limit=50))
    return render(request, "mobile/history.html", {"asset": asset, "orders": orders})


def manifest(request: HttpRequest) -> HttpResponse:
    import json

    body = {
        "name": _("gongdan 工程师"),
        "short_name": _("工单"),
        "start_url": "/m/",
        "scope": "/m/",
        "display": "standalone",
        "background_color": "#f6f7f9",
        "theme_color": "#1a73e8",
        "lang": request.LANGUAGE_CODE,
        "icons": [
            {"src": static("mobile/icon.svg"), "sizes": "any", "type": "image/svg+xml"},
            {"src": static("mobile/icon-192.png"), "sizes": "192x192", "type": "image/png"},
        ],
    }
    return HttpResponse(
        json.dumps(body, ensure_ascii=False), content_type="application/manifest+json"
    )


SHELL_FILES = ("mobile/mobile.css", "mobile/mobile.js", "mobile/icon.svg")


def service_worker(request: HttpRequest) -> HttpResponse:
    """Served from /m/ so its scope covers the engineer pages; the cache name changes
    with the static URLs, so a deploy with new files replaces the old cache."""
    shell = [static(name) for name in SHELL_FILES]
    version = _shell_version(shell)
    response = render(
        request,
        "mobile/sw.js",
        {"shell": shell, "version": version, "offline": reverse("mobile:offline")},
        content_type="text/javascript",
    )
    response["Service-Worker-Allowed"] = "/m/"
    response["Cache-Control"] = "no-cache"
    return response


def _shell_version(shell: list[str]) -> str:
    import hashlib

    return hashlib.sha1("|".join(shell).encode()).hexdigest()[:10]


def offline(request: HttpRequest) -> HttpResponse:
    return render(request, "mobile/offline.html")
