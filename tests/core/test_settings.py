"""Configuration by environment, with embedded defaults."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def start_with(tmp_path: Path, code: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh process with gongdan's settings, whose only GONGDAN_
    variables are the data dir and ``env``."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GONGDAN_")}
    return subprocess.run(
        [sys.executable, "-c", code],
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": "gongdan.settings",
            "GONGDAN_DATA_DIR": str(tmp_path),
            **env,
        },
        capture_output=True,
        text=True,
    )


def settings_json(tmp_path: Path, expression: str, **env: str) -> object:
    """``expression`` (Python, over ``s``, the settings) as JSON, from a fresh process
    (``start_with``)."""
    code = f"import json; from django.conf import settings as s; print(json.dumps({expression}))"
    result = start_with(tmp_path, code, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def read_settings(tmp_path: Path, **env: str) -> dict[str, object]:
    names = [
        "EMAIL_BACKEND", "EMAIL_HOST", "EMAIL_PORT", "EMAIL_FILE_PATH", "TIME_ZONE",
        "LANGUAGE_CODE", "TASKS", "DEBUG",
    ]  # fmt: skip
    values = settings_json(tmp_path, f"{{k: str(getattr(s, k, '')) for k in {names!r}}}", **env)
    assert isinstance(values, dict)
    return values


def test_embedded_defaults(tmp_path):
    values = read_settings(tmp_path)
    assert values["TIME_ZONE"] == "Asia/Shanghai"
    assert values["LANGUAGE_CODE"] == "zh-hans"
    assert values["DEBUG"] == "False"
    assert "django_tasks_db" in values["TASKS"]
    # No SMTP server configured: mail is kept as files in the data dir.
    assert values["EMAIL_BACKEND"].endswith("filebased.EmailBackend")
    assert values["EMAIL_FILE_PATH"] == str(tmp_path / "mail")
    assert (tmp_path / "secret_key").exists()


def test_scale_path_and_smtp_come_from_the_environment(tmp_path):
    values = read_settings(
        tmp_path,
        GONGDAN_SMTP_HOST="mail.example.test",
        GONGDAN_SMTP_PORT="2525",
        GONGDAN_REDIS_URL="redis://127.0.0.1:6379/0",
        GONGDAN_TIME_ZONE="UTC",
        GONGDAN_LANGUAGE="en",
    )
    assert values["EMAIL_BACKEND"].endswith("smtp.EmailBackend")
    assert (values["EMAIL_HOST"], values["EMAIL_PORT"]) == ("mail.example.test", "2525")
    assert "django_tasks_rq" in values["TASKS"]
    assert (values["TIME_ZONE"], values["LANGUAGE_CODE"]) == ("UTC", "en")


def database_options(tmp_path: Path, **env: str) -> dict[str, object]:
    options = settings_json(
        tmp_path,
        "s.DATABASES['default'].get('OPTIONS', {})",
        GONGDAN_DATABASE_URL="postgres://gongdan@db.example.test:5432/gongdan",
        **env,
    )
    assert isinstance(options, dict)
    return options


def test_postgresql_statements_are_prepared_unless_a_pooler_says_otherwise(tmp_path):
    options = database_options(tmp_path)
    assert options["server_side_binding"] is True
    assert options["prepare_threshold"] == 5
    behind_pooler = database_options(tmp_path, GONGDAN_PG_PREPARE_THRESHOLD="off")
    assert behind_pooler["prepare_threshold"] is None
    assert database_options(tmp_path, GONGDAN_PG_PREPARE_THRESHOLD="2")["prepare_threshold"] == 2


def test_the_public_address_is_served_without_more_settings(tmp_path):
    values = settings_json(
        tmp_path,
        "[s.ALLOWED_HOSTS, s.CSRF_TRUSTED_ORIGINS]",
        GONGDAN_PUBLIC_BASE_URL="https://gongdan.plant.example:8443/",
    )
    assert isinstance(values, list)
    hosts, origins = values
    assert "gongdan.plant.example" in hosts and "127.0.0.1" in hosts
    assert "https://gongdan.plant.example:8443" in origins
    assert "http://127.0.0.1:8000" in origins


def test_a_public_address_left_empty_is_the_default(tmp_path):
    values = settings_json(tmp_path, "s.PUBLIC_BASE_URL", GONGDAN_PUBLIC_BASE_URL=" ")
    assert values == "http://127.0.0.1:8000"


def test_a_public_address_on_an_ipv6_literal_is_allowed_as_django_writes_it(tmp_path):
    values = settings_json(
        tmp_path,
        "s.ALLOWED_HOSTS",
        GONGDAN_PUBLIC_BASE_URL="http://[2001:db8::7]:8000",
        GONGDAN_ALLOWED_HOSTS="localhost",
    )
    assert values == ["localhost", "[2001:db8::7]"]


@pytest.mark.parametrize(
    "url", ["gongdan.plant.example", "ftp://gongdan.plant.example", "https://"]
)
def test_a_public_address_that_is_no_web_address_stops_the_start(tmp_path, url):
    started = start_with(
        tmp_path,
        "from django.conf import settings as s; s.ALLOWED_HOSTS",
        GONGDAN_PUBLIC_BASE_URL=url,
    )
    assert started.returncode != 0
    assert "ImproperlyConfigured" in started.stderr
    assert f"GONGDAN_PUBLIC_BASE_URL: {url!r}" in started.stderr
