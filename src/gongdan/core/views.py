"""Sign-in, the landing page that sends each role where its work is, and error pages."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.template import loader
from django.urls import Resolver404, resolve

from .models import Role, request_user

OFFICE_ROLES = (Role.ADMIN, Role.DISPATCHER, Role.MANAGER, Role.CLERK, Role.WAREHOUSE)


class LoginView(auth_views.LoginView):
    """Django's sign-in, which also brings back the language the person chose last time."""

    template_name = "office/login.html"

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        language = form.get_user().language
        if language in dict(settings.LANGUAGES):
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                language,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            )
        return response


def _engineer_home() -> str:
    # The engineer pages live in their own app; until it is installed, engineers use the list.
    try:
        resolve("/m/")
    except Resolver404:
        return "/orders/"
    return "/m/"


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Each role lands on its work: the board, the phone pages, or one's own orders."""
    user = request_user(request)
    if user.has_role(*OFFICE_ROLES):
        return redirect("office:board")
    if user.role == Role.ENGINEER:
        return HttpResponseRedirect(_engineer_home())
    return redirect("office:list")


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "403.html", status=403)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # No request context: whatever broke (the database, a context processor)
    # must not break the error page too.
    return HttpResponse(loader.get_template("500.html").render(), status=500)
