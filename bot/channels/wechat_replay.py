"""Which (timestamp, nonce) pairs came with which body: a replay is refused.

WeChat's query signature covers token, timestamp and nonce, not the body, so a
captured signed query could carry another body. A pair seen again with the same
body is WeChat retrying one message; with another body it is a replay. A pair is
remembered while its timestamp is inside the window (afterwards the timestamp check
refuses it anyway), and at most ``max_entries`` at a time.
"""
from __future__ import annotations

import hashlib
import heapq
import time
from collections.abc import Callable


class ReplayMemory:
    def __init__(self, window: float, max_entries: int = 50_000,
                 clock: Callable[[], float] = time.time) -> None:
        self._window = window
        self._max = max_entries
        self._clock = clock  # the clock the timestamps are checked against
        self._bodies: dict[tuple[str, str], bytes] = {}  # (timestamp, nonce) -> body digest
        self._expiry: list[tuple[float, tuple[str, str]]] = []  # a heap, soonest first

    def is_replay(self, timestamp: str, nonce: str, body: bytes) -> bool:
        """True when the pair came before with another body; otherwise remembers it."""
        self._forget_expired()
        pair, digest = (timestamp, nonce), hashlib.sha256(body).digest()
        seen = self._bodies.get(pair)
        if seen is not None:
            return seen != digest
        if len(self._bodies) >= self._max:
            self._forget_soonest()
        self._bodies[pair] = digest
        heapq.heappush(self._expiry, (float(timestamp) + self._window, pair))
        return False

    def __len__(self) -> int:
        return len(self._bodies)

    def _forget_expired(self) -> None:
        now = self._clock()
        while self._expiry and self._expiry[0][0] < now:
            self._forget_soonest()

    def _forget_soonest(self) -> None:
        _, pair = heapq.heappop(self._expiry)
        del self._bodies[pair]
