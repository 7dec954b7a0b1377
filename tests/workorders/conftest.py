from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    # A request that asks for English leaves English active in its thread; a later
    # test on the same worker that calls a service directly got English messages
    # and failed, depending on how the tests were shared out between workers.
    translation.deactivate()
    yield
    translation.deactivate()
