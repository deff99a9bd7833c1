"""A Redis lock store that is safe across Rasa replicas (issue 14).

Rasa serialises the messages of one conversation with a ticket lock
(``rasa.core.lock.TicketLock``): every message draws a numbered ticket, waits until its
number is the lowest live one, is processed, and hands its ticket back. The algorithm is
right; Rasa 3.6's ``RedisLockStore`` stores it wrong for more than one process. Each step
is a read-modify-write of one JSON value (``GET`` the lock, change it in Python, ``SET``
it back), so two replicas can

- draw the *same* ticket number (both read ``last_issued = 4``, both write 5, one of the
  writes is lost), and both then see "5 is being served" and run the conversation at
  the same time (RasaHQ/rasa#9213);
- lose a ticket that another replica drew between its ``GET`` and its ``SET``
  (``finish_serving``, ``update_lock``), or delete the whole lock under a ticket drawn
  between ``is_someone_waiting`` and ``delete_lock`` (``cleanup``), after which the
  numbering restarts at 0 while the holder is still working;
- and it measures expiry with each replica's own clock, and only while someone reads
  the lock: the key itself lives forever.

``AtomicRedisLockStore`` keeps the ticket-lock algorithm and makes every step one Lua
script, atomic on the Redis server:

- tickets come from ``INCR`` on a per-conversation counter, so no two callers can ever
  hold the same number;
- the queue is a sorted set by ticket number; "my turn" means "my ticket is the lowest
  live one";
- each ticket has a lease measured by the *Redis server's* clock (``TIME``), renewed by
  its holder while it waits and while it works (every third of the lease), so a slow
  action does not lose the lock but a killed replica's ticket lapses after one lease
  (``lock_lifetime``) and the conversation goes on;
- handing back the last ticket deletes the conversation's keys in the same script; every
  key also carries a Redis TTL as long as its longest lease, so nothing is left behind by
  a replica that died;
- all keys start with ``<key_prefix>:lock:``, so several deployments or test runs can
  share one Redis, and the three keys of a conversation share a hash tag (``{id}``),
  so they land on one Redis Cluster slot.

Turn it on in an endpoints file (``bot/endpoints.cluster.yml``)::

    lock_store:
      type: bot.lock_store.AtomicRedisLockStore
      url: redis://127.0.0.1:6379/0        # or a host, with port/db/password keys
      key_prefix: dealer                   # letters, digits, - _ .
      lock_lifetime: 15                    # seconds a dead holder blocks (optional)

What a lease cannot do: a process frozen for longer than ``lock_lifetime`` (a stopped VM,
a debugger) loses its ticket while it still thinks it holds it; the keep-alive then logs
an error. (A *waiting* ticket that lapses is drawn again rather than failing the message
with ``LockError``, which Rasa's channels drop.) A Redis that restarts empty forgets the
queue the same way. Requires Redis >= 5 (``TIME`` inside scripts).
"""
from __future__ import annotations

import asyncio
import logging
import os
import re
from collections import deque
from contextlib import asynccontextmanager
from typing import Any, AsyncGenerator, Optional

from rasa.core.lock import Ticket, TicketLock
from rasa.core.lock_store import LockError, LockStore

logger = logging.getLogger(__name__)

DEFAULT_KEY_PREFIX = "rasa"
DEFAULT_LOCK_LIFETIME = 15.0  # seconds; renewed while held, so it bounds only a dead holder
DEFAULT_POLL_INTERVAL = 0.05  # seconds between a waiter's looks at the queue
# Redis is called from Rasa's event loop (as Rasa's own lock store does): a Redis gone
# away must not freeze every conversation of the replica for long.
DEFAULT_SOCKET_TIMEOUT = 2.0
KEY_PREFIX_PATTERN = re.compile(r"^[A-Za-z0-9_.-]+$")

# KEYS[1] the ticket counter, KEYS[2] the queue (score: ticket number),
# KEYS[3] the leases (score: expiry in ms by the server's clock).
_COMMON = """
if redis.replicate_commands then pcall(redis.replicate_commands) end
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function prune(now)
  local dead = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now)
  if #dead > 0 then
    redis.call('ZREM', KEYS[2], unpack(dead))
    redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
  end
end
-- every key lives as long as the longest lease; no lease left: no keys
local function keep(now)
  local last = redis.call('ZRANGE', KEYS[3], -1, -1, 'WITHSCORES')
  if #last == 0 then
    redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
    return
  end
  local ttl = math.max(1, tonumber(last[2]) - now) + 1000
  redis.call('PEXPIRE', KEYS[1], ttl)
  redis.call('PEXPIRE', KEYS[2], ttl)
  redis.call('PEXPIRE', KEYS[3], ttl)
end
"""

# ARGV[1] lease in ms -> the new ticket's number (1, 2, 3, ...)
_ISSUE = _COMMON + """
local now = now_ms()
prune(now)
local number = redis.call('INCR', KEYS[1])
redis.call('ZADD', KEYS[2], number, number)
redis.call('ZADD', KEYS[3], now + tonumber(ARGV[1]), number)
keep(now)
return number
"""

# ARGV[1] ticket, ARGV[2] lease in ms -> -1: the ticket is gone (its lease lapsed);
# else how many live tickets are ahead of it (0: its turn). Renews the ticket's lease.
_POLL = _COMMON + """
local now = now_ms()
prune(now)
if not redis.call('ZSCORE', KEYS[3], ARGV[1]) then
  keep(now)
  return -1
end
redis.call('ZADD', KEYS[3], now + tonumber(ARGV[2]), ARGV[1])
keep(now)
return redis.call('ZRANK', KEYS[2], ARGV[1])
"""

# ARGV[1] ticket -> live tickets left (the keys are deleted when none is)
_RELEASE = _COMMON + """
local now = now_ms()
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
prune(now)
keep(now)
return redis.call('ZCARD', KEYS[2])
"""

# -> {number, expiry ms, number, expiry ms, ...} of the live tickets, lowest first
_READ = _COMMON + """
local now = now_ms()
prune(now)
keep(now)
local out = {}
for _, number in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
  table.insert(out, number)
  table.insert(out, redis.call('ZSCORE', KEYS[3], number))
end
return out
"""

# ARGV: number, expiry ms, ... -> replaces the queue; the counter never goes back
_REPLACE = _COMMON + """
local now = now_ms()
redis.call('DEL', KEYS[2], KEYS[3])
local highest = tonumber(redis.call('GET', KEYS[1]) or '0')
for i = 1, #ARGV, 2 do
  local number = tonumber(ARGV[i])
  redis.call('ZADD', KEYS[2], number, number)
  redis.call('ZADD', KEYS[3], ARGV[i + 1], number)
  if number > highest then highest = number end
end
redis.call('SET', KEYS[1], highest)
prune(now)
keep(now)
return redis.call('ZCARD', KEYS[2])
"""


def _lifetime_from_env() -> float:
    return float(os.environ.get("TICKET_LOCK_LIFETIME") or 0) or DEFAULT_LOCK_LIFETIME


class AtomicRedisLockStore(LockStore):
    """Rasa's ticket lock on Redis with atomic steps and leases (see the module's text)."""

    def __init__(
        self,
        endpoint_config: Any = None,
        *,
        url: Optional[str] = None,
        host: str = "localhost",
        port: int = 6379,
        db: int = 0,
        username: Optional[str] = None,
        password: Optional[str] = None,
        use_ssl: bool = False,
        key_prefix: Optional[str] = DEFAULT_KEY_PREFIX,
        lock_lifetime: Optional[float] = None,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        socket_timeout: float = DEFAULT_SOCKET_TIMEOUT,
        client: Any = None,
    ) -> None:
        """``endpoint_config`` is how Rasa builds a custom lock store (``type:`` a module
        path in the endpoints file): its ``url`` and its other keys become the arguments
        below. ``url`` is a ``redis://``/``rediss://``/``unix://`` URL, or a host name
        with ``port``/``db``/``username``/``password``/``use_ssl``. ``client`` is an
        existing ``redis.Redis`` (tests)."""
        import redis

        if endpoint_config is not None:
            options = dict(endpoint_config.kwargs)
            url = endpoint_config.url or url
            host = options.pop("host", host)
            port = int(options.pop("port", port) or port)
            db = int(options.pop("db", db) or db)
            username = options.pop("username", username) or None
            password = options.pop("password", password) or None
            use_ssl = str(options.pop("use_ssl", use_ssl)).lower() in ("1", "true", "yes")
            key_prefix = options.pop("key_prefix", key_prefix)
            lock_lifetime = options.pop("lock_lifetime", lock_lifetime) or None
            poll_interval = float(options.pop("poll_interval", poll_interval) or poll_interval)
            socket_timeout = float(options.pop("socket_timeout", socket_timeout) or socket_timeout)
            if options:
                logger.warning(f"AtomicRedisLockStore: ignoring unknown settings {sorted(options)}")

        key_prefix = key_prefix or DEFAULT_KEY_PREFIX
        if not KEY_PREFIX_PATTERN.match(str(key_prefix)):
            # Rasa's store warns and falls back to the shared default; sharing keys with
            # another deployment by accident is what the prefix is there to prevent.
            raise ValueError(f"lock store key_prefix may hold only letters, digits and - _ . ({key_prefix!r})")
        self.key_prefix = f"{key_prefix}:lock:"
        self.lock_lifetime = float(lock_lifetime) if lock_lifetime else _lifetime_from_env()
        self.poll_interval = float(poll_interval)

        if client is not None:
            self.red = client
        elif url and "://" in url:
            self.red = redis.Redis.from_url(
                url, socket_timeout=socket_timeout, socket_connect_timeout=socket_timeout
            )
        else:
            self.red = redis.Redis(
                host=url or host, port=int(port), db=int(db), username=username,
                password=password, ssl=use_ssl, socket_timeout=socket_timeout,
                socket_connect_timeout=socket_timeout,
            )
        try:
            self.red.ping()
        except redis.RedisError as error:  # a replica must not run unlocked: refuse to start
            raise LockError(f"lock store: Redis is not reachable ({error})") from error

        self._issue = self.red.register_script(_ISSUE)
        self._poll = self.red.register_script(_POLL)
        self._release = self.red.register_script(_RELEASE)
        self._read = self.red.register_script(_READ)
        self._replace = self.red.register_script(_REPLACE)
        super().__init__()

    # -- keys -------------------------------------------------------------------------

    def keys(self, conversation_id: str) -> list[str]:
        """The counter, the queue and the leases; ``{id}`` is a Redis Cluster hash tag."""
        base = f"{self.key_prefix}{{{conversation_id}}}"
        return [f"{base}:n", f"{base}:q", f"{base}:e"]

    def _lease_ms(self, lock_lifetime: Optional[float]) -> int:
        return max(1, int(float(lock_lifetime or self.lock_lifetime) * 1000))

    # -- the atomic steps -------------------------------------------------------------

    def issue_ticket(self, conversation_id: str, lock_lifetime: Optional[float] = None) -> int:
        """A new ticket, one ``INCR`` in one script: unique for the conversation."""
        try:
            return int(self._issue(keys=self.keys(conversation_id), args=[self._lease_ms(lock_lifetime)]))
        except Exception as error:
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    def tickets_ahead(self, conversation_id: str, ticket: int, lock_lifetime: Optional[float] = None) -> int:
        """Renews ``ticket``'s lease; -1 if it has lapsed, else the live tickets ahead of it."""
        return int(self._poll(keys=self.keys(conversation_id), args=[ticket, self._lease_ms(lock_lifetime)]))

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        self._release(keys=self.keys(conversation_id), args=[ticket_number])

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Hands the ticket back; the keys go with the last ticket, in the same step."""
        try:
            self._release(keys=self.keys(conversation_id), args=[ticket_number])
        except Exception as error:  # the lease lapses on its own; the message was handled
            logger.error(f"lock store: could not hand back ticket {ticket_number} of "
                         f"'{conversation_id}' ({error}); it lapses in {self.lock_lifetime:.0f} s")

    # -- LockStore's reading and writing API, kept for callers that use it -----------

    def get_lock(self, conversation_id: str) -> Optional[TicketLock]:
        flat = self._read(keys=self.keys(conversation_id))
        if not flat:
            return None
        tickets = deque(
            Ticket(int(flat[i]), float(flat[i + 1]) / 1000) for i in range(0, len(flat), 2)
        )
        return TicketLock(conversation_id, tickets)

    def save_lock(self, lock: TicketLock) -> None:
        args: list = []
        for ticket in lock.tickets:
            args += [ticket.number, int(ticket.expires * 1000)]
        self._replace(keys=self.keys(lock.conversation_id), args=args)

    def delete_lock(self, conversation_id: str) -> None:
        deleted = self.red.delete(*self.keys(conversation_id))
        self._log_deletion(conversation_id, bool(deleted))

    def update_lock(self, conversation_id: str) -> None:
        self._read(keys=self.keys(conversation_id))  # drops lapsed tickets

    def is_someone_waiting(self, conversation_id: str) -> bool:
        return bool(self._read(keys=self.keys(conversation_id)))

    # -- waiting and holding ----------------------------------------------------------

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: Optional[float] = None,
        wait_time_in_seconds: Optional[float] = None,
    ) -> AsyncGenerator[TicketLock, None]:
        """Draws a ticket, waits for its turn (renewing it), holds it with a keep-alive
        and hands it back. Rasa calls it with the conversation id alone, so this store's
        ``lock_lifetime`` (a lease, renewed) and ``poll_interval`` apply."""
        lifetime = float(lock_lifetime or self.lock_lifetime)
        poll = float(wait_time_in_seconds or self.poll_interval)
        ticket = self.issue_ticket(conversation_id, lifetime)
        keep_alive: Optional[asyncio.Task] = None
        try:
            while (ahead := self.tickets_ahead(conversation_id, ticket, lifetime)) != 0:
                if ahead < 0:
                    # Only if this process stalled longer than the lease while waiting.
                    # Rasa would raise LockError, and its channels drop the message;
                    # queueing again keeps it.
                    logger.warning(f"lock store: ticket {ticket} of '{conversation_id}' lapsed "
                                   f"while waiting; drawing a new one")
                    ticket = self.issue_ticket(conversation_id, lifetime)
                    continue
                await asyncio.sleep(poll)
            logger.debug(f"Acquired lock for conversation '{conversation_id}' (ticket {ticket}).")
            keep_alive = asyncio.ensure_future(self._keep_alive(conversation_id, ticket, lifetime))
            yield TicketLock(conversation_id, deque([Ticket(ticket, 0.0)]))
        finally:
            if keep_alive is not None:
                keep_alive.cancel()
            self.cleanup(conversation_id, ticket)

    async def _acquire_lock(  # type: ignore[override]
        self, conversation_id: str, ticket: int, wait_time_in_seconds: float,
        lock_lifetime: Optional[float] = None,
    ) -> TicketLock:
        """LockStore's waiting step, for callers of the base API (``lock`` waits itself)."""
        while True:
            ahead = self.tickets_ahead(conversation_id, ticket, lock_lifetime)
            if ahead == 0:
                logger.debug(f"Acquired lock for conversation '{conversation_id}' (ticket {ticket}).")
                return TicketLock(conversation_id, deque([Ticket(ticket, 0.0)]))
            if ahead < 0:
                raise LockError(
                    f"Could not acquire lock for conversation_id '{conversation_id}': "
                    f"ticket {ticket} lapsed while waiting."
                )
            await asyncio.sleep(wait_time_in_seconds)

    async def _keep_alive(self, conversation_id: str, ticket: int, lifetime: float) -> None:
        while True:
            await asyncio.sleep(lifetime / 3)
            try:
                if self.tickets_ahead(conversation_id, ticket, lifetime) != 0:
                    logger.error(f"lock store: lost the lock of '{conversation_id}' (ticket "
                                 f"{ticket}) while holding it; the process was stalled longer "
                                 f"than the {lifetime:.0f} s lease")
                    return
            except Exception as error:  # Redis away for a moment: try again next time
                logger.warning(f"lock store: could not renew ticket {ticket} of "
                               f"'{conversation_id}' ({error})")
