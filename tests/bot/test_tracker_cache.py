"""A tracker kept between turns (bot/tracker_cache.py) is taken only when the store still
holds exactly its events, and is then what Rasa's own read (a replay of the rows) gives."""
from __future__ import annotations

import asyncio

import numpy as np
import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (ActionExecuted, ActiveLoop, BotUttered, DefinePrevUserUtteredFeaturization,
                                     SessionStarted, SlotSet, UserUttered)
from rasa.shared.core.trackers import DialogueStateTracker

import bot.components  # noqa: F401  (installs the speedups, as loading the model does)
from bot import speedups
from bot.tracker_cache import TrackerCache, TrackerCacheMismatch, differences

DOMAIN = Domain.load("domain.yml")


def store_at(path, cache: TrackerCache | None = None, domain: Domain = DOMAIN) -> SQLTrackerStore:
    store = SQLTrackerStore(domain, dialect="sqlite", db=str(path))
    store.__dict__["_speedups_tracker_cache"] = cache if cache is not None else TrackerCache(verify=True)
    return store


def read(store, sender="c1"):
    return asyncio.run(store.retrieve(sender))


def rasas_read(store, sender="c1"):
    return asyncio.run(speedups.rasa_sql_retrieve(store, sender, False))


def save(store, tracker) -> None:
    asyncio.run(store.save(tracker))


def nlu_message(text: str, intent: str) -> UserUttered:
    """A message as the classifier leaves it in memory: numpy strings and floats, token tuples."""
    ranking = [{"name": np.str_(intent), "confidence": np.float64(0.93)},
               {"name": np.str_("inform"), "confidence": np.float64(0.07)}]
    parse_data = {"intent": ranking[0], "entities": [{"entity": "plate", "value": "沪A12345", "start": 0, "end": 8}],
                  "text": text, "message_id": "m1", "metadata": {},
                  "text_tokens": [(0, 2), (2, len(text))], "intent_ranking": ranking}
    return UserUttered(text, parse_data["intent"], parse_data["entities"], parse_data, input_channel="rest")


def turn(tracker, text: str, *events) -> None:
    """One turn's events as the processor appends them."""
    for event in (nlu_message(text, "inform"), DefinePrevUserUtteredFeaturization(False),
                  ActionExecuted("booking_form"), *events, ActionExecuted("action_listen")):
        tracker.update(event, DOMAIN)


def start(store, sender="c1"):
    tracker = DialogueStateTracker.from_events(sender, [SessionStarted(), ActionExecuted("action_listen")], DOMAIN.slots)
    tracker.update(nlu_message("我想预约保养", "book_service"), DOMAIN)
    tracker.update(ActionExecuted("booking_form"), DOMAIN)
    tracker.update(ActiveLoop("booking_form"), DOMAIN)
    tracker.update(SlotSet("requested_slot", "customer_name"), DOMAIN)
    tracker.update(BotUttered("请问您贵姓?"), DOMAIN)
    tracker.update(ActionExecuted("action_listen"), DOMAIN)
    save(store, tracker)
    return tracker


def assert_as_rasa_reads(store, ours, sender="c1") -> None:
    theirs = rasas_read(store, sender)
    assert differences(ours, theirs, DOMAIN) == []
    assert [e.as_dict() for e in ours.events] == [e.as_dict() for e in theirs.events]


def test_each_turn_takes_the_tracker_it_saved_and_it_is_what_rasas_read_gives(tmp_path) -> None:
    cache = TrackerCache(verify=True)
    store = store_at(tmp_path / "t.db", cache)
    tracker = start(store)
    for step, (slot, value) in enumerate([("customer_name", "王"), ("phone", "13812345678"), ("plate", "沪A12345")]):
        taken = read(store)
        assert taken is tracker, step
        turn(taken, f"答{step}", SlotSet(slot, value), SlotSet("requested_slot", "phone"), BotUttered("下一个?"))
        save(store, taken)
        assert_as_rasa_reads(store, taken)
    assert cache.hits == 3
    confidence = tracker.latest_message.parse_data["intent_ranking"][0]["confidence"]
    assert type(confidence) is float and type(tracker.latest_message.intent["name"]) is str
    assert tracker.latest_message.parse_data["text_tokens"] == [[0, 2], [2, 2]]


def test_rows_another_replica_wrote_are_applied_to_the_kept_tracker(tmp_path) -> None:
    ours = store_at(tmp_path / "t.db")
    other = store_at(tmp_path / "t.db")  # a second Rasa process on the same tracker store
    kept = start(ours)
    theirs = read(other)
    turn(theirs, "王先生", SlotSet("customer_name", "王"), BotUttered("请问手机号?"))
    save(other, theirs)

    taken = read(ours)
    assert taken is kept and taken.get_slot("customer_name") == "王"
    assert_as_rasa_reads(ours, taken)


def test_rows_deleted_or_a_new_session_are_read_again(tmp_path) -> None:
    store = store_at(tmp_path / "t.db")
    tracker = start(store)
    with store.session_scope() as session:  # dealer/customer_data.py forgets a conversation so
        session.query(store.SQLEvent).filter(store.SQLEvent.sender_id == "c1").delete()
        session.commit()
    assert read(store) is None

    tracker = start(store)
    newer = read(store)
    newer.update(SessionStarted(), DOMAIN)  # the session expired: the next read starts here
    newer.update(ActionExecuted("action_listen"), DOMAIN)
    save(store, newer)
    again = read(store)
    assert again is not newer and again is not tracker
    assert [e.type_name for e in again.events] == ["session_started", "action"]
    assert_as_rasa_reads(store, again)


def test_a_turn_that_fails_before_saving_leaves_nothing_behind(tmp_path) -> None:
    store = store_at(tmp_path / "t.db")
    start(store)
    failed = read(store)
    failed.update(SlotSet("customer_name", "不该留下"), DOMAIN)  # the turn raises: no save

    fresh = read(store)
    assert fresh is not failed and fresh.get_slot("customer_name") is None
    assert_as_rasa_reads(store, fresh)


def test_another_models_domain_reads_the_rows_again(tmp_path) -> None:
    store = store_at(tmp_path / "t.db")
    kept = start(store)
    store.domain = Domain.load("domain.yml")  # a model loaded while serving
    assert read(store) is not kept


def test_reading_every_session_neither_takes_nor_drops_the_kept_tracker(tmp_path) -> None:
    store = store_at(tmp_path / "t.db")
    kept = start(store)
    full = asyncio.run(store.retrieve_full_tracker("c1"))
    assert full is not kept
    assert read(store) is kept


def test_an_event_json_would_change_is_not_kept(tmp_path) -> None:
    store = store_at(tmp_path / "t.db")
    tracker = start(store)
    taken = read(store)
    assert taken is tracker
    taken.update(SlotSet("pending_complaints", ("异响", "抖动")), DOMAIN)  # a tuple, stored as a list
    save(store, taken)
    again = read(store)
    assert again is not taken and again.get_slot("pending_complaints") == ["异响", "抖动"]


def test_verification_refuses_a_kept_tracker_changed_without_an_event(tmp_path) -> None:
    store = store_at(tmp_path / "t.db", TrackerCache(verify=True))
    tracker = start(store)
    tracker.slots["customer_name"].value = "王"  # nothing in the store says so
    with pytest.raises(TrackerCacheMismatch, match="state"):
        read(store)


@pytest.mark.parametrize("size", [0, 2])
def test_the_cache_holds_at_most_its_size(tmp_path, size) -> None:
    cache = TrackerCache(size=size)
    store = store_at(tmp_path / "t.db", cache)
    kept = {sender: start(store, sender) for sender in ("a", "b", "c")}
    assert len(cache) == size
    assert [read(store, sender) is kept[sender] for sender in ("a", "b", "c")] == [False, size > 1, size > 0]


def test_a_tracker_unused_for_longer_than_the_limit_is_read_again(tmp_path) -> None:
    now = [1000.0]
    cache = TrackerCache(seconds=600, clock=lambda: now[0])
    store = store_at(tmp_path / "t.db", cache)
    kept = start(store)
    now[0] += 599
    assert read(store) is kept
    save(store, kept)
    start(store, "c2")
    now[0] += 601
    assert read(store) is not kept
    assert len(cache) == 0  # every tracker unused for as long went with the first read after


def test_switched_off_every_read_replays_the_rows(tmp_path, monkeypatch) -> None:
    store = SQLTrackerStore(DOMAIN, dialect="sqlite", db=str(tmp_path / "t.db"))
    monkeypatch.setattr(speedups, "_tracker_cache_on", False)
    tracker = start(store)
    assert read(store) is not tracker
    assert "_speedups_tracker_cache" not in store.__dict__


def test_the_cache_is_made_from_the_environment(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("TRACKER_CACHE_SIZE", "5")
    monkeypatch.setenv("TRACKER_CACHE_SECONDS", "30")
    monkeypatch.setenv("BOT_VERIFY_TRACKERS", "1")
    store = SQLTrackerStore(DOMAIN, dialect="sqlite", db=str(tmp_path / "t.db"))
    tracker = start(store)
    cache = store.__dict__["_speedups_tracker_cache"]
    assert (cache.size, cache.seconds, cache.verify) == (5, 30.0, True)
    assert read(store) is tracker
