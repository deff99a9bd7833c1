"""One turn per WeChat message, however often WeChat delivers it.

WeChat retries a message up to three times within 15 s when it has no answer.
Every delivery of the same key (MsgId, or sender + CreateTime + event for events)
shares one turn; its reply goes out once: passively to whichever request is
still waiting when it is ready, otherwise through the customer-service API.

This registry holds the turns running in this process (their asyncio tasks);
whether a message was taken up at all, and who delivers its reply, is the
channel state's (``wechat_state.Deliveries``: memory, or Redis across replicas).
"""
from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass


@dataclass
class Turn:
    task: asyncio.Task
    started_at: float
    deliveries: int = 1
    waiting: int = 0  # requests waiting for the reply right now
    claimed: bool = False
    push_scheduled: bool = False

    def claim(self) -> bool:
        """True exactly once: the caller delivers the reply."""
        if self.claimed:
            return False
        self.claimed = True
        return True


class TurnRegistry:
    def __init__(self, ttl: float, max_entries: int = 50_000, clock=time.monotonic):
        self._turns: OrderedDict[str, Turn] = OrderedDict()
        self._ttl = ttl
        self._max = max_entries
        self._clock = clock

    def get_or_start(self, key: str, start: Callable[[], Awaitable[str | None]]) -> tuple[Turn, bool]:
        """The turn for ``key`` and whether this call started it."""
        turn = self.get(key)
        if turn is not None:
            return turn, False
        return self.start(key, start), True

    def get(self, key: str) -> Turn | None:
        """The turn of ``key`` in this process (counting this delivery), if there is one."""
        self._forget_old()
        turn = self._turns.get(key)
        if turn is not None:
            turn.deliveries += 1
        return turn

    def start(self, key: str, start: Callable[[], Awaitable[str | None]]) -> Turn:
        turn = Turn(task=asyncio.ensure_future(start()), started_at=self._clock())
        self._turns[key] = turn
        return turn

    def __len__(self) -> int:
        return len(self._turns)

    def _forget_old(self) -> None:
        now = self._clock()
        while self._turns:
            key, oldest = next(iter(self._turns.items()))
            too_many = len(self._turns) >= self._max
            if not too_many and now - oldest.started_at <= self._ttl:
                break
            if not oldest.task.done() and not too_many:
                break
            del self._turns[key]
