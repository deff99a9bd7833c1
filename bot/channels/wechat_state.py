"""The WeChat channel's state: in the process, or in Redis shared by every Rasa replica.

Four kinds of state, one small interface each, each with an in-memory implementation (one
Rasa process: the default) and a Redis one (several replicas behind a balancer: set
``WECHAT_STATE_REDIS_URL``):

- ``Deliveries``: which ``MsgId`` (event: sender + CreateTime + event) has been taken up,
  and who delivers its reply. WeChat retries a message up to three times, possibly to
  another replica: the retry joins the first delivery's turn instead of starting one.
- ``Replays``: which (timestamp, nonce) came with which body (``wechat_replay``): a pair
  seen with another body is a replay, on whichever replica it lands.
- ``Options``: the numbered options of each customer's latest reply, so a "1" picks the
  first button on whichever replica it lands.
- ``Tokens``: the access token, one for all replicas, and a lock so that only one
  process fetches a new one at a time (a fetch may invalidate the token the others hold).

Redis: every key starts with ``<key_prefix>:wechat:`` (as the lock store's start with
``<key_prefix>:lock:``); every key expires (deliveries after ``WECHAT_DEDUP_TTL``, replay
pairs when their timestamp leaves the window, options after ``WECHAT_OPTIONS_TTL``, the
session timeout of domain.yml, the token at its ``expires_in`` minus a margin). Issue 14:
each dealer's Official Account has stores of its own; on Redis a non-default dealer's keys
start ``<key_prefix>:wechat:dealer:<code>:`` (one client for all accounts), the default
dealer's keep ``<key_prefix>:wechat:``.

The channel runs on Rasa's Sanic event loop, so the Redis stores use ``redis.asyncio``:
waiting (for the token lock, for a reply made on another replica) is ``asyncio.sleep``
and a slow Redis never blocks the other conversations of the replica. Every call still
has a socket timeout of ``DEFAULT_SOCKET_TIMEOUT`` so that a Redis gone away costs a
delivery at most a few seconds, inside WeChat's 5; each store then falls back to what
one process alone would do (logged), never to losing the customer's message.
"""
from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
import uuid
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from bot.channels.wechat_render import ButtonMemory, chosen_number
from bot.channels.wechat_replay import ReplayMemory

logger = logging.getLogger(__name__)

DEFAULT_KEY_PREFIX = "rasa"
# Each Redis call is short; a Redis that does not answer within this gives way to the
# in-process behaviour, so a delivery still gets its answer inside WeChat's 5 s.
DEFAULT_SOCKET_TIMEOUT = 1.0
POLL_INTERVAL = 0.05  # seconds between looks at a reply made elsewhere / at the token lock
TOKEN_LOCK_SECONDS = 15.0  # the token lock's expiry: longer than one token request may take


class StateUnavailable(Exception):
    """Redis did not answer; the caller falls back (logged by the store)."""


# -- the interfaces ---------------------------------------------------------------------

class Deliveries(ABC):
    """Which messages have been taken up, and who delivers each one's reply."""

    @abstractmethod
    async def first(self, key: str) -> bool:
        """True for exactly one delivery of ``key`` within the TTL: it starts the turn."""

    @abstractmethod
    async def claim(self, key: str, pushing: bool = False) -> bool:
        """True exactly once per key: the caller delivers the reply. ``pushing`` (the
        customer-service API) gives way to a delivery still waiting for a passive reply."""

    async def finished(self, key: str, text: str | None) -> None:
        """The turn's reply, for a retry of the message waiting on another replica."""

    async def reply_from_elsewhere(self, key: str, timeout: float) -> str | None:
        """A retry whose turn runs in another process: the reply if it is ready within
        ``timeout`` and nobody delivered it yet (then the caller delivers it), else None."""
        return None

    async def close(self) -> None:
        pass


class Replays(ABC):
    @abstractmethod
    async def is_replay(self, timestamp: str, nonce: str, body: bytes) -> bool:
        """True when the pair came before with another body; otherwise remembers it."""


class Options(ABC):
    """The options last offered to each openid."""

    @abstractmethod
    async def save(self, openid: str, buttons: list[dict[str, Any]]) -> None:
        """The latest reply's buttons (none: the offer is forgotten)."""

    @abstractmethod
    async def pick(self, openid: str, text: str) -> str:
        """The chosen button's payload when ``text`` is a number of the latest offer,
        else the text itself."""


class Tokens(ABC):
    """Where the access token is kept, and the lock its refresh runs under."""

    @abstractmethod
    async def get(self) -> str | None:
        """The token if one is kept and fresh."""

    @abstractmethod
    async def put(self, token: str, lifetime: float) -> None:
        """Keeps ``token`` for ``lifetime`` seconds (its expires_in minus the margin)."""

    @abstractmethod
    async def discard(self, token: str) -> None:
        """Forgets ``token`` if it is still the one kept (WeChat refused it)."""

    @abstractmethod
    def refreshing(self) -> Any:
        """An async context manager: one refresher at a time."""


# -- in the process (one Rasa process) ------------------------------------------------

class MemoryDeliveries(Deliveries):
    def __init__(self, ttl: float, max_entries: int = 50_000, clock=time.monotonic) -> None:
        self._seen: OrderedDict[str, float] = OrderedDict()  # key -> first seen
        self._claimed: set[str] = set()
        self._ttl, self._max, self._clock = ttl, max_entries, clock

    async def first(self, key: str) -> bool:
        self._forget_old()
        if key in self._seen:
            return False
        self._seen[key] = self._clock()
        return True

    async def claim(self, key: str, pushing: bool = False) -> bool:
        if key in self._claimed:
            return False
        self._claimed.add(key)
        return True

    def __len__(self) -> int:
        return len(self._seen)

    def _forget_old(self) -> None:
        now = self._clock()
        while self._seen:
            key, first_seen = next(iter(self._seen.items()))
            if len(self._seen) < self._max and now - first_seen <= self._ttl:
                break
            del self._seen[key]
            self._claimed.discard(key)


class MemoryReplays(Replays):
    def __init__(self, window: float, clock: Callable[[], float] = time.time) -> None:
        self.memory = ReplayMemory(window, clock=clock)

    async def is_replay(self, timestamp: str, nonce: str, body: bytes) -> bool:
        return self.memory.is_replay(timestamp, nonce, body)


class MemoryOptions(Options):
    def __init__(self, ttl: float, clock=time.monotonic) -> None:
        self.memory = ButtonMemory(ttl=ttl, clock=clock)

    async def save(self, openid: str, buttons: list[dict[str, Any]]) -> None:
        self.memory.remember(openid, buttons)

    async def pick(self, openid: str, text: str) -> str:
        return self.memory.resolve(openid, text)


class MemoryTokens(Tokens):
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = asyncio.Lock()

    async def get(self) -> str | None:
        if self._token and self._clock() < self._expires_at:
            return self._token
        return None

    async def put(self, token: str, lifetime: float) -> None:
        self._token, self._expires_at = token, self._clock() + lifetime

    async def discard(self, token: str) -> None:
        if self._token == token:
            self._token = None

    def refreshing(self) -> asyncio.Lock:
        return self._lock


# -- in Redis (several replicas) --------------------------------------------------------

class RedisState:
    """One ``redis.asyncio`` client per event loop (a client belongs to the loop it was
    made in), the key prefix and the scripts; shared by the four Redis stores."""

    def __init__(self, url: str, key_prefix: str | None = DEFAULT_KEY_PREFIX,
                 socket_timeout: float = DEFAULT_SOCKET_TIMEOUT) -> None:
        from bot.lock_store import KEY_PREFIX_PATTERN  # the same rule for both prefixes

        key_prefix = key_prefix or DEFAULT_KEY_PREFIX
        if not KEY_PREFIX_PATTERN.match(str(key_prefix)):
            raise ValueError(f"WeChat state key prefix may hold only letters, digits and - _ . ({key_prefix!r})")
        self.url = url
        self.prefix = f"{key_prefix}:wechat:"
        self.socket_timeout = socket_timeout
        self.round_trips = 0  # Redis calls made (for the tests and the figures)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._client: Any = None
        self._root = self  # a scoped view's client is its root's

    def scoped(self, scope: str | None) -> RedisState:
        """The same Redis and client with keys under ``<prefix>:wechat:<scope>:`` (issue 14:
        one scope per dealer's Official Account); no scope: this state itself."""
        if not scope:
            return self
        view = RedisState(self.url, DEFAULT_KEY_PREFIX, self.socket_timeout)
        view.prefix, view._root = f"{self.prefix}{scope}:", self._root
        return view

    def key(self, *parts: str) -> str:
        return self.prefix + ":".join(parts)

    def ping(self) -> None:
        """At start-up, like the lock store: a replica must not run without its shared state."""
        import redis

        client = redis.Redis.from_url(self.url, socket_timeout=self.socket_timeout,
                                      socket_connect_timeout=self.socket_timeout)
        try:
            client.ping()
        except redis.RedisError as error:
            raise StateUnavailable(f"WeChat channel state: Redis is not reachable at "
                                   f"{_safe_url(self.url)} ({error})") from error
        finally:
            client.close()

    def client(self) -> Any:
        import redis.asyncio

        root, loop = self._root, asyncio.get_running_loop()
        if root._client is None or root._loop is not loop:
            # Rasa's server has one loop; a new one (tests) gets a client of its own.
            root._loop = loop
            root._client = redis.asyncio.Redis.from_url(
                root.url, socket_timeout=root.socket_timeout,
                socket_connect_timeout=root.socket_timeout)
        return root._client

    async def call(self, what: str, run: Callable[[Any], Any]) -> Any:
        """``run(client)`` awaited; any Redis failure becomes StateUnavailable (logged)."""
        import redis

        self.round_trips += 1
        try:
            return await run(self.client())
        except (redis.RedisError, OSError, asyncio.TimeoutError) as error:
            logger.error("WeChat channel state: Redis failed on %s (%s); this process goes on alone",
                         what, error)
            raise StateUnavailable(str(error)) from error

    async def script(self, what: str, source: str, keys: list[str], args: list[Any]) -> Any:
        return await self.call(what, lambda client: client.eval(source, len(keys), *keys, *args))

    async def close(self) -> None:
        if self._root is not self:
            return  # a scoped view: the root closes the shared client
        client, self._client, self._loop = self._client, None, None
        if client is not None:
            try:
                await client.close()
            except Exception:  # a client of a loop already closed
                pass


def _safe_url(url: str) -> str:
    if "@" in url:
        scheme, _, rest = url.partition("://")
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


# A turn's hash: owner (the replica that took it up), done (its reply is ready), reply,
# claimed (someone delivered it), waiting (retries on other replicas waiting for it).
_FIRST = """
if redis.call('HSETNX', KEYS[1], 'owner', ARGV[1]) == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
"""
# ARGV[1] '1' when pushing: -1 while a retry elsewhere waits for a passive reply
_CLAIM = """
if redis.call('HEXISTS', KEYS[1], 'claimed') == 1 then return 0 end
if ARGV[1] == '1' and tonumber(redis.call('HGET', KEYS[1], 'waiting') or '0') > 0 then return -1 end
redis.call('HSET', KEYS[1], 'claimed', '1')
if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 1
"""
_FINISHED = """
redis.call('HSET', KEYS[1], 'done', '1', 'reply', ARGV[1])
if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 1
"""
# ARGV[1] +1 / -1: a retry starts or stops waiting here
_WAITING = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
return redis.call('HINCRBY', KEYS[1], 'waiting', ARGV[1])
"""
# -> 'wait' (not ready), '' (ready but nothing to say or already delivered), or the reply,
# which the caller then delivers (claimed in the same step)
_TAKE = """
local state = redis.call('HMGET', KEYS[1], 'done', 'reply', 'claimed')
if state[3] then return '' end
if not state[1] then
  if redis.call('EXISTS', KEYS[1]) == 0 then return '' end
  return 'wait'
end
if state[2] == '' then return '' end
redis.call('HSET', KEYS[1], 'claimed', '1')
return 'r' .. state[2]
"""


class RedisDeliveries(Deliveries):
    """A turn is a hash at ``<prefix>:wechat:msg:<key>``, kept ``ttl`` seconds."""

    def __init__(self, state: RedisState, ttl: float, owner: str | None = None) -> None:
        self._state = state
        self._ttl_ms = max(1000, int(ttl * 1000))
        self.owner = owner or uuid.uuid4().hex[:12]  # which replica took a message up

    async def first(self, key: str) -> bool:
        try:
            return bool(await self._state.script(
                "first delivery", _FIRST, [self._state.key("msg", key)], [self.owner, self._ttl_ms]))
        except StateUnavailable:
            return True  # answered here: a rare double turn rather than a lost message

    async def claim(self, key: str, pushing: bool = False) -> bool:
        give_way_until = time.monotonic() + 6.0  # a waiting retry gives up within WeChat's 5 s
        while True:
            try:
                claimed = int(await self._state.script(
                    "claim", _CLAIM, [self._state.key("msg", key)],
                    ["1" if pushing and time.monotonic() < give_way_until else "0", self._ttl_ms]))
            except StateUnavailable:
                return True  # the turn was started here: its reply goes out from here
            if claimed >= 0:
                return bool(claimed)
            await asyncio.sleep(POLL_INTERVAL)  # a retry elsewhere takes it passively

    async def finished(self, key: str, text: str | None) -> None:
        try:
            await self._state.script("reply ready", _FINISHED, [self._state.key("msg", key)],
                                     [text or "", self._ttl_ms])
        except StateUnavailable:
            pass  # a retry elsewhere then answers success; the push goes out from here

    async def reply_from_elsewhere(self, key: str, timeout: float) -> str | None:
        name = self._state.key("msg", key)
        deadline = time.monotonic() + timeout
        try:
            await self._state.script("retry waits", _WAITING, [name], [1])
            try:
                while True:
                    taken = await self._state.script("retry looks", _TAKE, [name], [])
                    taken = taken.decode("utf-8") if isinstance(taken, bytes) else taken
                    if taken != "wait":
                        return taken[1:] or None
                    if time.monotonic() + POLL_INTERVAL > deadline:
                        return None
                    await asyncio.sleep(POLL_INTERVAL)
            finally:
                await self._state.script("retry stops waiting", _WAITING, [name], [-1])
        except StateUnavailable:
            return None  # success: the replica with the turn pushes its reply

    async def close(self) -> None:
        await self._state.close()


_REPLAY = """
local seen = redis.call('GET', KEYS[1])
if seen then
  if seen == ARGV[1] then return 0 end
  return 1
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 0
"""


class RedisReplays(Replays):
    """A pair is ``<prefix>:wechat:pair:<timestamp>:<nonce>`` -> the body's SHA-256,
    kept while its timestamp is inside the window."""

    def __init__(self, state: RedisState, window: float, clock: Callable[[], float] = time.time) -> None:
        self._state, self._window, self._clock = state, window, clock

    async def is_replay(self, timestamp: str, nonce: str, body: bytes) -> bool:
        import hashlib

        ttl_ms = max(1000, int((float(timestamp) + self._window - self._clock()) * 1000))
        try:
            return bool(await self._state.script(
                "replay check", _REPLAY, [self._state.key("pair", timestamp, nonce)],
                [hashlib.sha256(body).hexdigest(), ttl_ms]))
        except StateUnavailable:
            return False  # the signature and the timestamp window were checked


class RedisOptions(Options):
    """``<prefix>:wechat:options:<openid>`` -> the buttons as JSON, kept ``ttl`` seconds."""

    def __init__(self, state: RedisState, ttl: float) -> None:
        self._state = state
        self._ttl_ms = max(1000, int(ttl * 1000))

    async def save(self, openid: str, buttons: list[dict[str, Any]]) -> None:
        key = self._state.key("options", openid)
        try:
            if buttons:
                payload = json.dumps(buttons, ensure_ascii=False)
                await self._state.call("save options", lambda c: c.set(key, payload, px=self._ttl_ms))
            else:
                await self._state.call("forget options", lambda c: c.delete(key))
        except StateUnavailable:
            pass  # a digit answer is then read as the customer's words

    async def pick(self, openid: str, text: str) -> str:
        number = chosen_number(text)
        if number is None:
            return text  # no Redis call for words
        key = self._state.key("options", openid)
        try:
            raw = await self._state.call("read options", lambda c: c.get(key))
        except StateUnavailable:
            return text
        buttons = json.loads(raw) if raw else []
        if not 1 <= number <= len(buttons):
            return text
        chosen = buttons[number - 1]
        return str(chosen.get("payload") or chosen["title"])


_RELEASE_IF_MINE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class RedisTokens(Tokens):
    """``<prefix>:wechat:token:<app id>`` -> the token, expiring with it; the refresh runs
    under ``...:token-lock:<app id>`` (SET NX with a random value, expiring after
    ``TOKEN_LOCK_SECONDS``; released only by its holder), and within one process under an
    asyncio.Lock too, so one replica's callers take the Redis lock once."""

    def __init__(self, state: RedisState, app_id: str) -> None:
        self._state = state
        self._key = state.key("token", app_id)
        self._lock_key = state.key("token-lock", app_id)
        self._local = asyncio.Lock()

    async def get(self) -> str | None:
        try:
            raw = await self._state.call("read token", lambda c: c.get(self._key))
        except StateUnavailable:
            return None  # fetched by this process (the stable token: the same for all)
        return raw.decode("utf-8") if isinstance(raw, bytes) else raw

    async def put(self, token: str, lifetime: float) -> None:
        try:
            await self._state.call("keep token", lambda c: c.set(
                self._key, token, px=max(1000, int(lifetime * 1000))))
        except StateUnavailable:
            pass

    async def discard(self, token: str) -> None:
        try:
            await self._state.script("discard token", _RELEASE_IF_MINE, [self._key], [token])
        except StateUnavailable:
            pass

    @asynccontextmanager
    async def refreshing(self) -> AsyncIterator[None]:
        async with self._local:
            mine = secrets.token_hex(8)
            held = False
            deadline = time.monotonic() + TOKEN_LOCK_SECONDS
            try:
                while time.monotonic() < deadline:
                    try:
                        held = bool(await self._state.call("take token lock", lambda c: c.set(
                            self._lock_key, mine, nx=True, px=int(TOKEN_LOCK_SECONDS * 1000))))
                    except StateUnavailable:
                        break  # refresh without the lock (the stable token is shared anyway)
                    if held or await self.get():
                        break  # ours, or another replica has just kept a new token
                    await asyncio.sleep(POLL_INTERVAL)
                yield
            finally:
                if held:
                    try:
                        await self._state.script("release token lock", _RELEASE_IF_MINE,
                                                 [self._lock_key], [mine])
                    except StateUnavailable:
                        pass  # it expires on its own


# -- choosing ---------------------------------------------------------------------------

class ChannelState:
    """The channel's four stores, in memory or on the Redis at ``redis_url``."""

    def __init__(self, deliveries: Deliveries, replays: Replays, options: Options,
                 make_tokens: Callable[[str], Tokens] | None, redis: RedisState | None = None) -> None:
        self.deliveries, self.replays, self.options = deliveries, replays, options
        self.make_tokens = make_tokens  # None: the token cache keeps its own in-memory store
        self.redis = redis

    @classmethod
    def from_settings(cls, settings: Any, clock: Callable[[], float] = time.time,
                      redis: RedisState | None = None) -> ChannelState:
        """The stores of one Official Account. In memory every account has its own; on
        Redis (``redis``: one client for all accounts) a non-default dealer's keys are
        under its scope (``settings.state_scope``)."""
        url = getattr(settings, "state_redis_url", None)
        if not url:
            return cls(MemoryDeliveries(settings.dedup_ttl),
                       MemoryReplays(settings.timestamp_window, clock=clock),
                       MemoryOptions(settings.options_ttl), None)
        state = (redis or RedisState(url, settings.state_key_prefix)).scoped(getattr(settings, "state_scope", None))
        return cls(RedisDeliveries(state, settings.dedup_ttl),
                   RedisReplays(state, settings.timestamp_window, clock=clock),
                   RedisOptions(state, settings.options_ttl),
                   lambda app_id: RedisTokens(state, app_id or "none"), state)

    @property
    def shared(self) -> bool:
        return self.redis is not None

    async def close(self) -> None:
        if self.redis is not None:
            await self.redis.close()
