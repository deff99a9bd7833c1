"""Traditional characters are read as Simplified before NLU (bot runtime)."""
from __future__ import annotations

from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.components.simplified_chinese import SimplifiedChinese, readable, simplified


def test_traditional_text_is_read_as_simplified():
    assert simplified("我想約個保養,後備箱漏水") == "我想约个保养,后备箱漏水"
    assert simplified("刹车有异响") == "刹车有异响"  # already Simplified: unchanged


def test_the_component_converts_each_message_but_not_a_button_payload():
    component = SimplifiedChinese()
    said, payload = Message({TEXT: "兩個禮拜前開始的"}), Message({TEXT: '/inform{"service_type": "保養"}'})
    component.process([said, payload])
    assert said.get(TEXT) == "两个礼拜前开始的"
    assert payload.get(TEXT) == '/inform{"service_type": "保養"}'


def test_a_gesture_sent_alone_is_read_as_its_word_and_other_emoji_as_spaces():
    assert readable("👌") == "好的"
    assert readable("👍🏻") == "好的"
    assert readable("❌") == "不对"
    # beside words an emoji is a picture: a space, so entity positions stay where they were
    assert readable("😫😫车门锁不上了") == "  车门锁不上了"
    assert readable("明天下午👌") == "明天下午 "
    assert readable("好的✔️") == "好的  "
