"""The manager's dashboard in Chromium: charts draw, a number opens its orders."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser import screenshot, sign_in
from tests.conftest import Plant
from tests.reports.conftest import build_history

pytestmark = pytest.mark.browser


def test_manager_reads_the_dashboard_and_opens_the_late_orders(
    page: Any, live_plant: Plant, quiet_signals: None
) -> None:
    history = build_history(live_plant)
    sign_in(page, "manager")
    page.goto("/reports/?start=2025-10-06&end=2025-10-12")
    page.wait_for_selector("#trend-rates[data-ready] canvas")
    page.wait_for_selector("#late-heatmap[data-ready] canvas")
    assert page.locator("[data-kpi=sla] .kpi-value").inner_text() == "66.7%"
    screenshot(page, "reports-dashboard")

    page.click(".heat-sentence a")
    page.wait_for_selector("table.orders")
    numbers = page.locator("tr[data-order]").evaluate_all("rows => rows.map(r => r.dataset.order)")
    assert sorted(numbers) == sorted([history["B"].number, history["E"].number])
    screenshot(page, "reports-late-orders")
