from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture
def immediate_tasks(settings: Any) -> None:
    """Run tasks in-process as soon as they are enqueued (after commit)."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def receiver() -> Iterator[Any]:
    from .receiver import start_receiver

    server = start_receiver()
    yield server
    if server.stall is not None:
        server.stall.set()
    server.server.shutdown()
    server.server.server_close()
