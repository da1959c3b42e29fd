"""Per-client rate limits: GCRA (a token bucket without a refill timer).

Each client may make ``rate`` requests per second on average with bursts of ``burst``. The
limit is exact across worker processes with Redis (:class:`RedisLimiter`, one Lua script, one
round trip); without Redis each worker keeps its own buckets (:class:`LocalLimiter`), so with
N workers a client can reach up to N × rate when its connections spread over the workers.
"""

from __future__ import annotations

import math
import time
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    retry_after: float  # seconds until one more request is allowed (0 when allowed)

    @property
    def retry_after_header(self) -> str:
        """Retry-After wants whole seconds; never say 0 to a refused client."""
        return str(max(1, math.ceil(self.retry_after)))


ALLOWED = Decision(True, 0.0)


class RateLimiter(Protocol):
    async def hit(self, key: str, rate: float, burst: int) -> Decision: ...

    async def close(self) -> None: ...


class LocalLimiter:
    """In-process GCRA: the bucket is the 'theoretical arrival time' per key."""

    def __init__(self, clock: Any = time.monotonic, max_keys: int = 100_000) -> None:
        self._clock = clock
        self._tat: dict[Hashable, float] = {}
        self._max = max_keys

    def hit_now(self, key: Hashable, rate: float, burst: int) -> Decision:
        now = self._clock()
        interval = 1.0 / rate
        tolerance = interval * burst
        tat = self._tat.get(key, now)
        if tat < now:
            tat = now
        new_tat = tat + interval
        allow_at = new_tat - tolerance
        if allow_at > now:
            return Decision(False, allow_at - now)
        if len(self._tat) >= self._max:
            self._tat = {k: v for k, v in self._tat.items() if v > now}
        self._tat[key] = new_tat
        return ALLOWED

    async def hit(self, key: str, rate: float, burst: int) -> Decision:
        return self.hit_now(key, rate, burst)

    async def close(self) -> None:
        return None


_GCRA_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local new_tat = tat + interval
local allow_at = new_tat - tolerance
if allow_at > now then return math.ceil(allow_at - now) end
redis.call('SET', KEYS[1], new_tat, 'PX', math.ceil((tolerance + interval) / 1000) + 1)
return 0
"""


class RedisLimiter:
    """GCRA in Redis (times in microseconds from the Redis server clock)."""

    def __init__(self, url: str, *, prefix: str = "shikaku:rl:") -> None:
        import redis.asyncio as aioredis

        self._redis = aioredis.from_url(url)
        self._script = self._redis.register_script(_GCRA_LUA)
        self._prefix = prefix

    async def hit(self, key: str, rate: float, burst: int) -> Decision:
        interval = 1_000_000.0 / rate
        wait_us = await self._script(keys=[self._prefix + key], args=[interval, interval * burst])
        wait = int(wait_us)
        return ALLOWED if wait <= 0 else Decision(False, wait / 1_000_000)

    async def close(self) -> None:
        await self._redis.aclose()


def make_limiter(redis_url: str | None) -> RateLimiter:
    return RedisLimiter(redis_url) if redis_url else LocalLimiter()
