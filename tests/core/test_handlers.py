"""The server's entry: API calls with a token take the short middleware chain, and
what they still get (security headers, compression, the language, host checks) is
the same; everything else takes the whole chain."""

from __future__ import annotations

import gzip
import json
from typing import Any

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client, RequestFactory

from gongdan.core.services import api_token_create
from gongdan.wsgi import application


def call(
    path: str, *, method: str = "GET", body: Any = None, **headers: str
) -> tuple[int, dict[str, str], bytes]:
    """One request through ``gongdan.wsgi.application``, as the web server makes it."""
    environ = (
        RequestFactory()
        .generic(
            method,
            path,
            json.dumps(body) if body is not None else "",
            content_type="application/json",
            headers=headers,
        )
        .environ
    )
    started: list[Any] = []
    # As Django's test client does: the test's transaction holds the connection, which
    # the server would close between requests.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        response = application(
            environ, lambda status, hdrs, exc_info=None: started.append((status, hdrs))
        )
        content = b"".join(response)
        response.close()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    status, hdrs = started[0]
    return int(status.split()[0]), {k.lower(): v for k, v in hdrs}, content


@pytest.fixture
def token(plant) -> str:
    return api_token_create(user=plant.dispatcher, name="handlers")[1]


def test_a_token_call_skips_the_browsers_middleware_but_keeps_its_protections(token, plant):
    status, headers, content = call("/api/v1/work-orders", Authorization=f"Bearer {token}")
    assert status == 200
    assert json.loads(content)["count"] == 0
    # No session, no CSRF cookie, no frame rule for a machine's JSON …
    assert "set-cookie" not in headers
    assert "x-frame-options" not in headers
    assert "cookie" not in headers.get("vary", "").lower()
    # … but the security headers, the language and a length the client can trust.
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["content-language"] == "zh-hans"
    assert int(headers["content-length"]) == len(content)


def test_a_signed_in_browser_still_takes_the_whole_chain(plant):
    browser = Client()
    browser.force_login(plant.dispatcher)
    response = browser.get("/api/v1/work-orders")
    assert response.status_code == 200
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "Cookie" in response.headers["Vary"]


def test_a_token_call_answers_in_the_language_asked_for(token, plant):
    status, _, content = call(
        "/api/v1/work-orders",
        method="POST",
        body={"type": "no-such-type", "title": "x"},
        Authorization=f"Bearer {token}",
        Accept_Language="en",
    )
    assert status == 422
    assert json.loads(content)["message"] == "Unknown order type."


def test_a_token_call_is_compressed_when_the_client_accepts_it(token, new_order):
    for _ in range(5):
        new_order(title="液压站漏油，压力表读数偏低")
    status, headers, content = call(
        "/api/v1/work-orders", Authorization=f"Bearer {token}", Accept_Encoding="gzip"
    )
    assert status == 200
    assert headers["content-encoding"] == "gzip"
    assert json.loads(gzip.decompress(content))["count"] == 5


def test_a_token_call_to_an_unknown_host_is_refused(token):
    status, _, _ = call("/api/v1/work-orders", Authorization=f"Bearer {token}", Host="evil.example")
    assert status == 400


def test_a_wrong_token_is_refused_even_with_a_session_cookie(plant):
    browser = Client()
    browser.force_login(plant.dispatcher)
    cookie = browser.cookies["sessionid"].value
    status, _, content = call(
        "/api/v1/work-orders", Authorization="Bearer not-a-token", Cookie=f"sessionid={cookie}"
    )
    assert status == 401
    assert json.loads(content)["code"] == "unauthenticated"


def test_a_token_on_a_page_is_not_an_api_call(token):
    # Pages are the browser's: the whole chain, and the token means nothing there.
    status, headers, _ = call("/login/", Authorization=f"Bearer {token}")
    assert status == 200
    assert headers["x-frame-options"] == "DENY"
    assert "csrftoken" in headers.get("set-cookie", "")
