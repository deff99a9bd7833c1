"""The (timestamp, nonce) memory: another body under a seen pair is a replay."""
from __future__ import annotations

from bot.channels.wechat_replay import ReplayMemory

NOW = 1_790_000_000
WINDOW = 300


class Clock:
    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def memory(clock: Clock, max_entries: int = 100) -> ReplayMemory:
    return ReplayMemory(WINDOW, max_entries=max_entries, clock=clock)


def test_a_new_pair_and_the_same_body_again_are_not_replays():
    replays = memory(Clock())
    assert not replays.is_replay(str(NOW), "n1", b"<xml>1</xml>")
    assert not replays.is_replay(str(NOW), "n1", b"<xml>1</xml>")  # WeChat retrying
    assert len(replays) == 1


def test_a_seen_pair_with_another_body_is_a_replay_every_time():
    replays = memory(Clock())
    replays.is_replay(str(NOW), "n1", b"<xml>1</xml>")
    assert replays.is_replay(str(NOW), "n1", b"<xml>2</xml>")
    assert replays.is_replay(str(NOW), "n1", b"<xml>2</xml>")  # the first body stays the one
    assert not replays.is_replay(str(NOW), "n1", b"<xml>1</xml>")


def test_another_nonce_or_timestamp_is_another_pair():
    replays = memory(Clock())
    replays.is_replay(str(NOW), "n1", b"a")
    assert not replays.is_replay(str(NOW), "n2", b"b")
    assert not replays.is_replay(str(NOW + 1), "n1", b"c")


def test_a_pair_is_forgotten_once_its_timestamp_leaves_the_window():
    clock = Clock()
    replays = memory(clock)
    replays.is_replay(str(NOW - 100), "old", b"a")
    replays.is_replay(str(NOW + 100), "ahead", b"a")  # a sender's clock may run ahead

    clock.now = NOW - 100 + WINDOW  # the last second "old" is inside the window
    assert replays.is_replay(str(NOW - 100), "old", b"b")
    clock.now += 1
    assert not replays.is_replay(str(NOW), "other", b"a")
    assert len(replays) == 2  # "old" is gone, "ahead" is still needed
    assert replays.is_replay(str(NOW + 100), "ahead", b"b")


def test_the_memory_is_capped_dropping_the_soonest_to_expire():
    replays = memory(Clock(), max_entries=3)
    for age, nonce in [(10, "b"), (50, "oldest"), (0, "c")]:
        replays.is_replay(str(NOW - age), nonce, b"x")
    replays.is_replay(str(NOW), "d", b"x")

    assert len(replays) == 3
    assert replays.is_replay(str(NOW - 10), "b", b"y")
    assert not replays.is_replay(str(NOW - 50), "oldest", b"y")  # forgotten: taken as new
