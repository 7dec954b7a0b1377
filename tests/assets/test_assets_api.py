"""The equipment registry over REST: who may read and write, filters, paging, errors."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gongdan.assets.models import Area, Asset, Line, Site

pytestmark = pytest.mark.django_db


@pytest.fixture
def sites(plant: Any) -> dict[str, Any]:
    plant_site = Site.objects.create(code="hq", name="总厂", region=plant.east)
    customer = Site.objects.create(
        code="acme", name="艾克米工厂", customer="艾克米塑胶", region=plant.south
    )
    workshop = Area.objects.create(site=plant_site, name="注塑车间")
    line_a = Line.objects.create(area=workshop, name="A 线")
    Asset.objects.filter(code="IMM-001").update(site=plant_site, area=workshop, line=line_a)
    for n in range(5):
        Asset.objects.create(
            code=f"CUS-{n:03d}",
            name=f"客户注塑机 {n}",
            site=customer,
            customer="艾克米塑胶",
            region=plant.south,
        )
    return {"hq": plant_site, "acme": customer, "workshop": workshop}


def test_staff_list_filters_by_site_region_customer_and_text(plant: Any, api: Any, sites: Any):
    client = api(plant.wang)
    by_site = client.get("assets", site="acme").json()
    assert by_site["count"] == 5
    assert {a["site"] for a in by_site["results"]} == {"acme"}
    by_region = client.get("assets", region="south").json()
    assert by_region["count"] == 6  # five customer machines and IMM-101
    by_customer = client.get("assets", customer="艾克米").json()
    assert by_customer["count"] == 5
    by_text = client.get("assets", q="MA1600").json()
    assert [a["code"] for a in by_text["results"]] == ["IMM-001"]
    press = by_text["results"][0]
    assert (press["site"], press["area"], press["line"]) == ("hq", "注塑车间", "A 线")
    assert press["place"] == "总厂 · 注塑车间 · A 线 · 一车间 A 线"


def test_pages_cost_the_same_queries_however_many_machines(plant: Any, api: Any, sites: Any):
    client = api(plant.dispatcher)
    first = client.get("assets", page_size=2).json()
    assert (first["count"], len(first["results"])) == (7, 2)
    last = client.get("assets", page=4, page_size=2).json()
    assert [a["code"] for a in last["results"]] == ["IMM-101"]
    with CaptureQueriesContext(connection) as small:
        client.get("assets", page_size=2)
    with CaptureQueriesContext(connection) as large:
        client.get("assets", page_size=200)
    assert len(small) == len(large)


def test_bad_paging_is_named(plant: Any, api: Any):
    response = api(plant.dispatcher).get("assets", page=0, page_size=500)
    assert response.status_code == 422
    assert "page" in response.json()["errors"]
    wrong_type = api(plant.dispatcher).get("assets", page="two")
    assert wrong_type.status_code == 422
    assert "page" in wrong_type.json()["errors"]


def test_detail_by_code_and_unknown_code(plant: Any, api: Any, sites: Any):
    client = api(plant.manager)
    body = client.get("assets/IMM-001").json()
    assert body["name"] == "注塑机 海天 MA1600"
    assert body["public_url"].endswith("/q/IMM-001")
    missing = client.get("assets/NOPE-1")
    assert missing.status_code == 404
    assert missing.json()["code"] == "not_found"


@pytest.mark.parametrize(
    ("who", "status"), [("anonymous", 401), ("requester", 403), ("engineer", 200)]
)
def test_who_may_read_the_registry(plant: Any, api: Any, who: str, status: int):
    user = {"anonymous": None, "requester": plant.requester, "engineer": plant.zhang}[who]
    assert api(user).get("assets").status_code == status
    assert api(user).get("assets/IMM-001").status_code == status


@pytest.mark.parametrize(
    ("who", "status"),
    [("anonymous", 401), ("engineer", 403), ("manager", 403), ("admin", 201), ("dispatcher", 201)],
)
def test_who_may_register_a_machine(plant: Any, api: Any, sites: Any, who: str, status: int):
    user = {
        "anonymous": None,
        "engineer": plant.wang,
        "manager": plant.manager,
        "admin": plant.admin,
        "dispatcher": plant.dispatcher,
    }[who]
    response = api(user).post(
        "assets",
        {"code": "IMM-002", "name": "注塑机 海天 MA900", "site": "hq", "area": "注塑车间"},
    )
    assert response.status_code == status, response.json()
    assert Asset.objects.filter(code="IMM-002").exists() == (status == 201)
    if status == 201:
        body = response.json()
        assert (body["site"], body["area"], body["region"]) == ("hq", "注塑车间", "east")
    else:
        assert set(response.json()) == {"code", "message", "errors"}


def test_a_customer_machine_takes_the_sites_customer_and_region(plant: Any, api: Any, sites: Any):
    body = api(plant.admin).post("assets", {"code": "CUS-100", "name": "冷水机", "site": "acme"})
    assert body.json()["customer"] == "艾克米塑胶"
    assert body.json()["region"] == "south"


def test_registering_refuses_missing_fields_wrong_types_and_unknown_places(
    plant: Any, api: Any, sites: Any
):
    client = api(plant.dispatcher)
    missing = client.post("assets", {"name": "无编号"})
    assert missing.status_code == 422
    assert set(missing.json()["errors"]) == {"code"}
    wrong = client.post(
        "assets", {"code": "X-1", "name": "x", "latitude": "north", "installed_on": "soon"}
    )
    assert wrong.status_code == 422
    assert {"latitude", "installed_on"} <= set(wrong.json()["errors"])
    unknown = client.post(
        "assets",
        {"code": "X-1", "name": "x", "site": "mars", "region": "west", "longitude": 200},
    )
    assert unknown.status_code == 422
    assert set(unknown.json()["errors"]) == {"site", "region", "longitude"}
    no_line = client.post(
        "assets", {"code": "X-1", "name": "x", "site": "hq", "area": "注塑车间", "line": "Z 线"}
    )
    assert no_line.status_code == 422
    assert "Z 线" in no_line.json()["errors"]["line"]
    assert not Asset.objects.filter(code="X-1").exists()


def test_a_code_already_in_use_is_a_conflict(plant: Any, api: Any):
    response = api(plant.admin).post("assets", {"code": "IMM-001", "name": "另一台"})
    assert response.status_code == 409
    assert "code" in response.json()["errors"]
    assert Asset.objects.get(code="IMM-001").name == "注塑机 海天 MA1600"


def test_update_changes_only_the_fields_sent(plant: Any, api: Any, sites: Any):
    client = api(plant.dispatcher)
    response = client.patch("assets/IMM-001", {"serial_number": "HT-2020-77", "is_active": False})
    assert response.status_code == 200
    body = response.json()
    assert (body["serial_number"], body["is_active"], body["line"]) == ("HT-2020-77", False, "A 线")
    moved = client.patch("assets/IMM-001", {"site": "acme"}).json()
    # Another site: the old workshop and line no longer apply.
    assert (moved["site"], moved["area"], moved["line"]) == ("acme", None, None)


def test_update_refuses_a_taken_code_a_blank_name_and_other_roles(plant: Any, api: Any):
    client = api(plant.admin)
    taken = client.patch("assets/IMM-001", {"code": "IMM-101"})
    assert taken.status_code == 409
    blank = client.patch("assets/IMM-001", {"name": ""})
    assert blank.status_code == 422
    assert "name" in blank.json()["errors"]
    assert api(plant.wang).patch("assets/IMM-001", {"name": "x"}).status_code == 403
    assert api(None).patch("assets/IMM-001", {"name": "x"}).status_code == 401
    assert api(plant.admin).patch("assets/NOPE", {"name": "x"}).status_code == 404
    assert Asset.objects.get(code="IMM-001").name == "注塑机 海天 MA1600"
