"""Fixed-window counters in Django's cache, for the public pages.

The cache is per process with the default LocMem backend; with Redis configured
as the cache the limits hold across processes. Either way the limit is a brake
on floods and mistakes, not an accounting record, so losing a counter is fine.
"""

from __future__ import annotations

import time

from django.core.cache import cache


def allow(key: str, *, limit: int, window: int) -> bool:
    """Count one hit on ``key``; False once more than ``limit`` fall in the current window."""
    bucket = int(time.time() // window)
    cache_key = f"gongdan:rl:{key}:{bucket}"
    cache.add(cache_key, 0, timeout=window + 5)
    try:
        count = cache.incr(cache_key)
    except ValueError:
        # Evicted between add and incr: start the window again.
        cache.set(cache_key, 1, timeout=window + 5)
        count = 1
    return count <= limit
