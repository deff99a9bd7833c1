"""Signatures, timestamps and hostile XML: refused before the assistant sees anything."""
from __future__ import annotations

import time

import pytest

from bot.channels.wechat_security import BadMessage, Refused, read_xml, verify_query
from tests.wechat_sim import BILLION_LAUGHS, TOKEN, WeChatServerSim

NOW = 1_790_000_000


def test_a_signed_fresh_query_passes():
    verify_query(TOKEN, WeChatServerSim().query(timestamp=NOW), window=300, now=NOW + 10)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda q: q.update(signature="0" * 40),
        lambda q: q.update(nonce=q["nonce"] + "1"),
        lambda q: q.update(timestamp=str(int(q["timestamp"]) + 1)),
        lambda q: q.pop("signature"),
    ],
    ids=["wrong-signature", "other-nonce", "other-timestamp", "no-signature"],
)
def test_a_tampered_query_is_refused(tamper):
    query = WeChatServerSim().query(timestamp=NOW)
    tamper(query)
    with pytest.raises(Refused):
        verify_query(TOKEN, query, window=300, now=NOW)


def test_another_token_is_refused():
    query = WeChatServerSim(token="someone-else").query(timestamp=NOW)
    with pytest.raises(Refused, match="bad signature"):
        verify_query(TOKEN, query, window=300, now=NOW)


@pytest.mark.parametrize("age", [301, -301, 86_400])
def test_a_timestamp_outside_the_window_is_refused_even_when_signed(age):
    query = WeChatServerSim().query(timestamp=NOW - age)
    with pytest.raises(Refused, match="outside"):
        verify_query(TOKEN, query, window=300, now=NOW)


def test_message_xml_is_read_as_flat_fields():
    xml = WeChatServerSim().text("o-user", "我想预约保养", msg_id=42, create_time=NOW)
    fields = read_xml(xml.encode(), max_bytes=65536)
    assert fields["Content"] == "我想预约保养"
    assert fields["MsgId"] == "42"
    assert fields["FromUserName"] == "o-user"


def test_billion_laughs_is_refused_within_a_second():
    started = time.perf_counter()
    with pytest.raises(BadMessage):
        read_xml(BILLION_LAUGHS.encode(), max_bytes=65536)
    assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize(
    "body",
    [
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><C>&e;</C></xml>',
        b'<?xml version="1.0"?><!DOCTYPE xml><xml><C>1</C></xml>',
        b"<xml><C>unclosed</xml>",
        b"<html><C>1</C></html>",
        b"",
    ],
    ids=["external-entity", "any-dtd", "malformed", "not-xml-root", "empty"],
)
def test_other_unreadable_bodies_are_refused(body):
    with pytest.raises(BadMessage):
        read_xml(body, max_bytes=65536)


def test_an_oversized_body_is_refused_before_parsing():
    with pytest.raises(BadMessage, match="over"):
        read_xml(b"<xml>" + b"<C>1</C>" * 20_000 + b"</xml>", max_bytes=65536)
