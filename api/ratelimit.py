"""Requests per client IP (the `limits` library): ``/chat/messages`` and the sign-ins.

Each limited route depends on ``rate_limited(name)``; beyond the limits of
``<NAME>_RATE_LIMIT`` the request is answered 429 with ``Retry-After`` (seconds) and a
short Chinese message before the route runs. The client IP is the connecting address,
or the one X-Forwarded-For names when the connection comes from a trusted proxy
(``FORWARDED_ALLOW_IPS``, applied by uvicorn's ProxyHeadersMiddleware in api/main.py).

The counters live in ``RATE_LIMIT_STORAGE_URL``: process memory by default, which is
right for one API process; several replicas need a shared store (Redis).
"""
from __future__ import annotations

import math
import time

from fastapi import Depends, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool
from limits import RateLimitItem
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from api.config import ApiSettings

TOO_MANY = "请求过于频繁，请 {seconds} 秒后再试"


class RateLimits:
    """The app's counters: one moving window per limit, client IP and name."""

    def __init__(self, settings: ApiSettings) -> None:
        self._limiter = MovingWindowRateLimiter(storage_from_string(settings.rate_limit_storage_url))
        self.in_memory = settings.rate_limit_storage_url.startswith("memory://")
        self._items = {name: settings.rate_limits(name) for name in ("chat", "login")}

    def retry_after(self, name: str, client: str) -> int | None:
        """Count one request; None when it is within the limits, else the seconds to wait."""
        for item in self._items[name]:
            if not self._limiter.hit(item, name, client):
                return self._seconds_until_free(item, name, client)
        return None

    def _seconds_until_free(self, item: RateLimitItem, name: str, client: str) -> int:
        reset = self._limiter.get_window_stats(item, name, client).reset_time
        return max(1, math.ceil(reset - time.time()))


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def too_many_requests(seconds: int, detail: str = TOO_MANY) -> HTTPException:
    return HTTPException(
        status.HTTP_429_TOO_MANY_REQUESTS,
        detail=detail.format(seconds=seconds, minutes=math.ceil(seconds / 60)),
        headers={"Retry-After": str(seconds)},
    )


def rate_limited(name: str):
    """A dependency counting the request against ``name``'s limits for its client IP."""

    async def check(request: Request) -> None:
        limits: RateLimits = request.app.state.rate_limits
        if limits.in_memory:  # microseconds: counted in the event loop, no worker thread taken
            seconds = limits.retry_after(name, client_ip(request))
        else:  # a network store (Redis): off the event loop
            seconds = await run_in_threadpool(limits.retry_after, name, client_ip(request))
        if seconds is not None:
            raise too_many_requests(seconds)

    check.__name__ = f"rate_limited_{name}"
    return Depends(check)


ChatLimit = rate_limited("chat")
LoginLimit = rate_limited("login")
