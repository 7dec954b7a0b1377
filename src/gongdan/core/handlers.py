"""How a request enters Django: API calls that carry a token take a shorter path.

A call to ``/api/`` with ``Authorization: Bearer …`` (a machine, a script, an ERP)
has no session, no CSRF cookie, no flash messages, no frames and no htmx: the
browser's middleware would only load and save nothing for it, and on the create
path that work was several per cent of the request. Such a call goes through
``settings.API_TOKEN_MIDDLEWARE`` only — the security headers, compression, the
language and the host check — and the token alone decides who it is: a token that
is not valid is refused, even if a session cookie came with it. Everything else
(pages, and the browser's own API calls with its session) takes the whole
``MIDDLEWARE`` chain.

The production WSGI application and the tests' client both dispatch this way
(``TokenApiDispatch``), so the path a token call takes in the tests is the one it
takes on the server.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.handlers.base import BaseHandler
from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler
from django.http import HttpRequest, HttpResponseBase
from django.utils.module_loading import import_string

API_PREFIX = "/api/"


def carries_api_token(request: HttpRequest) -> bool:
    """An API call authenticated by ``Authorization: Bearer`` (the scheme in any
    case, as the API's own check reads it)."""
    if not request.path_info.startswith(API_PREFIX):
        return False
    return request.META.get("HTTP_AUTHORIZATION", "")[:7].lower() == "bearer "


class TokenApiHandler(BaseHandler):
    """Django's handler with ``API_TOKEN_MIDDLEWARE`` instead of ``MIDDLEWARE``."""

    def load_middleware(self, is_async: bool = False) -> None:
        # Django's own loading (BaseHandler.load_middleware) for a synchronous
        # handler over another list; every middleware in it is the old-style kind
        # that adapts itself, and none is skipped by MiddlewareNotUsed.
        self._view_middleware: list[Any] = []
        self._template_response_middleware: list[Any] = []
        self._exception_middleware: list[Any] = []
        handler = convert_exception_to_response(self._get_response)  # type: ignore[attr-defined]  # private in django-stubs
        for path in reversed(settings.API_TOKEN_MIDDLEWARE):
            middleware = import_string(path)(handler)
            if hasattr(middleware, "process_view"):
                self._view_middleware.insert(0, middleware.process_view)
            if hasattr(middleware, "process_template_response"):
                self._template_response_middleware.append(middleware.process_template_response)
            if hasattr(middleware, "process_exception"):
                self._exception_middleware.append(middleware.process_exception)
            handler = convert_exception_to_response(middleware)
        self._middleware_chain = handler

    def get_response(self, request: HttpRequest) -> HttpResponseBase:
        # Nobody until the token says who: the API's session check then finds an
        # anonymous user instead of no user at all.
        request.user = AnonymousUser()
        return super().get_response(request)


class TokenApiDispatch:
    """For a Django handler (the WSGI one, the test client's): token API calls go to
    a ``TokenApiHandler`` made beside the handler's own chain."""

    _token_api: TokenApiHandler

    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async)  # type: ignore[misc]  # a mixin for a BaseHandler
        self._token_api = TokenApiHandler()
        self._token_api.load_middleware()

    def get_response(self, request: HttpRequest) -> HttpResponseBase:
        if carries_api_token(request):
            return self._token_api.get_response(request)
        return super().get_response(request)  # type: ignore[misc, no-any-return]


class GongdanWSGIHandler(TokenApiDispatch, WSGIHandler):
    """The web server's application (``gongdan.wsgi.application``)."""
