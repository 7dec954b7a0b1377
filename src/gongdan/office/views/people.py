"""People pages: users and their roles, teams, regions, skills and certificates."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from gongdan.core.models import Role

from .. import selectors
from .common import may_see_people, requires


@requires(may_see_people)
def people_users(request: HttpRequest) -> HttpResponse:
    role = request.GET.get("role", "")
    users = selectors.people_users()
    if role in Role.values:
        users = users.filter(role=role)
    context = {"users": users, "roles": Role.choices, "role": role, "tab": "users"}
    return render(request, "office/people/users.html", context)


@requires(may_see_people)
def people_teams(request: HttpRequest) -> HttpResponse:
    context = {"teams": selectors.people_teams(), "tab": "teams"}
    return render(request, "office/people/teams.html", context)


@requires(may_see_people)
def people_regions(request: HttpRequest) -> HttpResponse:
    context = {"regions": selectors.people_regions(), "tab": "regions"}
    return render(request, "office/people/regions.html", context)


@requires(may_see_people)
def people_skills(request: HttpRequest) -> HttpResponse:
    context = {
        "skills": selectors.people_skills(),
        "warning_days": selectors.CERTIFICATE_WARNING_DAYS,
        "tab": "skills",
    }
    return render(request, "office/people/skills.html", context)
