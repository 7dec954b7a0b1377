"""The parts REST API: every step as a client sees it, with the errors it gets."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook

from gongdan.parts.models import Part


@pytest.fixture
def clients(plant, api):
    return {
        name: api(getattr(plant, name))
        for name in ("wang", "zhang", "dispatcher", "manager", "warehouse", "admin", "requester")
    }


def _request(clients, order, *lines):
    return clients["wang"].post(
        "parts/requisitions",
        {"order": order.number, "lines": [{"part": p, "quantity": q} for p, q in lines]},
    )


def test_request_approve_issue_receive_return_through_the_api(
    plant, store, clients, assigned_order
):
    created = _request(clients, assigned_order, ("CT-LC1D25", 2))
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["amount"] == "640.00"
    assert [s["name"] for s in body["steps"]] == ["主管审批", "经理审批"]
    rid, steps = body["id"], [s["id"] for s in body["steps"]]

    mine = clients["dispatcher"].get("parts/requisitions", awaiting_me="true").json()
    assert [r["number"] for r in mine] == [body["number"]]
    assert clients["manager"].get("parts/requisitions", awaiting_me="true").json() == []

    first = clients["dispatcher"].post(
        f"parts/requisitions/{rid}/steps/{steps[0]}/decision",
        {"decision": "approve", "version": 1, "comment": "同意"},
    )
    assert first.status_code == 200
    second = clients["manager"].post(
        f"parts/requisitions/{rid}/steps/{steps[1]}/decision",
        {"decision": "approve", "version": 2},
    )
    assert second.json()["status"] == "approved"

    issued = clients["warehouse"].post(f"parts/requisitions/{rid}/issue", {"version": 3})
    assert issued.json()["status"] == "issued"
    received = clients["wang"].post(f"parts/requisitions/{rid}/receive", {"version": 4})
    assert received.json()["status"] == "received"
    line = received.json()["lines"][0]["id"]
    returned = clients["warehouse"].post(
        f"parts/requisitions/{rid}/return",
        {"version": 5, "lines": [{"line": line, "quantity": 1}], "reason": "多领"},
    )
    assert returned.json()["lines"][0]["quantity_returned"] == "1.00"

    cost = clients["dispatcher"].get(f"parts/orders/{assigned_order.number}/cost").json()
    assert cost["total"] == "320.00"
    assert cost["charge_to"] == "internal"
    events = clients["dispatcher"].get(f"work-orders/{assigned_order.number}/events").json()
    assert "parts_returned" in [e["action"] for e in events]


def test_decision_permissions_and_conflicts(plant, store, clients, assigned_order):
    body = _request(clients, assigned_order, ("HB-60", 1)).json()
    url = f"parts/requisitions/{body['id']}/steps/{body['steps'][0]['id']}/decision"
    approve = {"decision": "approve", "version": 1}

    anonymous = __import__("tests.conftest", fromlist=["ApiClient"]).ApiClient(None)
    assert anonymous.post(url, approve).status_code == 401
    # Outside the order's scope the requisition does not exist for you.
    assert clients["zhang"].post(url, approve).status_code == 404
    wrong = clients["manager"].post(url, approve)
    assert wrong.status_code == 403
    assert wrong.json()["code"] == "forbidden"
    assert clients["wang"].post(url, approve).status_code == 403

    assert clients["dispatcher"].post(url, approve).status_code == 200
    again = clients["dispatcher"].post(url, {"decision": "reject", "version": 2, "comment": "x"})
    assert again.status_code == 409
    assert again.json()["code"] == "conflict"
    stale = clients["dispatcher"].post(url, approve)
    assert stale.status_code == 409
    assert stale.json()["code"] == "stale_version"


def test_rejection_needs_a_comment_and_reaches_the_requester(plant, store, clients, assigned_order):
    body = _request(clients, assigned_order, ("HB-60", 1)).json()
    url = f"parts/requisitions/{body['id']}/steps/{body['steps'][0]['id']}/decision"
    missing = clients["dispatcher"].post(url, {"decision": "reject", "version": 1})
    assert missing.status_code == 422
    assert "comment" in missing.json()["errors"]
    rejected = clients["dispatcher"].post(
        url, {"decision": "reject", "version": 1, "comment": "库里有旧件"}
    )
    assert rejected.json()["status"] == "rejected"
    issue = clients["warehouse"].post(f"parts/requisitions/{body['id']}/issue", {"version": 2})
    assert issue.status_code == 409


def test_stock_operations_are_for_the_warehouse(plant, store, clients):
    receive = {"part": "HB-60", "warehouse": "main", "quantity": "5", "unit_cost": "88"}
    assert clients["wang"].post("parts/stock/receive", receive).status_code == 403
    done = clients["warehouse"].post("parts/stock/receive", receive)
    assert done.status_code == 201
    assert done.json()["balance_after"] == "15.00"
    assert Part.objects.get(code="HB-60").unit_cost == Decimal("88.00")

    no_reason = clients["warehouse"].post(
        "parts/stock/adjust", {"part": "HB-60", "warehouse": "main", "quantity": "-1"}
    )
    assert no_reason.status_code == 422 and "reason" in no_reason.json()["errors"]
    too_much = clients["warehouse"].post(
        "parts/stock/transfer",
        {"part": "HB-60", "source": "main", "target": "south", "quantity": "99"},
    )
    assert too_much.status_code == 409 and too_much.json()["code"] == "out_of_stock"
    moved = clients["warehouse"].post(
        "parts/stock/transfer",
        {"part": "HB-60", "source": "main", "target": "south", "quantity": "3"},
    )
    assert [m["balance_after"] for m in moved.json()] == ["12.00", "3.00"]
    stock = {
        (s["warehouse"], s["part"]): s["quantity"]
        for s in clients["wang"].get("parts/stock").json()
    }
    assert stock[("south", "HB-60")] == "3.00"
    history = clients["warehouse"].get("parts/movements", part="HB-60").json()
    assert [m["kind"] for m in history] == ["transfer_in", "transfer_out", "receive"]


def test_catalogue_suggests_parts_that_fit_the_machine_first(plant, store, clients, assigned_order):
    rows = clients["wang"].get("parts/catalogue", order=assigned_order.number).json()
    fitting = [r["code"] for r in rows if r["fits_machine"]]
    assert fitting == ["CT-LC1D25", "HB-60"]
    assert [r["code"] for r in rows][:2] == fitting


def _sheet(rows):
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    buffer.name = "parts.xlsx"
    return buffer


def test_import_dry_run_then_commit_and_all_or_nothing(plant, store, clients):
    header = ["编码", "名称", "规格型号", "单位", "单价", "类别", "适用机型"]
    good = [
        header,
        ["FU-10A", "熔断器", "RT18-32 10A", "只", 6.5, "electrical", "海天 MA1600、海天 MA2500"],
        ["HB-60", "加热圈（新款）", "Φ60×50", "个", 90, "electrical", "海天 MA1600"],
    ]
    dry = clients["warehouse"].upload("parts/import", {"file": _sheet(good)}, dry_run="true")
    assert dry.json() == {
        "dry_run": True,
        "ok": True,
        "created": ["FU-10A"],
        "updated": ["HB-60"],
        "errors": [],
    }
    assert not Part.objects.filter(code="FU-10A").exists()

    bad = [*good, ["", "无编码", "", "", "abc", "", ""]]
    refused = clients["warehouse"].upload("parts/import", {"file": _sheet(bad)}, dry_run="false")
    assert refused.json()["ok"] is False
    assert {(e["row"], e["field"]) for e in refused.json()["errors"]} == {
        (4, "code"),
        (4, "unit_cost"),
    }
    assert not Part.objects.filter(code="FU-10A").exists()  # nothing written

    done = clients["warehouse"].upload("parts/import", {"file": _sheet(good)}, dry_run="false")
    assert done.json()["ok"] is True
    fuse = Part.objects.get(code="FU-10A")
    assert fuse.compatible_models == ["海天 MA1600", "海天 MA2500"]
    assert Part.objects.get(code="HB-60").name == "加热圈（新款）"

    assert clients["wang"].upload("parts/import", {"file": _sheet(good)}).status_code == 403


def test_import_rejects_a_file_that_is_not_a_workbook(plant, store, clients):
    junk = io.BytesIO(b"not a spreadsheet")
    junk.name = "parts.xlsx"
    response = clients["warehouse"].upload("parts/import", {"file": junk})
    assert response.status_code == 422
    assert "file" in response.json()["errors"]


def test_stock_export_is_a_workbook_with_every_stock_row(plant, store, clients):
    response = clients["warehouse"].client.get(
        "/api/v1/parts/export", headers=clients["warehouse"].headers
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("仓库", "编码", "名称")
    assert ("总仓", "HP-PV2R", "液压叶片泵") in [r[:3] for r in rows[1:]]
    assert len(rows) == 5
