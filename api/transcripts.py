"""Reading a conversation's transcript from Rasa's SQL tracker store.

The advisor pages show what the customer actually wrote. The tracker store is
Rasa's own database (``events`` table: one row per event, JSON in ``data``);
it is read-only here.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import SQLAlchemyError

MAX_TURNS = 400
_EVENTS = text(
    "SELECT type_name, timestamp, data FROM events "
    "WHERE sender_id = :sender AND type_name IN ('user', 'bot') ORDER BY id LIMIT :limit"
)


@dataclass(frozen=True)
class Turn:
    speaker: str  # "customer" | "assistant"
    text: str
    at: datetime | None
    buttons: tuple[str, ...] = ()


class TranscriptUnavailable(Exception):
    """The tracker store cannot be read (not configured, missing, unreachable)."""


@lru_cache(maxsize=4)
def _engine(url: str) -> Engine:
    # Made on first use, never at import; one pool per tracker store.
    return create_engine(url, pool_pre_ping=True)


def _turn(type_name: str, timestamp: float | None, raw: str) -> Turn | None:
    data = json.loads(raw) if raw else {}
    words = (data.get("text") or "").strip()
    buttons = tuple(b.get("title", "") for b in (data.get("data") or {}).get("buttons") or [])
    if not words and not buttons:
        return None
    at = datetime.fromtimestamp(timestamp, timezone.utc) if timestamp else None
    return Turn("customer" if type_name == "user" else "assistant", words, at, buttons)


def read_transcript(tracker_store_url: str, sender_id: str, limit: int = MAX_TURNS) -> list[Turn]:
    try:
        with _engine(tracker_store_url).connect() as connection:
            rows = connection.execute(_EVENTS, {"sender": sender_id, "limit": limit}).all()
    except SQLAlchemyError as error:
        raise TranscriptUnavailable(str(error)) from error
    turns = (_turn(type_name, timestamp, raw) for type_name, timestamp, raw in rows)
    return [turn for turn in turns if turn is not None]
