"""The public pages: /q/<code> (scan a machine's label, report in two taps) and
/rate/<token> (rate the service). No login, no htmx: they load fast on a weak signal."""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from gongdan.assets.selectors import asset_by_code
from gongdan.core.clients import client_address
from gongdan.core.errors import ServiceError

from . import ratelimit, selectors, services


def _limits() -> tuple[tuple[int, int], tuple[int, int]]:
    """(limit, window seconds) per client and per machine."""
    per_client = getattr(settings, "PORTAL_RATE_PER_CLIENT", (10, 600))
    per_machine = getattr(settings, "PORTAL_RATE_PER_ASSET", (5, 600))
    return per_client, per_machine


def _scan_context(asset: Any, **extra: Any) -> dict[str, Any]:
    order_type = services.report_type()
    return {
        "asset": asset,
        "open_orders": selectors.open_orders_for(asset),
        "symptoms": services.symptoms(order_type) if order_type else [],
        "token": secrets.token_urlsafe(16),
        **extra,
    }


@never_cache
@require_http_methods(["GET", "POST"])
def scan(request: HttpRequest, code: str) -> HttpResponse:
    asset = asset_by_code(code)
    if asset is None or not asset.is_active:
        return render(request, "portal/unknown.html", {"code": code}, status=404)
    if request.method == "GET":
        return render(request, "portal/scan.html", _scan_context(asset))
    token = request.POST.get("token", "")
    # A repeat of a submission that already made its order is answered, not counted.
    earlier = services.earlier_report(asset=asset, token=token)
    if earlier is not None:
        return _confirmation(request, earlier, created=False)
    (client_limit, client_window), (asset_limit, asset_window) = _limits()
    client_ok = ratelimit.allow(
        f"portal:client:{client_address(request)}", limit=client_limit, window=client_window
    )
    asset_ok = client_ok and ratelimit.allow(
        f"portal:asset:{asset.code}", limit=asset_limit, window=asset_window
    )
    if not (client_ok and asset_ok):
        context = _scan_context(asset, limited=True, per_machine=client_ok)
        return render(request, "portal/scan.html", context, status=429)
    form: dict[str, str] = {
        key: request.POST.get(key, "") for key in ("symptom", "text", "name", "phone", "stopped")
    }
    try:
        order, created = services.portal_report_create(
            asset=asset,
            symptom=form["symptom"],
            token=token,
            text=form["text"],
            name=form["name"],
            phone=form["phone"],
            machine_stopped=form["stopped"] == "1",
            photo=request.FILES.get("photo"),
        )
    except ServiceError as exc:
        context = _scan_context(asset, error=exc.message, errors=exc.errors, form=form)
        # Keep the token: fixing the form and sending again is still the same report.
        context["token"] = token or context["token"]
        return render(request, "portal/scan.html", context, status=exc.status)
    return _confirmation(request, order, created=created)


def _confirmation(request: HttpRequest, order: Any, *, created: bool) -> HttpResponse:
    return render(
        request,
        "portal/reported.html",
        {"order": order, "asset": order.asset, "created": created},
        status=201 if created else 200,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def rate(request: HttpRequest, token: str) -> HttpResponse:
    try:
        order = services.rating_order(token)
    except services.RatingLinkExpired:
        return render(request, "portal/rate_closed.html", {"expired": True}, status=410)
    except services.RatingLinkInvalid:
        return render(request, "portal/rate_closed.html", {"invalid": True}, status=404)
    if hasattr(order, "rating"):
        return render(
            request, "portal/rate_closed.html", {"done": True, "order": order}, status=409
        )
    context: dict[str, Any] = {"order": order, "stars": range(1, 6), "scores": range(0, 11)}
    if request.method == "POST":
        form = {k: request.POST.get(k, "") for k in ("stars", "recommend", "comment")}
        try:
            services.rating_submit(
                token=token,
                stars=form["stars"],
                recommend=form["recommend"],
                comment=form["comment"],
            )
        except services.AlreadyRated:
            return render(
                request, "portal/rate_closed.html", {"done": True, "order": order}, status=409
            )
        except ServiceError as exc:
            context.update(error=exc.message, errors=exc.errors, form=form)
            return render(request, "portal/rate.html", context, status=exc.status)
        return render(request, "portal/rate_closed.html", {"thanks": True, "order": order})
    return render(request, "portal/rate.html", context)
