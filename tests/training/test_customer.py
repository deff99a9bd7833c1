"""The simulated customer: deterministic, answers what was asked, reacts like a customer."""
from __future__ import annotations

from training.customer import SimulatedCustomer, replay
from training.scenarios import scenario


def test_the_same_card_and_seed_give_the_same_replies_and_cards_differ():
    lines = ["您好,瑞通汽车售后服务中心,服务顾问周明很高兴接听您的电话。", "方便问一下您怎么称呼吗?"]
    first = [r.text for r in replay(scenario("noise-front"), 3, lines)]
    assert first == [r.text for r in replay(scenario("noise-front"), 3, lines)]
    assert first != [r.text for r in replay(scenario("ac-weak"), 3, lines)]


def test_it_volunteers_the_complaint_but_not_the_plate_and_answers_only_what_was_asked():
    card = scenario("noise-front")
    customer = SimulatedCustomer(card, 1)
    opening = customer.reply("您好,瑞通汽车售后服务中心,服务顾问周明很高兴接听您的电话。").text
    assert card.facts["plate"] not in opening and "咯噔" in opening
    plate_answer = customer.reply("您车的车牌号码是多少呢?").text
    assert card.facts["plate"] in plate_answer and card.facts["phone"] not in plate_answer
    phone_answer = customer.reply("您的手机号码方便告诉我一下吗?").text
    assert card.facts["phone"] in phone_answer and card.facts["plate"] not in phone_answer


def test_asked_twice_it_gets_impatient():
    customer = SimulatedCustomer(scenario("maint-first"), 1)
    customer.reply("您好")
    first = customer.reply("方便问一下您怎么称呼吗?").text
    second = customer.reply("方便问一下您怎么称呼吗?").text
    third = customer.reply("方便问一下您怎么称呼吗?").text
    assert "林" in first and "林" in second
    assert any(w in second for w in ("说过", "说了")) and any(w in third for w in ("几遍", "又问"))


def test_a_full_slot_is_refused_and_a_free_one_accepted():
    customer = SimulatedCustomer(scenario("full-slot"), 1)
    customer.reply("您好")
    refused = customer.reply("周六上午十点我们还有工位,帮您定在这个时间您看行吗?").text
    assert "满" in refused
    accepted = customer.reply("周六下午两点我们还有工位,帮您定在这个时间您看行吗?").text
    assert "满" not in accepted and customer.slot_agreed


def test_an_angry_customer_wants_empathy_before_questions():
    card = scenario("angry-repeat")
    cold = SimulatedCustomer(card, 1)
    cold.reply("您好")
    assert card.facts["phone"] not in cold.reply("您的手机号码方便告诉我一下吗?").text
    warm = SimulatedCustomer(card, 1)
    warm.reply("您好")
    warm.reply("实在抱歉,让您又要跑一趟,我非常理解您现在的心情。")
    assert card.facts["phone"] in warm.reply("您的手机号码方便告诉我一下吗?").text


def test_the_thanks_ends_the_call():
    customer = SimulatedCustomer(scenario("maint-first"), 1)
    customer.reply("您好")
    assert not customer.done
    assert customer.reply("非常感谢您的来电,祝您生活愉快,再见!").done
    assert customer.reply("还在吗?").done


def test_a_customer_who_changes_the_time_says_so_once_after_the_slot_was_agreed():
    card = scenario("changes-time")
    customer = SimulatedCustomer(card, 1)
    customer.reply("您好")
    assert "上午" in card.busy_times[0]
    busy = customer.reply("周四上午十点我们还有工位,帮您定在这个时间您看行吗?").text
    assert "不行" in busy or "来不了" in busy
    customer.reply("明天下午两点半我们还有工位,帮您定在这个时间您看行吗?")
    moved = customer.reply("您到店后会由服务顾问李明负责接待您。").text
    assert card.changes_time in moved
    assert card.changes_time not in customer.reply("来店的时候请记得带上行驶证和保养手册。").text
