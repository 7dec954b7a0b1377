"""Registry screens for the office: list, machine page, ledger import/export, labels."""

from __future__ import annotations

import secrets
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from gongdan.core.errors import ValidationFailed
from gongdan.core.models import request_user

from . import labels, permissions, selectors, services
from .models import Site

LEDGER_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _staff_only(view: Any) -> Any:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not permissions.can_view_assets(request.user):
            return render(request, "assets/forbidden.html", status=403)
        return view(request, *args, **kwargs)

    return login_required(wrapped)


@_staff_only
def asset_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "")
    site = request.GET.get("site", "")
    assets = selectors.asset_list(q=q, site=site)
    return render(
        request,
        "assets/list.html",
        {
            "assets": assets[:500],
            "total": assets.count(),
            "sites": Site.objects.all(),
            "q": q,
            "site": site,
            "can_manage": permissions.can_manage_assets(request.user),
        },
    )


@_staff_only
def asset_detail(request: HttpRequest, code: str) -> HttpResponse:
    asset = selectors.asset_by_code(code)
    if asset is None:
        raise Http404
    return render(
        request,
        "assets/detail.html",
        {
            "asset": asset,
            "qr": labels.qr_svg(asset.public_url, scale=4),
            "documents": asset.documents.all(),
            "orders": selectors.asset_order_history(asset=asset, user=request.user),
        },
    )


@_staff_only
def asset_export(request: HttpRequest) -> HttpResponse:
    assets = selectors.asset_list(q=request.GET.get("q", ""), site=request.GET.get("site", ""))
    response = HttpResponse(services.asset_export(assets=assets), content_type=LEDGER_TYPE)
    stamp = timezone.localtime().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="assets-{stamp}.xlsx"'
    return response


def _int_param(request: HttpRequest, name: str, default: int) -> int:
    try:
        return int(request.GET.get(name, default))
    except ValueError:
        return default


@_staff_only
def asset_labels(request: HttpRequest) -> HttpResponse:
    """Label sheet for the ticked machines (``code`` repeated), a site, or all."""
    codes = request.GET.getlist("code")
    assets = selectors.asset_list(q=request.GET.get("q", ""), site=request.GET.get("site", ""))
    if codes:
        assets = assets.filter(code__in=codes)
    try:
        grid = labels.Grid(
            columns=_int_param(request, "columns", 3), rows=_int_param(request, "rows", 8)
        )
    except ValueError:
        grid = labels.Grid()
    pdf = labels.label_sheet_pdf(assets=assets, grid=grid)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = 'inline; filename="labels.pdf"'
    return response


def _pending_name(token: str) -> str:
    return f"imports/{token}.xlsx"


@_staff_only
@require_http_methods(["GET", "POST"])
def asset_import(request: HttpRequest) -> HttpResponse:
    """Upload → dry run (nothing written) → confirm → all rows or none."""
    user = request_user(request)
    if not permissions.can_manage_assets(user):
        return render(request, "assets/forbidden.html", status=403)
    context: dict[str, Any] = {}
    status = 200
    if request.method == "POST":
        token = request.POST.get("token", "")
        upload = request.FILES.get("file")
        if upload is not None:
            token = secrets.token_urlsafe(16)
            default_storage.save(_pending_name(token), ContentFile(upload.read()))
        elif not (token.replace("-", "").replace("_", "").isalnum() and token):
            token = ""
        if not token or not default_storage.exists(_pending_name(token)):
            context["error"] = _("请选择要导入的 Excel 文件。")
            status = 422
        else:
            dry_run = "confirm" not in request.POST
            with default_storage.open(_pending_name(token), "rb") as handle:
                try:
                    context["report"] = services.asset_import(
                        actor=user, upload=handle, dry_run=dry_run
                    )
                except ValidationFailed as exc:
                    context["error"] = exc.message
                    context["errors"] = exc.errors
                    status = 422
            if dry_run and context.get("report") is not None and context["report"].ok:
                context["token"] = token
            else:
                default_storage.delete(_pending_name(token))
    return render(request, "assets/import.html", context, status=status)
