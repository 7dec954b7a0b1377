"""The portal/mobile knobs and the shared cache are read from GONGDAN_* variables."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

SHOW = (
    "import json, gongdan.settings as s; print(json.dumps({"
    "'client': s.PORTAL_RATE_PER_CLIENT, 'asset': s.PORTAL_RATE_PER_ASSET,"
    "'type': s.PORTAL_ORDER_TYPE, 'max_age': s.RATING_LINK_MAX_AGE,"
    "'speed': s.TRAVEL_SPEED_KMH,"
    "'cache': getattr(s, 'CACHES', {}).get('default', {})}))"
)


def settings_with(tmp_path: Path, **variables: str) -> dict[str, Any]:
    """Import the settings in a fresh interpreter with only these GONGDAN_* variables."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("GONGDAN_")}
    environ["GONGDAN_DATA_DIR"] = str(tmp_path)
    environ.update({f"GONGDAN_{k}": v for k, v in variables.items()})
    out = subprocess.run(
        [sys.executable, "-c", SHOW], env=environ, capture_output=True, text=True, check=True
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def test_defaults_match_what_the_apps_assumed(tmp_path: Path) -> None:
    s = settings_with(tmp_path)
    assert s["client"] == [10, 600]
    assert s["asset"] == [5, 600]
    assert s["type"] == "equipment_repair"
    assert s["max_age"] == 30 * 24 * 3600
    assert s["speed"] == 30.0
    assert s["cache"] == {}


def test_environment_overrides_limits_type_link_age_speed_and_cache(tmp_path: Path) -> None:
    s = settings_with(
        tmp_path,
        PORTAL_RATE_PER_CLIENT="3/60",
        PORTAL_RATE_PER_ASSET="2/120",
        PORTAL_ORDER_TYPE="after_sales",
        RATING_LINK_MAX_AGE="86400",
        TRAVEL_SPEED_KMH="45.5",
        REDIS_URL="redis://127.0.0.1:6379/3",
    )
    assert s["client"] == [3, 60]
    assert s["asset"] == [2, 120]
    assert s["type"] == "after_sales"
    assert s["max_age"] == 86400
    assert s["speed"] == 45.5
    assert s["cache"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert s["cache"]["LOCATION"] == "redis://127.0.0.1:6379/3"
