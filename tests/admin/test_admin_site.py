"""The configuration back office: administrators by role get in, everyone else does not."""

from __future__ import annotations

from typing import Any

import pytest
from django.apps import apps
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from gongdan.core.models import ApiToken, User, UserSkill
from gongdan.core.services import api_token_create
from gongdan.parts.models import Part, Stock, Warehouse

pytestmark = pytest.mark.django_db

REGISTERED = sorted((m._meta.app_label, m._meta.model_name) for m in admin.site._registry)
CONFIGURED = [
    ("core", "user"),
    ("core", "team"),
    ("core", "region"),
    ("core", "skill"),
    ("core", "apitoken"),
    ("parts", "part"),
    ("parts", "warehouse"),
    ("parts", "stock"),
    ("parts", "approvalrule"),
    ("sla", "slapolicy"),
    ("sla", "businesscalendar"),
    ("assets", "asset"),
]


def _client(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def test_every_model_an_administrator_configures_is_in_the_back_office() -> None:
    assert set(CONFIGURED) <= set(REGISTERED)


@pytest.mark.parametrize(("app", "model"), REGISTERED, ids=lambda v: str(v))
def test_administrator_by_role_opens_every_changelist_and_add_page(
    plant: Any, app: str, model: str
) -> None:
    assert not plant.admin.is_staff and not plant.admin.is_superuser
    client = _client(plant.admin)
    listing = client.get(reverse(f"admin:{app}_{model}_changelist"))
    assert listing.status_code == 200
    model_admin = admin.site.get_model_admin(apps.get_model(app, model))
    request = listing.wsgi_request
    if model_admin.has_add_permission(request):
        assert client.get(reverse(f"admin:{app}_{model}_add")).status_code == 200
    else:
        assert client.get(reverse(f"admin:{app}_{model}_add")).status_code == 403


@pytest.mark.parametrize("who", ["anonymous", "dispatcher", "engineer", "manager"])
@pytest.mark.parametrize(("app", "model"), CONFIGURED, ids=lambda v: str(v))
def test_other_roles_are_sent_to_the_sign_in_page(
    plant: Any, who: str, app: str, model: str
) -> None:
    user = {"anonymous": None, "dispatcher": plant.dispatcher, "engineer": plant.wang}.get(
        who, plant.manager
    )
    client = _client(user)
    for url in (reverse(f"admin:{app}_{model}_changelist"), reverse(f"admin:{app}_{model}_add")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


def test_index_lists_people_and_parts_for_an_administrator(plant: Any) -> None:
    page = _client(plant.admin).get(reverse("admin:index")).content.decode()
    assert "人员与组织" in page
    assert reverse("admin:parts_approvalrule_changelist") in page
    assert reverse("admin:core_user_changelist") in page


def test_administrator_adds_a_certified_electrician_with_certificate(plant: Any) -> None:
    client = _client(plant.admin)
    response = client.post(
        reverse("admin:core_user_add"),
        {
            "username": "zhao",
            "display_name": "赵工",
            "role": "engineer",
            "team": plant.electrical.pk,
            "region": plant.east.pk,
            "phone": "13800000000",
            "password1": "a-long-enough-pw-123",
            "password2": "a-long-enough-pw-123",
            "skills-TOTAL_FORMS": "1",
            "skills-INITIAL_FORMS": "0",
            "skills-0-skill": plant.hv.pk,
            "skills-0-level": "2",
            "skills-0-certificate_no": "T3201-0099",
            "skills-0-expires_on": "2030-06-30",
        },
    )
    assert response.status_code == 302, response.content.decode()[-3000:]
    zhao = User.objects.get(username="zhao")
    assert (zhao.role, zhao.team, zhao.region) == ("engineer", plant.electrical, plant.east)
    cert = UserSkill.objects.get(user=zhao)
    assert (cert.skill, cert.certificate_no, str(cert.expires_on)) == (
        plant.hv,
        "T3201-0099",
        "2030-06-30",
    )


def test_administrator_revokes_a_leaked_token_and_it_stops_working(plant: Any) -> None:
    token, raw = api_token_create(user=plant.dispatcher, name="leaked")
    client = _client(plant.admin)
    bearer = {"Authorization": f"Bearer {raw}"}
    assert Client().get("/api/v1/work-orders", headers=bearer).status_code == 200
    response = client.post(
        reverse("admin:core_apitoken_changelist"),
        {"action": "revoke", "_selected_action": [token.pk]},
        follow=True,
    )
    assert "已吊销 1 个令牌" in response.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert ApiToken.objects.active().filter(pk=token.pk).count() == 0
    refused = Client().get("/api/v1/work-orders", headers=bearer)
    assert refused.status_code == 401


def test_safety_stock_is_edited_but_the_quantity_is_not(plant: Any) -> None:
    part = Part.objects.create(code="P-1", name="接触器")
    store = Warehouse.objects.create(code="main", name="总仓")
    stock = Stock.objects.create(part=part, warehouse=store, quantity=5)
    client = _client(plant.admin)
    response = client.post(
        reverse("admin:parts_stock_change", args=[stock.pk]),
        {"low_threshold": "3", "quantity": "999"},
    )
    assert response.status_code == 302
    stock.refresh_from_db()
    assert (stock.low_threshold, stock.quantity) == (3, 5)


def test_an_endpoint_address_typed_without_a_scheme_is_https(plant: Any) -> None:
    from django.test import RequestFactory

    from gongdan.notify.models import Endpoint

    request = RequestFactory().get("/admin/notify/endpoint/add/")
    request.user = plant.admin
    form = admin.site._registry[Endpoint].get_form(request)()
    assert form.fields["url"].clean("hooks.example.test/gongdan") == (
        "https://hooks.example.test/gongdan"
    )
    # A local receiver keeps the scheme it was given.
    assert form.fields["url"].clean("http://127.0.0.1:9000/x") == "http://127.0.0.1:9000/x"


def test_an_administrator_sees_messages_still_waiting_for_the_ticker(plant: Any) -> None:
    """Batches live about a second; ones that stay tell that no ticker is running."""
    from gongdan.notify.models import MessageBatch

    batch = MessageBatch.objects.create(
        messages=[
            {"recipient": plant.wang.pk, "template": "order_assigned", "context": {}},
            {"recipient": plant.dispatcher.pk, "template": "routing_notice", "context": {}},
        ]
    )
    client = _client(plant.admin)
    listing = client.get(reverse("admin:notify_messagebatch_changelist"))
    assert listing.status_code == 200
    assert '<td class="field-size">2</td>' in listing.content.decode()
    detail = client.get(reverse("admin:notify_messagebatch_change", args=[batch.pk]))
    assert detail.status_code == 200
    assert "order_assigned" in detail.content.decode()
    # Read-only: nobody edits what the ticker is about to make.
    assert (
        client.post(
            reverse("admin:notify_messagebatch_change", args=[batch.pk]), {"messages": "[]"}
        ).status_code
        == 403
    )
    assert len(MessageBatch.objects.get(pk=batch.pk).messages) == 2
