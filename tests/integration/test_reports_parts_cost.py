"""Reports show what parts cost, from the spare-parts app's own figures.

History: two orders resolved today on IMM-001. The first used two contactors
(¥320) and a heater band (¥85), and one contactor went back to the shelf, so
its parts cost ¥405; the second used none. Per resolved order: ¥202.50.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone, translation

from gongdan.parts import selectors as parts_selectors
from gongdan.parts import services as parts
from gongdan.reports.pdf import weekly_report_pdf
from gongdan.reports.selectors import Period
from gongdan.workorders.models import WorkOrder
from gongdan.workorders.services import work_order_assign
from tests.conftest import Plant, require_service
from tests.integration.conftest import Shelf, resolve


@pytest.fixture
def two_resolved(plant: Plant, shelf: Shelf, new_order: Callable[..., Any]) -> list[WorkOrder]:
    with_parts, without = new_order(title="注塑机不启动"), new_order(title="料斗报警")
    for order in (with_parts, without):
        work_order_assign(order=order, actor=plant.dispatcher, assignee=plant.wang)
    requisition = parts.requisition_create(
        actor=plant.wang,
        order=with_parts,
        lines=[
            parts.LineIn(part=shelf.contactor, quantity=2),
            parts.LineIn(part=shelf.heater, quantity=1),
        ],
    )
    requisition.refresh_from_db()
    parts.requisition_issue(
        actor=plant.warehouse, requisition=requisition, version=requisition.version
    )
    requisition.refresh_from_db()
    line = requisition.lines.get(part=shelf.contactor)
    parts.requisition_return(
        actor=plant.warehouse,
        requisition=requisition,
        quantities={line.pk: 1},
        version=requisition.version,
        reason="多领了一个",
    )
    for order in (with_parts, without):
        resolve(order, plant.wang)
    # The figure the parts app itself shows on the order.
    assert parts_selectors.order_parts_cost(with_parts).total == Decimal("405.00")
    return [with_parts, without]


def _signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_dashboard_shows_parts_cost_per_order_and_total(
    plant: Plant, two_resolved: list[WorkOrder]
) -> None:
    today = timezone.localdate().isoformat()
    client = _signed_in(plant.manager)
    html = client.get(f"/reports/?start={today}&end={today}").content.decode()
    card = html[html.index('data-kpi="parts"') :]
    card = card[: card.index("</article>")]
    assert "单均备件成本" in card and "202.50" in card
    assert "备件总成本" in card and "405.00" in card

    # The total opens the orders that used parts, each with its own cost.
    href = re.search(r'href="([^"]*m=parts[^"]*)"', card)
    assert href is not None
    page = client.get(href.group(1).replace("&amp;", "&")).content.decode()
    assert page.count("<tr data-order=") == 1
    assert two_resolved[0].number in page and two_resolved[1].number not in page
    assert "备件成本" in page and "405.00" in page


def test_weekly_pdf_carries_the_parts_cost(
    plant: Plant, two_resolved: list[WorkOrder], tmp_path: Path
) -> None:
    require_service("poppler-utils", bool(shutil.which("pdftotext")), "make browser-deps")
    week = Period.week_of(timezone.localdate()).iso
    with translation.override("zh-hans"):
        pdf = weekly_report_pdf(week, now=timezone.now())
    path = tmp_path / "week.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout
    assert "单均备件成本" in text and "202.50" in text
    assert "备件总成本" in text and "405.00" in text
