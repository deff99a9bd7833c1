"""A conversation's tracker kept between its turns by the Rasa process that saved it, and
used again only when the tracker store still holds exactly the events it was made from
(issue 14: a booking conversation's ~80 stored events were read, parsed and replayed on
every turn, ~1.5 ms of a booking turn against ~0.2 ms of a greeting's).

The store stays the one source of truth; nothing is written differently:

- Each read still runs Rasa's query (the rows of the latest session, in order). A kept
  tracker is taken only when those rows begin with exactly the JSON texts it was made
  from (compared as strings); any rows after them (a turn served by another replica) are
  parsed and applied to it as Rasa's replay applies them (``DialogueStateTracker.update``).
  Rows deleted (``forget``), a new session, another model's domain, or anything else:
  the rows are read the usual way.
- A tracker is kept only at a save that wrote exactly the events it lacked after the rows
  it was read from, and it leaves the cache when it is read (a turn that fails before
  saving leaves nothing behind); so the tracker taken is always the one of the last save.
- The cache is per process, bounded (``TRACKER_CACHE_SIZE`` conversations, default 256;
  0 turns it off) and forgets a tracker unused for ``TRACKER_CACHE_SECONDS`` (600).

Why the kept tracker equals a replay of its rows: both are the same events applied by
``update`` in the same order to a tracker made from the same domain's slots; the stored
text of each event is its ``as_dict``, whose values are what a replay reads back.
``BOT_VERIFY_TRACKERS=1`` (set by the test suite for every process it starts)
replays the rows on every hit as well and raises ``TrackerCacheMismatch`` if anything a
policy, an action or the store could see differs (see ``differences``).
"""
from __future__ import annotations

import itertools
import json
import os
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Callable

STORED_TEXTS = "_stored_texts"  # on a tracker: the stored texts of its events, in order
# On an event: the JSON text of its stored row (json.dumps of its as_dict when saved), which
# the action call's body reuses (bot/speedups.py, ``stored_events``).
EVENT_TEXT = "_speedups_stored_text"

DEFAULT_SIZE = 256
DEFAULT_SECONDS = 600.0


class TrackerCacheMismatch(AssertionError):
    """A kept tracker differs from the replay of the stored rows (verification mode)."""


@dataclass
class _Kept:
    tracker: Any
    texts: list[str]
    domain: Any
    saved_at: float


class TrackerCache:
    def __init__(self, size: int = DEFAULT_SIZE, seconds: float = DEFAULT_SECONDS, verify: bool = False,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.size = size
        self.seconds = seconds
        self.verify = verify
        self._clock = clock
        self._kept: OrderedDict[str, _Kept] = OrderedDict()
        self.hits = 0  # reads served by a kept tracker

    def __len__(self) -> int:
        return len(self._kept)

    def take(self, sender_id: str, domain: Any, texts: list[str], parse: Callable[[str], Any]) -> Any:
        """The kept tracker of ``sender_id`` brought up to the stored ``texts`` (marked with
        them), or None when there is none that those rows continue."""
        from rasa.shared.core.events import deserialise_events

        kept = self._kept.pop(sender_id, None)
        now = self._clock()
        self._drop_expired(now)
        if kept is None or not domain or kept.domain is not domain or self._expired(kept, now):
            return None
        count = len(kept.texts)
        if len(texts) < count or texts[:count] != kept.texts:
            return None
        tracker = kept.tracker
        tracker.model_id = None  # as a tracker made from the rows: the processor sets both
        tracker.assistant_id = None
        later = deserialise_events([parse(text) for text in texts[count:]])
        _mark_events(later, texts[count:])
        for event in later:
            tracker.update(event)
        setattr(tracker, STORED_TEXTS, texts)
        self.hits += 1
        if self.verify:
            from rasa.shared.core.trackers import DialogueStateTracker

            replayed = DialogueStateTracker.from_dict(sender_id, [parse(text) for text in texts], domain.slots)
            found = differences(tracker, replayed, domain)
            if found:
                raise TrackerCacheMismatch(f"kept tracker differs from Rasa's replay of the stored rows in: {', '.join(found)}")
        return tracker

    def keep(self, tracker: Any, written: list[str], domain: Any) -> None:
        """After a save that wrote ``written`` (the texts of the tracker's events the store
        lacked): keep the tracker when its events are exactly the rows it was read from
        followed by those, each of them what its stored text reads back as."""
        before = getattr(tracker, STORED_TEXTS, None)
        if before is None and len(written) == len(tracker.events):
            before = []  # a new conversation: every event was written
        if (before is None or len(before) + len(written) != len(tracker.events) or not domain
                or not _read_back_alike(itertools.islice(tracker.events, len(before), None))):
            tracker.__dict__.pop(STORED_TEXTS, None)
            self._kept.pop(tracker.sender_id, None)
            return
        texts = before + written if written else before
        setattr(tracker, STORED_TEXTS, texts)
        _mark_events(itertools.islice(tracker.events, len(before), None), written)
        if self.size <= 0 or not texts:
            return
        now = self._clock()
        self._kept.pop(tracker.sender_id, None)
        self._kept[tracker.sender_id] = _Kept(tracker, texts, domain, now)
        while len(self._kept) > self.size:
            self._kept.popitem(last=False)
        self._drop_expired(now)

    def _drop_expired(self, now: float) -> None:
        """Trackers unused for longer than ``seconds`` (the oldest saves come first)."""
        while self._kept and self._expired(next(iter(self._kept.values())), now):
            self._kept.popitem(last=False)

    def _expired(self, kept: _Kept, now: float) -> bool:
        return now - kept.saved_at > self.seconds


def _read_back_alike(events: Any) -> bool:
    """Whether each event is what its stored text reads back as: its ``as_dict`` made only
    of JSON's own kinds (dict with str keys, list, str, int, float, bool, None), which
    json.dumps writes and a read gives back value for value and type for type. A message's
    parse data holds values that JSON stores as their plain kind (the classifier's numpy
    strings and floats, the ``text_tokens`` tuples): those become, in place, the values
    they were stored as, which is what a replay of the rows has."""
    from rasa.shared.core.events import UserUttered

    for event in events:
        if isinstance(event, UserUttered) and event.parse_data:
            _as_stored(event.parse_data)
        if not _json_plain(event.as_dict()):
            return False
    return True


def _json_plain(value: Any) -> bool:
    kind = type(value)
    if kind is dict:
        return all(type(key) is str and _json_plain(item) for key, item in value.items())
    if kind is list:
        return all(_json_plain(item) for item in value)
    return kind in _ATOMS


_ATOMS = frozenset({str, int, float, bool, type(None)})


def _as_stored(value: Any) -> Any:
    """``value`` as JSON stores it, changed in place where it is a dict or a list (so that
    whatever shares it, the form's trigger message, sees the same): a tuple becomes a list,
    a subclass of str, float or int (numpy's str_, float64) the plain kind."""
    kind = type(value)
    if kind is dict:
        for key, item in value.items():
            stored = _as_stored(item)
            if stored is not item:
                value[key] = stored
        return value
    if kind is list:
        for index, item in enumerate(value):
            stored = _as_stored(item)
            if stored is not item:
                value[index] = stored
        return value
    if kind is tuple:
        return [_as_stored(item) for item in value]
    if kind in _ATOMS:
        return value
    for plain in (str, float, int):
        if isinstance(value, plain):
            return plain(value)
    return value


def mark(tracker: Any, texts: list[str]) -> Any:
    """A tracker made from the stored ``texts``, marked with them (for ``keep``), and each
    of its events with its own text."""
    if tracker is not None:
        setattr(tracker, STORED_TEXTS, texts)
        _mark_events(tracker.events, texts)
    return tracker


def _mark_events(events: Any, texts: list[str]) -> None:
    """Each event given the stored text it was read from or written as (pairwise; nothing
    when the counts differ: an event that failed to deserialise was left out)."""
    if not isinstance(events, list):
        events = list(events)
    if len(events) != len(texts):
        return
    for event, text in zip(events, texts):
        event.__dict__[EVENT_TEXT] = text


def verifying() -> bool:
    """BOT_VERIFY_TRACKERS: compare kept trackers and copies with Rasa's replay (the tests')."""
    return os.environ.get("BOT_VERIFY_TRACKERS", "") not in ("", "0", "false")


def from_environment() -> TrackerCache:
    environ = os.environ
    return TrackerCache(size=int(environ.get("TRACKER_CACHE_SIZE") or DEFAULT_SIZE),
                        seconds=float(environ.get("TRACKER_CACHE_SECONDS") or DEFAULT_SECONDS),
                        verify=verifying())


def differences(kept: Any, replayed: Any, domain: Any = None) -> list[str]:
    """What differs between two trackers in anything the processor, the policies, the
    actions or the store read: the whole state sent to actions (events, slots, latest
    message, loop, pause, followup), the slots' value types, the events applied, the
    policies' states (given the domain), and every other attribute. Names only: no values
    (personal data)."""
    from rasa.shared.core.events import Event
    from rasa.shared.core.trackers import EventVerbosity

    def state(tracker: Any) -> str:
        return json.dumps(tracker.current_state(EventVerbosity.ALL), sort_keys=True, default=repr)

    def untimed(event: Any) -> dict:
        # A tracker with no message (or bot reply) since its session began holds an empty
        # one made when it was read (UserUttered.empty()): its time is that of the read.
        return {key: value for key, value in event.as_dict().items() if key != "timestamp"}

    def attributes(tracker: Any) -> dict:
        return {name: untimed(value) if isinstance(value, Event) else repr(value)
                for name, value in vars(tracker).items()
                if name not in (STORED_TEXTS, "events", "slots") and not name.startswith("_speedups")}

    checks = {
        "state": lambda t: state(t),
        "slot types": lambda t: {name: (type(slot.value).__name__, repr(slot.value)) for name, slot in t.slots.items()},
        "event classes": lambda t: [type(event).__name__ for event in t.events],
        "applied events": lambda t: [event.as_dict() for event in t.applied_events()],
        "policy states": lambda t: t.past_states(domain) if domain is not None else None,
        "latest message": lambda t: (untimed(t.latest_message), t.latest_message.intent, t.latest_message.entities,
                                     t.latest_message.use_text_for_featurization) if t.latest_message else None,
        "attributes": attributes,
    }
    return [name for name, read in checks.items() if read(kept) != read(replayed)]
