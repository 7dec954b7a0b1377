"""The client's address read through trusted reverse proxies, and never through
anyone else's X-Forwarded-For."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from django.test import RequestFactory

from gongdan.core.clients import client_address
from tests.core.test_settings import start_with


def _address(remote: str, forwarded: str | None = None) -> str:
    headers = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_address(RequestFactory().get("/q/IMM-001", **headers))


def test_without_a_proxy_the_peer_is_the_client(settings):
    settings.FORWARDED_ALLOW_IPS = ["127.0.0.1", "::1"]
    assert _address("203.0.113.7") == "203.0.113.7"


def test_a_header_from_an_untrusted_peer_is_ignored(settings):
    settings.FORWARDED_ALLOW_IPS = ["127.0.0.1", "::1"]
    # A phone writing its own header cannot choose the address it is counted under.
    assert _address("203.0.113.7", "198.51.100.1") == "203.0.113.7"


def test_behind_a_proxy_on_this_machine_the_address_it_forwards_is_the_client(settings):
    settings.FORWARDED_ALLOW_IPS = ["127.0.0.1", "::1"]
    assert _address("127.0.0.1", "203.0.113.7") == "203.0.113.7"
    assert _address("::1", "2001:db8::5") == "2001:db8::5"


def test_the_walk_stops_at_the_first_address_no_trusted_proxy_vouches_beyond(settings):
    settings.FORWARDED_ALLOW_IPS = ["127.0.0.1", "10.0.0.0/8"]
    # phone (spoofed prefix) → CDN-less edge proxy 10.1.1.1 → local nginx → gongdan
    assert _address("127.0.0.1", "6.6.6.6, 203.0.113.7, 10.1.1.1") == "203.0.113.7"


def test_ports_and_brackets_that_proxies_write_are_read(settings):
    settings.FORWARDED_ALLOW_IPS = ["127.0.0.1"]
    assert _address("127.0.0.1", "203.0.113.7:51234") == "203.0.113.7"
    assert _address("127.0.0.1", "[2001:db8::5]:443") == "2001:db8::5"


def test_a_malformed_entry_ends_the_walk_at_the_last_address_read(settings):
    settings.FORWARDED_ALLOW_IPS = ["127.0.0.1", "10.0.0.0/8"]
    assert _address("127.0.0.1", "not-an-address") == "127.0.0.1"
    assert _address("127.0.0.1", "garbage, 10.1.1.1") == "10.1.1.1"
    assert _address("127.0.0.1", "") == "127.0.0.1"


def test_a_star_trusts_every_peer_up_to_the_first_address_written(settings):
    settings.FORWARDED_ALLOW_IPS = ["*"]
    assert _address("192.0.2.1", "203.0.113.7, 10.1.1.1") == "203.0.113.7"


def _start(tmp_path: Path, value: str) -> subprocess.CompletedProcess[str]:
    code = "from django.conf import settings as s; print(s.FORWARDED_ALLOW_IPS)"
    return start_with(tmp_path, code, GONGDAN_FORWARDED_ALLOW_IPS=value)


def test_the_trusted_proxies_come_from_the_environment(tmp_path):
    started = _start(tmp_path, "10.0.0.5, 192.168.0.0/16")
    assert started.returncode == 0, started.stderr
    assert started.stdout.strip() == "['10.0.0.5', '192.168.0.0/16']"


@pytest.mark.parametrize("value", ["nginx", "10.0.0.0/33", "127.0.0.1,local"])
def test_an_entry_that_is_no_address_stops_the_start_and_is_named(tmp_path, value):
    started = _start(tmp_path, value)
    assert started.returncode != 0
    assert "ImproperlyConfigured" in started.stderr
    assert "GONGDAN_FORWARDED_ALLOW_IPS" in started.stderr
    bad = next(v for v in value.split(",") if v not in ("127.0.0.1",))
    assert repr(bad) in started.stderr
