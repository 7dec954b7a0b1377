"""The REST API: django-ninja under /api/v1/.

Every error leaves as JSON ``{"code", "message", "errors": {field: message}}``
— malformed bodies, wrong types, permissions, conflicts and crashes alike.
"""

from __future__ import annotations

import logging
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer, django_auth

from gongdan.core.errors import ServiceError
from gongdan.core.services import api_token_authenticate

log = logging.getLogger("gongdan.api")


class BearerAuth(HttpBearer):
    """``Authorization: Bearer <token>``; tokens are stored hashed and can be revoked."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = api_token_authenticate(token)
        if user is not None:
            request.user = user
        return user


api = NinjaAPI(
    title="gongdan API",
    version="1",
    description=(
        "工单 work-order system. Authenticate with a session or `Authorization: Bearer <token>`."
    ),
    auth=[BearerAuth(), django_auth],
    urls_namespace="api",
    docs_url="/docs",
)


def error_response(
    request: HttpRequest, status: int, code: str, message: str, errors: dict[str, str] | None = None
) -> HttpResponse:
    return api.create_response(
        request, {"code": code, "message": message, "errors": errors or {}}, status=status
    )


def shaped_response(request: HttpRequest, data: dict[str, Any], *, status: int) -> HttpResponse:
    """``data`` rendered as ninja renders a response schema, without validating it
    against the schema first: for a handler whose data is built field for field in
    the schema's shape (``order_out`` for ``WorkOrderOut``; a test holds them equal),
    on a path where that validation was a twentieth of the request."""
    return api.create_response(request, data, status=status)


def _field_name(loc: list[Any] | tuple[Any, ...]) -> str:
    # ninja reports ("body", "payload", "title"); the client knows the field as "title".
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "form", "file", "header", "cookie"):
        parts = parts[1:]
    if len(parts) > 1 and parts[0] == "payload":
        parts = parts[1:]
    return ".".join(parts) or "body"


@api.exception_handler(NinjaValidationError)
def _validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors: dict[str, str] = {}
    for err in exc.errors:
        name = _field_name(err.get("loc", ()))
        kind = err.get("type", "")
        if kind == "missing":
            message = _("此项为必填。")
        elif kind.endswith("_type") or kind.endswith("_parsing"):
            message = _("类型不正确：%(detail)s") % {"detail": err.get("msg", "")}
        else:
            message = str(err.get("msg", ""))
        errors.setdefault(name, message)
    return error_response(request, 422, "validation_error", _("请求数据有误。"), errors)


@api.exception_handler(ServiceError)
def _service_error(request: HttpRequest, exc: ServiceError) -> HttpResponse:
    return error_response(request, exc.status, exc.code, exc.message, exc.errors)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error_response(request, 401, "unauthenticated", _("请先登录或提供有效的 API 令牌。"))


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400:
        return error_response(request, 400, "malformed", _("请求体不是有效的 JSON。"))
    codes = {401: "unauthenticated", 403: "forbidden", 404: "not_found", 405: "not_allowed"}
    return error_response(request, exc.status_code, codes.get(exc.status_code, "error"), str(exc))


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(request, 404, "not_found", _("找不到该对象。"))


@api.exception_handler(Exception)
def _crash(request: HttpRequest, exc: Exception) -> HttpResponse:
    log.exception("unhandled API error")
    return error_response(request, 500, "server_error", _("服务器内部错误，已记录。"))


def _register_routers() -> None:
    from gongdan.core.api import router as core_router
    from gongdan.workorders.api import router as workorders_router
    from gongdan.workorders.api import types_router

    api.add_router("/", core_router)
    api.add_router("/work-order-types", types_router)
    api.add_router("/work-orders", workorders_router)
    api.add_router("/routing", "gongdan.routing.api.router")
    api.add_router("/notifications", "gongdan.notify.api.router")
    api.add_router("/work-orders", "gongdan.notify.api.order_router")
    api.add_router("/parts", "gongdan.parts.api.router")
    api.add_router("/assets", "gongdan.assets.api.router")
    api.add_router("/sla", "gongdan.sla.api.router")


_register_routers()
