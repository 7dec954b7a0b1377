"""Helpers every office view shares: who may open what, and page-or-fragment rendering."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from gongdan.core.models import Role, User, request_user

# Who sees the people pages: those who plan and staff the work.
PEOPLE_ROLES = (Role.ADMIN, Role.DISPATCHER, Role.MANAGER)
# Who uses the board: everyone in the office; engineers have /m/, requesters their list.
BOARD_ROLES = (Role.ADMIN, Role.DISPATCHER, Role.MANAGER, Role.CLERK, Role.WAREHOUSE)


def may_see_people(user: User) -> bool:
    return user.has_role(*PEOPLE_ROLES)


def may_design(user: User) -> bool:
    return bool(user.is_active and user.is_admin)


def requires(check: Callable[[User], bool]) -> Callable[[Any], Any]:
    """Signed in, and ``check(user)`` holds; otherwise the product's 403 page."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not check(request_user(request)):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def page_or_fragment(
    request: HttpRequest,
    template: str,
    fragment: str,
    context: dict[str, Any],
    status: int = 200,
) -> HttpResponse:
    """One view, two shapes: the whole page, or just the part htmx asked for."""
    htmx = getattr(request, "htmx", None)
    if htmx and not htmx.boosted:
        return render(request, fragment, context)
    return render(request, template, context, status=status)
