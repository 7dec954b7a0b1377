"""A fixed number of creates in one process, through Django's WSGI handler as a
server calls it, and nothing else: what ``bench/run.py --instructions`` runs under
callgrind, twice with different counts, for gongdan and for the limit.

    python -m bench.count gongdan --count N   POST /api/v1/work-orders (the bench plant)
    python -m bench.count limit --count N     POST /rows, the bare one-INSERT view

Each run first makes WARM_CREATES creates, alike in both counted runs: caches
loaded, statements built. gongdan's cached configuration is kept for the whole run,
so that no reload lands in one count and not the other (under callgrind a create
takes ~50 times as long, and the caches' two seconds would expire every few).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
from collections.abc import Callable
from typing import Any

# The body every create benchmark sends: wrk's, the counted runs' and the query count's.
CREATE_BODY = {
    "type": "equipment_repair",
    "title": "注塑机 海天 MA1600 漏油",
    "description": "一车间 A 线，液压站下方有油迹，压力表读数偏低。",
    "priority": "red",
    "asset": "IMM-0001",
    "data": {"symptom": "oil_leak", "machine_stopped": True},
}
WARM_CREATES = 20
_BODY = json.dumps(CREATE_BODY).encode()


def post(app: Callable[..., Any], path: str, headers: dict[str, str]) -> None:
    """One POST of CREATE_BODY; anything but 201 stops the run."""
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "HTTP_HOST": "127.0.0.1:8000",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(_BODY)),
        "wsgi.input": io.BytesIO(_BODY),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        **headers,
    }
    statuses: list[str] = []
    response = app(environ, lambda status, headers, exc_info=None: statuses.append(status))
    b"".join(response)
    response.close()
    if not statuses[0].startswith("201"):
        raise SystemExit(f"create failed: {statuses[0]}")


def gongdan_creates(count: int) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gongdan.settings")
    import django

    django.setup()

    from bench import data
    from gongdan.core import cache
    from gongdan.core.handlers import GongdanWSGIHandler

    people = data.seed_people()
    kept = [(held, held._ttl) for held in cache._all]  # type: ignore[attr-defined]  # both kinds
    for held, _ in kept:
        held._ttl = float("inf")  # type: ignore[attr-defined]
    app = GongdanWSGIHandler()  # what gongdan.wsgi serves
    headers = {"HTTP_AUTHORIZATION": f"Bearer {people.token}"}
    try:
        for _ in range(WARM_CREATES + count):
            post(app, "/api/v1/work-orders", headers)
    finally:
        for held, ttl in kept:
            held._ttl = ttl  # type: ignore[attr-defined]
    return WARM_CREATES + count


def limit_creates(count: int) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "limit_site.settings")
    import django

    django.setup()
    from django.core.handlers.wsgi import WSGIHandler

    app = WSGIHandler()
    for _ in range(WARM_CREATES + count):
        post(app, "/rows", {})
    return WARM_CREATES + count


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.count")
    parser.add_argument("project", choices=["gongdan", "limit"])
    parser.add_argument("--count", type=int, default=100)
    args = parser.parse_args()
    made = (gongdan_creates if args.project == "gongdan" else limit_creates)(args.count)
    print(json.dumps({"creates": made}))


if __name__ == "__main__":
    main()
