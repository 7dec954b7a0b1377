"""Who may open which office page: anonymous, the wrong role, the right role out of
scope, and the right role."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.office.test_board import client_for

ADMIN_ONLY = ["/designer/", "/designer/new/", "/designer/import/", "/designer/equipment_repair/"]
PEOPLE = ["/people/", "/people/teams/", "/people/regions/", "/people/skills/"]


@pytest.mark.parametrize("path", ADMIN_ONLY + PEOPLE + ["/board/", "/orders/"])
def test_anonymous_visitors_are_sent_to_sign_in(db, path):
    response = Client().get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


@pytest.mark.parametrize("role", ["engineer", "dispatcher", "clerk", "manager", "requester"])
def test_only_administrators_open_the_designer(plant, role):
    user = {"engineer": plant.wang}.get(role) or getattr(plant, role)
    client = client_for(user)
    for path in ADMIN_ONLY:
        response = client.get(path)
        assert response.status_code == 403, path
        assert "您没有权限打开这个页面" in response.content.decode()
    assert client_for(plant.admin).get("/designer/").status_code == 200


def test_engineer_navigation_has_no_designer_and_admin_navigation_has(plant):
    engineer_nav = client_for(plant.wang).get("/orders/").content.decode()
    admin_nav = client_for(plant.admin).get("/orders/").content.decode()
    assert 'data-nav="designer"' not in engineer_nav
    assert 'data-nav="designer"' in admin_nav


def test_requester_sees_only_their_own_orders(plant, new_order):
    mine = new_order(title="我的单")
    theirs = new_order(actor=plant.other_requester, title="别人的单")
    client = client_for(plant.requester)

    listing = client.get("/orders/").content.decode()
    assert mine.number in listing
    assert theirs.number not in listing
    assert client.get(f"/orders/{mine.number}/").status_code == 200
    other = client.get(f"/orders/{theirs.number}/")
    assert other.status_code == 404
    assert "找不到这个页面" in other.content.decode()
    assert theirs.number not in client.get("/board/").content.decode()
    assert client.get(f"/orders/{theirs.number}/print/").status_code == 404


def test_engineer_sees_orders_of_their_team_or_region_only(plant, new_order):
    east = new_order(asset=plant.press)
    south = new_order(asset=plant.south_press, actor=plant.other_requester)
    client = client_for(plant.wang)
    listing = client.get("/orders/").content.decode()
    assert east.number in listing
    assert south.number not in listing


def test_people_pages_are_for_those_who_staff_the_work(plant):
    for user in (plant.admin, plant.dispatcher, plant.manager):
        assert client_for(user).get("/people/").status_code == 200
    for user in (plant.wang, plant.requester, plant.clerk):
        assert client_for(user).get("/people/skills/").status_code == 403


def test_certificates_expiring_within_30_days_are_highlighted(plant):
    import datetime

    from django.utils import timezone

    from gongdan.core.models import UserSkill

    UserSkill.objects.create(
        user=plant.li,
        skill=plant.hv,
        certificate_no="T3201-0002",
        expires_on=timezone.localdate() + datetime.timedelta(days=12),
    )
    html = client_for(plant.dispatcher).get("/people/skills/").content.decode()
    soon = html.split('data-status="soon"', 1)[1].split("</tr>", 1)[0]
    assert "李工" in soon
    assert "即将到期" in soon
    ok = html.split('data-status="ok"', 1)[1].split("</tr>", 1)[0]
    assert "王工" in ok


@pytest.mark.parametrize(
    ("who", "landing"),
    [
        ("dispatcher", "/board/"),
        ("admin", "/board/"),
        ("clerk", "/board/"),
        ("requester", "/orders/"),
    ],
)
def test_home_sends_each_role_to_its_work(plant, who, landing):
    response = client_for(getattr(plant, who)).get("/")
    assert response.status_code == 302
    assert response["Location"] == landing


def test_engineer_lands_on_the_phone_pages(plant):
    response = client_for(plant.wang).get("/")
    assert response["Location"] in ("/m/", "/orders/")


def test_language_choice_is_remembered_at_the_next_sign_in(plant):
    client = client_for(plant.dispatcher)
    client.post("/language/", {"language": "en", "next": "/"})
    fresh = Client()
    response = fresh.post("/login/", {"username": "dispatcher", "password": "gongdan-test-pw"})
    assert response.status_code == 302
    assert fresh.cookies["django_language"].value == "en"
