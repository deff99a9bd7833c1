"""What the health checks say when a part is down (the API's ``/api/health``, the
action server's ``/health``): 503 and a JSON body naming the part, never its address.

Healthy stays ``{"status": "ok"}`` (the outside contract). Down::

    {"status": "unavailable", "component": "database", "detail": "数据库暂时无法连接"}

No connection string, host, port, database name or driver error is ever in the body:
the error is logged (masked, dealer/privacy.py) by whoever caught it.
"""
from __future__ import annotations

import asyncio
import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor

from sqlalchemy import text

from dealer.db import get_engine

logger = logging.getLogger(__name__)

OK = {"status": "ok"}
DATABASE = "database"
DATABASE_DETAIL = "数据库暂时无法连接"
# A database that does not answer (a black-holed address) counts as down after this.
PING_TIMEOUT = 3.0


def component_down(component: str, detail: str) -> dict[str, str]:
    return {"status": "unavailable", "component": component, "detail": detail}


def database_down() -> dict[str, str]:
    return component_down(DATABASE, DATABASE_DETAIL)


def ping_database(database_url: str) -> None:
    """``SELECT 1`` on a pooled connection (pre-pinged); raises when the database is down."""
    with get_engine(database_url).connect() as connection:
        connection.execute(text("SELECT 1"))


# One ping at a time per database, shared by the checks that come meanwhile: against a
# database that answers nothing a ping hangs until the TCP timeout, and a probe every few
# seconds must not fill the worker threads the actions need.
_pings: dict[str, Future] = {}
_pings_lock = threading.Lock()
_pinger = ThreadPoolExecutor(max_workers=2, thread_name_prefix="health-ping")


def _ping(database_url: str) -> Future:
    with _pings_lock:
        running = _pings.get(database_url)
        if running is None or running.done():
            running = _pings[database_url] = _pinger.submit(ping_database, database_url)
        return running


async def database_answers(database_url: str, timeout: float = PING_TIMEOUT) -> bool:
    """Whether the dealer database answers within ``timeout`` seconds (from an event loop)."""
    try:
        await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(_ping(database_url))), timeout)
    except Exception as error:  # refused, terminated, timed out: down
        logger.warning("health: the dealer database does not answer (%s)", type(error).__name__)
        return False
    return True
