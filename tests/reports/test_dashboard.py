"""The dashboard: thresholds as colour, every number opens its orders, tables export."""

from __future__ import annotations

import csv
import io
import re
from html import unescape

import pytest
from django.test import Client
from openpyxl import load_workbook

from tests.reports.conftest import History

WEEK = "start=2025-10-06&end=2025-10-12"
LINK = re.compile(r'<a class="figure ([a-z]*)" href="([^"]+)"( data-count)?>([^<]+)</a>')


def signed_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def kpi_links(html: str) -> list[tuple[str, str, str, str]]:
    section = html[html.index('class="kpis"') : html.index('class="exports-line"')]
    return [(css, unescape(href), n, text) for css, href, n, text in LINK.findall(section)]


def test_every_dashboard_count_opens_exactly_its_orders(history: History) -> None:
    client = signed_in(history.plant.manager)
    response = client.get(f"/reports/?{WEEK}")
    assert response.status_code == 200
    html = response.content.decode()
    links = kpi_links(html)
    assert len(links) >= 20
    counted = 0
    for _css, href, is_count, text in links:
        page = client.get(href)
        assert page.status_code == 200, href
        rows = page.content.decode().count("<tr data-order=")
        if is_count:
            assert rows == int(text), (href, text)
            counted += 1
        else:
            assert rows > 0 or text == "—", (href, text)
    assert counted >= 10


def test_kpi_cards_take_the_threshold_colours(history: History) -> None:
    html = signed_in(history.plant.manager).get(f"/reports/?{WEEK}").content.decode()
    assert re.search(r'class="kpi bad" data-kpi="sla"', html)  # 66.7% < 70%
    assert re.search(r'class="kpi good" data-kpi="evaluation"', html)  # 75% > 60%
    assert re.search(r'class="kpi bad" data-kpi="throughput"', html)  # 0.33 < 2
    assert "100% 的超时工单在星期五 16:00–19:00 开单。" in html
    # ECharts is loaded here, on the report page.
    assert "vendor/echarts.min.js" in html


def test_the_heatmap_sentence_and_the_engineer_table_link_to_orders(history: History) -> None:
    client = signed_in(history.plant.manager)
    html = client.get(f"/reports/?{WEEK}").content.decode()
    href = unescape(re.search(r'class="heat-sentence"><a href="([^"]+)"', html).group(1))  # type: ignore[union-attr]
    page = client.get(href).content.decode()
    assert history["B"].number in page and history["E"].number in page
    wang = history.plant.wang.pk
    page = client.get(f"/reports/orders/?{WEEK}&m=eng.{wang}.entered").content.decode()
    assert page.count("<tr data-order=") == 1 and history["D"].number in page
    # Each order in the list links to the order page.
    assert f'href="/orders/{history["D"].number}/"' in page


def test_filters_narrow_the_dashboard(history: History) -> None:
    client = signed_in(history.plant.manager)
    html = client.get(f"/reports/?{WEEK}&asset=IMM-101").content.decode()
    created = client.get(f"/reports/orders/?{WEEK}&asset=IMM-101&m=created").content.decode()
    assert created.count("<tr data-order=") == 1
    assert history["C"].number in created
    assert 'value="IMM-101"' in html


@pytest.mark.parametrize("username", ["wang", "requester", "clerk"])
def test_only_managers_dispatchers_and_admins_see_reports(history: History, username: str) -> None:
    user = getattr(
        history.plant, {"wang": "wang", "requester": "requester", "clerk": "clerk"}[username]
    )
    client = signed_in(user)
    assert client.get(f"/reports/?{WEEK}").status_code == 403
    assert client.get(f"/reports/orders/?{WEEK}&m=created").status_code == 403
    assert client.get(f"/reports/export/engineers.csv?{WEEK}").status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(db: None) -> None:
    response = Client().get("/reports/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_unknown_figures_and_tables_are_not_found(history: History) -> None:
    client = signed_in(history.plant.dispatcher)
    assert client.get(f"/reports/orders/?{WEEK}&m=nonsense").status_code == 404
    assert client.get(f"/reports/export/nonsense.csv?{WEEK}").status_code == 404


def test_engineer_table_exports_to_csv_and_xlsx(history: History) -> None:
    client = signed_in(history.plant.manager)
    response = client.get(f"/reports/export/engineers.csv?{WEEK}")
    assert response["Content-Type"].startswith("text/csv")
    assert "engineers-20251006-20251012.csv" in response["Content-Disposition"]
    text = response.content.decode("utf-8-sig")
    rows = {row[0]: row for row in csv.reader(io.StringIO(text))}
    assert rows["工程师"][1] == "系统关闭"
    assert rows["王工"][1:4] == ["2", "1", "0"]
    assert rows["李工"][3] == "1"

    response = client.get(f"/reports/export/engineers.xlsx?{WEEK}")
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = {row[0]: row for row in sheet.iter_rows(values_only=True)}  # type: ignore[union-attr]
    assert values["王工"][1] == 2
    assert values["王工"][4] == pytest.approx(2 / 3)


def test_a_figures_order_list_exports_too(history: History) -> None:
    client = signed_in(history.plant.manager)
    response = client.get(f"/reports/orders/?{WEEK}&m=sla_missed&format=xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))  # type: ignore[union-attr]
    assert rows[0][0] == "工单号"
    assert [r[0] for r in rows[1:]] == [history["B"].number]
    response = client.get(f"/reports/orders/?{WEEK}&m=late&format=csv")
    assert response.content.decode("utf-8-sig").count("WO-2025-") == 2


def test_the_dashboard_speaks_english(history: History) -> None:
    client = signed_in(history.plant.manager)
    html = client.get(f"/reports/?{WEEK}", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "SLA closure rate" in html
    assert "100% of late orders were opened on Friday 16:00–19:00." in html
