"""A service named only to decline it is no service_type entity (bot/components/declined_services.py)."""
from __future__ import annotations

import pytest
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.components.declined_services import DeclinedServiceFilter


def _entities(text: str, *words: str) -> list[str]:
    found = [{"entity": "service_type", "value": word, "start": text.index(word), "end": text.index(word) + len(word)}
             for word in words]
    message = Message({TEXT: text, ENTITIES: [*found, {"entity": "part", "value": "保险杠", "start": 0, "end": 0}]})
    DeclinedServiceFilter().process([message])
    return [entity["value"] for entity in message.get(ENTITIES) if entity["entity"] == "service_type"]


@pytest.mark.parametrize("text", ["看看是修还是换,保养上个月刚做过不用弄", "这次先不保养了", "做个全车检测,不是保养哈",
                                  "保养还没到公里数"])
def test_a_declined_service_is_dropped(text):
    assert _entities(text, "保养") == []


@pytest.mark.parametrize("text", ["约个保养", "要不要做保养", "不用保养吗?", "保养,不用洗车"])
def test_a_service_named_in_earnest_stays(text):
    assert _entities(text, "保养") == ["保养"]


def test_only_the_declined_one_goes_and_other_entities_stay():
    text = "喷漆,保养先不做了"
    message = Message({TEXT: text, ENTITIES: [
        {"entity": "service_type", "value": "喷漆", "start": 0, "end": 2},
        {"entity": "service_type", "value": "保养", "start": 3, "end": 5},
        {"entity": "car_model", "value": "迈腾", "start": 0, "end": 0},
    ]})
    DeclinedServiceFilter().process([message])
    assert [entity["value"] for entity in message.get(ENTITIES)] == ["喷漆", "迈腾"]
