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


async def database_answers(database_url: str, timeout: float = PING_TIMEOUT) -> bool:
    """Whether the dealer database answers within ``timeout`` seconds (from an event loop)."""
    try:
        await asyncio.wait_for(asyncio.to_thread(ping_database, database_url), timeout)
    except Exception as error:  # refused, terminated, timed out: down
        logger.warning("health: the dealer database does not answer (%s)", type(error).__name__)
        return False
    return True
