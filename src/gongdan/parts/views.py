"""Parts pages: the store room (desktop), a requisition (phone and desktop), an order's
parts (phone and desktop, also as an htmx panel for the order page), import/export.

Thin: parse the form, call a service, show its errors next to what caused them.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from gongdan.core.errors import ServiceError, ValidationFailed
from gongdan.core.models import request_user
from gongdan.workorders.models import WorkOrder

from . import permissions, selectors, services, spreadsheets
from .api import xlsx_response
from .models import ApprovalStep, Part, RequisitionStatus, StepStatus, Warehouse


def _order(request: HttpRequest, number: str) -> WorkOrder:
    order = (
        WorkOrder.objects.visible_to(request.user)
        .select_related("asset", "assignee")
        .filter(number=number)
        .first()
    )
    if order is None:
        raise Http404
    return order


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@login_required
def parts_home(request: HttpRequest) -> HttpResponse:
    """What needs doing about parts, per role: signatures, the pick list, the stock."""
    user = request_user(request)
    warehouse = request.GET.get("warehouse") or None
    low = request.GET.get("low") == "1"
    keeper = permissions.can_keep_stock(user)
    context = {
        "awaiting": list(selectors.awaiting_decision(user)[:50]),
        "pick_list": list(selectors.pick_list()[:50]) if keeper else [],
        "keeper": keeper,
        "stock": list(selectors.stock_list(warehouse=warehouse, low_only=low)[:500]),
        "warehouses": Warehouse.objects.all(),
        "warehouse": warehouse,
        "low": low,
        "recent": list(selectors.requisitions_visible_to(user).order_by("-created_at")[:20]),
    }
    return render(request, "parts/home.html", context)


def _detail_context(request: HttpRequest, pk: int) -> dict[str, Any]:
    user = request_user(request)
    try:
        requisition = selectors.requisition_get(user=user, pk=pk)
    except Exception as exc:
        raise Http404 from exc
    steps = list(requisition.steps.all())
    current = next((s for s in steps if s.status == StepStatus.PENDING), None)
    return {
        "requisition": requisition,
        "lines": list(requisition.lines.all()),
        "steps": steps,
        "current": current,
        "can_decide": current is not None and permissions.can_decide(user, current),
        "can_issue": permissions.can_keep_stock(user)
        and requisition.status == RequisitionStatus.APPROVED,
        "can_receive": permissions.can_receive(user, requisition)
        and requisition.status == RequisitionStatus.ISSUED,
        "can_return": permissions.can_keep_stock(user)
        and requisition.status in (RequisitionStatus.ISSUED, RequisitionStatus.RECEIVED),
        "can_cancel": requisition.is_open and requisition.requester_id == user.pk,
        "history": list(requisition.events.select_related("actor")),
    }


@login_required
@require_http_methods(["GET", "POST"])
def requisition_detail(request: HttpRequest, pk: int) -> HttpResponse:
    context = _detail_context(request, pk)
    if request.method == "GET":
        return render(request, "parts/requisition.html", context)
    user = request_user(request)
    requisition = context["requisition"]
    action = request.POST.get("action", "")
    version = _int(request.POST.get("version"))
    comment = request.POST.get("comment", "")
    try:
        if action in ("approve", "reject"):
            step = ApprovalStep.objects.filter(
                pk=_int(request.POST.get("step")) or 0, requisition=requisition
            ).first()
            if step is None:
                raise Http404
            services.requisition_decide(
                actor=user,
                requisition=requisition,
                step=step,
                approve=action == "approve",
                version=version,
                comment=comment,
            )
            done = _("已同意。") if action == "approve" else _("已驳回。")
        elif action == "issue":
            services.requisition_issue(actor=user, requisition=requisition, version=version)
            done = _("已发料。")
        elif action == "receive":
            services.requisition_receive(actor=user, requisition=requisition, version=version)
            done = _("已签收。")
        elif action == "return":
            quantities = {
                line.pk: request.POST.get(f"return-{line.pk}")
                for line in context["lines"]
                if (request.POST.get(f"return-{line.pk}") or "").strip() not in ("", "0")
            }
            services.requisition_return(
                actor=user,
                requisition=requisition,
                quantities=quantities,
                version=version,
                reason=request.POST.get("reason", ""),
            )
            done = _("已退库。")
        elif action == "cancel":
            services.requisition_cancel(actor=user, requisition=requisition, version=version)
            done = _("已撤销。")
        else:
            raise Http404
    except ServiceError as exc:
        context = _detail_context(request, pk)
        context.update(error=exc.message, errors=exc.errors, posted=request.POST)
        return render(request, "parts/requisition.html", context, status=exc.status)
    messages.success(request, done)
    return redirect("parts:requisition", pk=pk)


def _order_context(request: HttpRequest, order: WorkOrder) -> dict[str, Any]:
    user = request_user(request)
    q = request.GET.get("q", "").strip()
    return {
        "order": order,
        "requisitions": list(
            selectors.requisitions_visible_to(user)
            .filter(order=order)
            .prefetch_related("lines__part")
            .order_by("-created_at")
        ),
        "cost": selectors.order_parts_cost(order),
        "charge_to": services.charge_basis(order),
        "can_request": permissions.can_request(user) and order.is_open,
        "suggestions": selectors.part_suggestions(order=order, q=q, limit=30),
        "q": q,
        "warehouses": Warehouse.objects.all(),
    }


@login_required
@require_http_methods(["GET", "POST"])
def order_parts(request: HttpRequest, number: str) -> HttpResponse:
    """An order's requisitions and parts cost, and the request form (engineer's phone)."""
    order = _order(request, number)
    if request.method == "GET":
        fragment = bool(getattr(request, "htmx", False))
        template = "parts/partials/order_panel.html" if fragment else "parts/order.html"
        return render(request, template, _order_context(request, order))
    user = request_user(request)
    lines = []
    posted: dict[str, str] = {}
    for key in request.POST:
        value = request.POST.get(key, "")
        if not key.startswith("qty-") or not value.strip() or value.strip() == "0":
            continue
        part = Part.objects.filter(code=key[4:]).first()
        if part is not None:
            posted[part.code] = value
            lines.append(services.LineIn(part=part, quantity=value.strip()))
    warehouse = Warehouse.objects.filter(code=request.POST.get("warehouse", "")).first()
    try:
        requisition = services.requisition_create(
            actor=user,
            order=order,
            lines=lines,
            warehouse=warehouse,
            note=request.POST.get("note", ""),
        )
    except ServiceError as exc:
        context = _order_context(request, order)
        context.update(error=exc.message, errors=exc.errors, posted=posted)
        return render(request, "parts/order.html", context, status=exc.status)
    messages.success(
        request,
        _("领料单 %(number)s 已提交（¥%(amount)s）。")
        % {"number": requisition.number, "amount": requisition.amount},
    )
    return redirect("parts:requisition", pk=requisition.pk)


def _import_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "parts-imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


@login_required
@require_http_methods(["GET", "POST"])
def parts_import(request: HttpRequest) -> HttpResponse:
    """Upload → dry run report → confirm. The checked file is kept until confirmed, so
    what is imported is exactly what was checked."""
    user = request_user(request)
    if not permissions.can_keep_stock(user):
        raise PermissionDenied
    context: dict[str, Any] = {}
    if request.method == "POST":
        token = request.POST.get("token", "")
        try:
            if token:
                try:
                    path = _import_dir() / f"{uuid.UUID(token).hex}.xlsx"
                except ValueError as exc:
                    raise Http404 from exc
                if not path.exists():
                    raise Http404
                with path.open("rb") as source:
                    report = spreadsheets.parts_import(actor=user, source=source, dry_run=False)
                if report.ok:
                    path.unlink(missing_ok=True)
                    messages.success(
                        request,
                        _("已导入：新增 %(c)d 个，更新 %(u)d 个。")
                        % {"c": len(report.created), "u": len(report.updated)},
                    )
                    return redirect("parts:home")
                context["report"] = report
            else:
                upload = request.FILES.get("file")
                if upload is None:
                    raise ValidationFailed(_("请选择文件。"), {"file": _("请选择 .xlsx 文件。")})
                report = spreadsheets.parts_import(actor=user, source=upload, dry_run=True)
                context["report"] = report
                if report.ok:
                    token = uuid.uuid4().hex
                    upload.seek(0)
                    (_import_dir() / f"{token}.xlsx").write_bytes(upload.read())
                    context["token"] = token
        except ServiceError as exc:
            context.update(error=exc.message, errors=exc.errors)
    return render(request, "parts/import.html", context)


@login_required
def parts_import_template(request: HttpRequest) -> HttpResponse:
    response = xlsx_response(spreadsheets.parts_template())
    response["Content-Disposition"] = 'attachment; filename="parts-template.xlsx"'
    return response


@login_required
def stock_export(request: HttpRequest) -> HttpResponse:
    return xlsx_response(spreadsheets.stock_export(warehouse=request.GET.get("warehouse") or None))
