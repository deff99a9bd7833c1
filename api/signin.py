"""One sign-in check for the API's token login and the pages' sign-in form.

In order, as the routes' dependencies: the per-IP limit (api/ratelimit.py), then a place
in this process's line of ``PasswordChecks`` (Argon2 is deliberately slow: a burst of bad
logins gets 503 at once instead of taking every worker thread and database connection
from the chat and the pages); then, in the route, a running slot for the check itself,
the account's lockout (dealer/services/logins.py) and the demo accounts' rule.
"""
from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Any

from fastapi import Depends, HTTPException, Request, status
from sqlalchemy.orm import Session

from api.config import ApiSettings
from dealer.catalog import Catalog
from dealer.models import StaffUser
from dealer.services.logins import Lockout, sign_in

WRONG_CREDENTIALS = "用户名或密码错误"
LOCKED = "登录失败次数过多，该账号已锁定，请 {minutes} 分钟后再试，或请管理员解锁"
BUSY = "登录请求过多，请稍后再试"


class SignInRefused(Exception):
    """The answer to a refused sign-in; the route sends it (after the failure is saved)."""

    def __init__(self, status_code: int, detail: str, retry_after: int | None = None) -> None:
        super().__init__(detail)
        self.status_code = status_code
        self.detail = detail
        self.headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}


class PasswordChecks:
    """At most ``running`` sign-ins checking a password at once and ``waiting`` more in
    line. The line is entered in the event loop (``in_line``, a dependency that runs
    before anything else of the sign-in route), so a sign-in beyond it is refused at
    once without taking a worker thread or a database connection."""

    def __init__(self, running: int, waiting: int, wait_seconds: float = 10.0) -> None:
        self.running = running
        self._slots = threading.BoundedSemaphore(running)
        self._line = threading.BoundedSemaphore(running + waiting)
        self._wait_seconds = wait_seconds
        self._count = threading.Lock()
        self.in_use = 0
        self.peak = 0  # the most checks that ever ran at once (the tests read it)

    def enter_line(self) -> bool:
        return self._line.acquire(blocking=False)

    def leave_line(self) -> None:
        self._line.release()

    @contextmanager
    def place(self) -> Iterator[None]:
        """A running slot for one password check (waits a while for it)."""
        if not self._slots.acquire(timeout=self._wait_seconds):
            raise SignInRefused(status.HTTP_503_SERVICE_UNAVAILABLE, BUSY, retry_after=1)
        try:
            with self._count:
                self.in_use += 1
                self.peak = max(self.peak, self.in_use)
            yield
        finally:
            with self._count:
                self.in_use -= 1
            self._slots.release()


def in_line(busy: Callable[[], Exception]) -> Any:
    """The sign-in routes' first dependency: a place in line, or ``busy()`` raised."""

    async def wait_in_line(request: Request) -> AsyncIterator[None]:
        checks: PasswordChecks = request.app.state.password_checks
        if not checks.enter_line():
            raise busy()
        try:
            yield
        finally:
            checks.leave_line()

    return Depends(wait_in_line)


def api_busy() -> HTTPException:
    return HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail=BUSY, headers={"Retry-After": "1"})


def lockout(settings: ApiSettings) -> Lockout:
    return Lockout(
        failures=settings.login_lockout_failures,
        window=timedelta(minutes=settings.login_lockout_window_minutes),
        duration=timedelta(minutes=settings.login_lockout_minutes),
    )


def sign_in_staff(
    checks: PasswordChecks, session: Session, settings: ApiSettings, catalog: Catalog,
    username: str, password: str,
) -> StaffUser:
    """The staff user for these credentials, else SignInRefused (401, 429 locked, 503 busy).
    The demo accounts' well-known passwords open nothing outside local/demo mode."""
    demo_login = any(a.username == username and a.password == password for a in catalog.demo_accounts)
    now = datetime.now(timezone.utc)
    with checks.place():
        result = sign_in(session, username, password, lockout(settings), now,
                         password_allowed=settings.is_demo or not demo_login)
    if result.user is not None:
        return result.user
    if result.locked_until is not None:
        seconds = max(1, int((result.locked_until - now).total_seconds()))
        raise SignInRefused(status.HTTP_429_TOO_MANY_REQUESTS,
                            LOCKED.format(minutes=-(-seconds // 60)), retry_after=seconds)
    raise SignInRefused(status.HTTP_401_UNAUTHORIZED, WRONG_CREDENTIALS)
