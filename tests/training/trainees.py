"""Scripted trainees for the role-play tests: a perfect one and a sloppy one.

Their wordings are the tests' own: tests/training/test_data_separation.py checks that none
of them is in training/data/ or in the hand-labelled transcripts."""
from __future__ import annotations

from training.scenarios import Scenario

PROPOSAL = "明天下午两点半我们还有工位,帮您定在这个时间您看行吗?"
NEW_PROPOSAL = "没关系,那给您改到下周一下午三点,这样可以吗?"

FACTS = [
    ("ask_service", "这次车子过来主要想做哪些服务项目?"),
    ("ask_name", "方便问一下您怎么称呼吗?"),
    ("ask_phone", "您的手机号码方便告诉我一下吗?"),
    ("ask_first_visit", "请问您以前有没有来过我们店?"),
    ("ask_plate", "您车的车牌号码是多少呢?"),
    ("ask_model", "您开的是什么型号的车?"),
    ("ask_mileage", "您的车目前一共开了多少公里?"),
]
# A customer who told everything at once is asked to confirm instead.
CONFIRM = {
    "ask_service": "跟您确认一下,这次是做{service}对吧?",
    "ask_name": "跟您核对一下,您姓{surname}对吗?",
    "ask_phone": "跟您核对一下,您的手机号是{phone},对吗?",
    "ask_plate": "车牌号是{plate},对吧?",
    "ask_model": "车型是{model},对吗?",
    "ask_mileage": "里程是{mileage}左右,对吧?",
}
INTERVIEW = [
    "您能详细说一下车子出现的是什么问题吗?",
    "这个问题大概是从哪天开始出现的?",
    "通常是在什么路况或者车速下出现?",
    "它出现得有多频繁,是每次都这样吗?",
    "这个问题对您平时开车有没有影响?",
    "出现问题以后您自己做过什么处理吗?",
]


def perfect_lines(card: Scenario) -> list[str]:
    lines = ["您好,这里是瑞通汽车售后服务中心,服务顾问周明很高兴接听您的电话。"]
    if card.temperament == "angry":
        lines.append("实在抱歉,让您又要跑一趟,我非常理解您现在的心情。")
    if card.danger:
        lines.append("您说的情况很危险,请先不要继续驾驶,我们马上安排救援拖车。")
    lines.append("请问您打算哪一天什么时候把车开过来?")
    lines.append(PROPOSAL)
    for code, line in FACTS:
        if card.gives_all and code in CONFIRM:
            line = CONFIRM[code].format(**card.facts)
        lines.append(line)
    if not card.first_visit:
        lines.append("您上一次保养或者维修是什么时候、做的什么?")
    lines.append("除了这次的项目,还需要我们顺带处理别的事情吗?")
    if card.interview:
        lines += INTERVIEW
        lines.append(f"我跟您核对一下故障情况,您说的是{card.complaint['what']},我理解得没错吧?")
        lines.append("除了这个问题,车上还有其他的问题吗?")
        lines.append("这个问题之前有没有在我们店维修过?")
    lines.append("您到店后会由服务顾问李明负责接待您。")
    if card.changes_time:
        lines.append(NEW_PROPOSAL)
    if card.service_type == "maintenance":
        lines.append("小保养的价格是480元,大保养是1280元。")
    else:
        lines.append("具体维修费用需要技师检查之后才能给您报价。")
    lines.append("来店的时候请记得带上行驶证和保养手册。")
    lines.append("在预约的前一天我们会打电话提醒您。")
    lines.append("非常感谢您的来电,祝您生活愉快,再见!")
    return lines


SLOPPY = [
    "喂,哪位",
    "你车啥毛病?",
    "那明天来吧",
    "叫啥名字",
    "行,来了再说,拜拜",
]
# What the sloppy trainee never does, on every card.
SLOPPY_MISSES = ("greeting", "ask_phone", "ask_plate", "name_advisor", "documents", "reminder")


def all_wordings(cards) -> set[str]:
    lines = {line for card in cards for line in perfect_lines(card)}
    return lines | set(SLOPPY)
