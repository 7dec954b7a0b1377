"""The dispatcher board and the order list: columns, filters, saved views, assignment."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from gongdan.office.models import SavedView
from gongdan.workorders.services import work_order_assign
from tests.conftest import PASSWORD


def client_for(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def card_numbers(html: str, category: str) -> list[str]:
    column = html.split(f'data-category="{category}"', 1)[1].split("</section>", 1)[0]
    return re.findall(r'data-number="([^"]+)"', column)


def test_board_puts_orders_in_columns_by_state_with_red_first(plant, new_order):
    blue = new_order(title="计划保养", priority="blue")
    red = new_order(title="注塑机停机", priority="red")
    yellow = new_order(title="液压异响", priority="yellow")
    taken = new_order(title="已派的单", priority="red")
    work_order_assign(order=taken, actor=plant.dispatcher, assignee=plant.wang)

    html = client_for(plant.dispatcher).get("/board/").content.decode()

    assert card_numbers(html, "new") == [red.number, yellow.number, blue.number]
    assert card_numbers(html, "assigned") == [taken.number]
    assert "王工" in html


def test_board_filters_stay_in_the_url_and_in_the_polling_request(plant, new_order):
    east = new_order(title="华东的单", asset=plant.press)
    south = new_order(title="华南的单", asset=plant.south_press)

    response = client_for(plant.dispatcher).get("/board/", {"region": "south", "q": "华南"})
    html = response.content.decode()

    assert south.number in html
    assert east.number not in html
    assert 'hx-get="/board/?region=south&amp;q=' in html


def test_board_refresh_returns_only_the_columns(plant, new_order):
    order = new_order(priority="red")
    response = client_for(plant.dispatcher).get("/board/", headers={"HX-Request": "true"})
    html = response.content.decode()
    assert order.number in html
    assert "<html" not in html


def test_board_query_count_does_not_grow_with_the_number_of_cards(plant, new_order):
    client = client_for(plant.dispatcher)
    new_order(priority="red")
    client.get("/board/")  # warm caches (sessions, content types)
    with CaptureQueriesContext(connection) as few:
        client.get("/board/")
    for i in range(12):
        order = new_order(title=f"第{i}张", priority=["red", "yellow", "blue"][i % 3])
        if i % 2:
            work_order_assign(order=order, actor=plant.dispatcher, assignee=plant.li)
    with CaptureQueriesContext(connection) as many:
        response = client.get("/board/")
    assert response.content.decode().count('class="wo ') == 13
    assert len(many.captured_queries) == len(few.captured_queries)


def test_board_first_load_is_under_150_kb_compressed(plant, new_order):
    for i in range(40):
        new_order(title=f"工单 {i}", priority=["red", "yellow", "blue"][i % 3])
    html = client_for(plant.dispatcher).get("/board/").content
    total = len(gzip.compress(html))
    for ref in re.findall(rb'(?:href|src)="/static/([^"]+)"', html):
        path = finders.find(ref.decode())
        assert path, f"static file {ref!r} is missing"
        total += len(gzip.compress(Path(path).read_bytes()))
    assert total <= 150 * 1024
    assert settings.STATIC_URL == "/static/"


def test_dispatcher_assigns_and_reassigns_from_a_card(plant, new_order):
    order = new_order(priority="red")
    client = client_for(plant.dispatcher)

    picker = client.get(f"/orders/{order.number}/assign/", headers={"HX-Request": "true"})
    assert "王工" in picker.content.decode()

    card = client.post(
        f"/orders/{order.number}/assign/",
        {"assignee": "wang", "version": order.version},
        headers={"HX-Request": "true"},
    )
    assert "王工" in card.content.decode()
    order.refresh_from_db()
    assert order.assignee == plant.wang
    assert order.state_category == "assigned"

    client.post(
        f"/orders/{order.number}/assign/",
        {"assignee": "li", "version": order.version},
        headers={"HX-Request": "true"},
    )
    order.refresh_from_db()
    assert order.assignee == plant.li


def test_clerk_may_not_assign_from_the_board(plant, new_order):
    order = new_order()
    response = client_for(plant.clerk).post(
        f"/orders/{order.number}/assign/", {"assignee": "wang", "version": order.version}
    )
    assert response.status_code == 403
    order.refresh_from_db()
    assert order.assignee is None


def test_saved_view_brings_back_the_filters(plant, new_order):
    client = client_for(plant.dispatcher)
    response = client.post(
        "/views/", {"name": "华南红单", "kind": "board", "query": "region=south&priority=red"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/board/?region=south&priority=red"
    board = client.get("/board/").content.decode()
    assert "华南红单" in board
    assert 'href="/board/?region=south&amp;priority=red"' in board
    assert SavedView.objects.filter(user=plant.manager).count() == 0
    assert "华南红单" not in client_for(plant.manager).get("/board/").content.decode()


def test_list_sorts_by_column_and_pages(plant, new_order):
    orders = [new_order(title=f"单{i}") for i in range(3)]
    client = client_for(plant.dispatcher)
    html = client.get("/orders/", {"sort": "number"}).content.decode()
    positions = [html.index(o.number) for o in orders]
    assert positions == sorted(positions)
    html = client.get("/orders/", {"sort": "-number"}).content.decode()
    positions = [html.index(o.number) for o in orders]
    assert positions == sorted(positions, reverse=True)
    assert "第 1 / 1 页" in html
