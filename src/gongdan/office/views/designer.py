"""The type designer: administrators build order types on screen, no code."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gongdan.core.errors import ServiceError
from gongdan.core.models import request_user
from gongdan.workorders.blueprints import blueprint_dump
from gongdan.workorders.models import FieldType, Priority, StateCategory, WorkOrderType

from .. import forms, services
from ..designer import Draft, errors_from_blueprint, role_choices
from .common import may_design, requires


def _context(draft: Draft, **extra: Any) -> dict[str, Any]:
    return {
        "draft": draft,
        "field_types": FieldType.choices,
        "categories": StateCategory.choices,
        "priorities": Priority.choices,
        "roles": role_choices(),
        "preview": _preview(draft),
        **extra,
    }


def _preview(draft: Draft) -> list[tuple[str, list[forms.FieldInput]]]:
    return [
        (title, [forms.field_input(d, users=[]) for d in members])
        for title, members in draft.preview_sections()
    ]


@requires(may_design)
def designer_index(request: HttpRequest) -> HttpResponse:
    types = WorkOrderType.objects.order_by("-is_active", "key")
    return render(request, "office/designer/index.html", {"types": types})


@requires(may_design)
def designer_edit(request: HttpRequest, key: str | None = None) -> HttpResponse:
    """One screen for a new or an existing type.

    Buttons that add, remove or move rows post the whole form back with an
    ``op`` and get the form redrawn; ``save`` validates and imports it."""
    if request.method != "POST":
        if key is None:
            draft = Draft.blank()
        else:
            draft = Draft.from_type(get_object_or_404(WorkOrderType, key=key))
        return render(request, "office/designer/edit.html", _context(draft))
    draft = Draft.from_post(request.POST)
    op = request.POST.get("op", "")
    if op and op != "save":
        draft.apply(op)
        return render(request, "office/designer/edit.html", _context(draft))
    draft.check()
    if not draft.errors:
        try:
            order_type = services.order_type_save(
                actor=request_user(request), document=draft.document(), renames=draft.renames()
            )
            return redirect("office:designer-edit", key=order_type.key)
        except ServiceError as exc:
            draft.errors = errors_from_blueprint(exc.errors, draft)
            unplaced = draft.errors.pop("__all__", "")
            draft.errors["__all__"] = f"{exc.message} {unplaced}".strip()
    message = draft.errors.get("__all__") or _("请检查标出的项目。")
    return render(
        request, "office/designer/edit.html", _context(draft, message=message), status=422
    )


@requires(may_design)
@require_POST
def designer_preview(request: HttpRequest) -> HttpResponse:
    """The form an order of this type would show, redrawn as the designer types."""
    draft = Draft.from_post(request.POST)
    return render(request, "office/designer/preview.html", {"preview": _preview(draft)})


@requires(may_design)
def designer_export(request: HttpRequest, key: str) -> HttpResponse:
    order_type = get_object_or_404(WorkOrderType, key=key)
    response = HttpResponse(
        blueprint_dump(order_type), content_type="application/yaml; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{order_type.key}.yaml"'
    return response


@requires(may_design)
def designer_import(request: HttpRequest) -> HttpResponse:
    """Upload or paste a YAML blueprint; problems are listed and nothing changes."""
    errors: dict[str, str] = {}
    message = ""
    source = ""
    if request.method == "POST":
        upload = request.FILES.get("file")
        source = (
            upload.read().decode("utf-8", "replace") if upload else request.POST.get("yaml", "")
        )
        try:
            order_type = services.order_type_save(actor=request_user(request), document=source)
            return redirect("office:designer-edit", key=order_type.key)
        except ServiceError as exc:
            errors, message = exc.errors, exc.message
    status = 422 if errors else 200
    return render(
        request,
        "office/designer/import.html",
        {"errors": errors, "message": message, "source": source},
        status=status,
    )
