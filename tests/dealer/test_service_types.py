"""What the customer came for: the service type from the words, as catalogue data."""
from __future__ import annotations

import pytest

from dealer.symptoms import job_words, tells_a_fault

from dealer.catalog import load_catalog
from dealer.script import load_script

CATALOG = load_catalog()
SCRIPT = load_script()
INTERVIEW_STEPS = {"symptom_what", "symptom_when", "symptom_where", "symptom_frequency",
                   "symptom_driving_impact", "symptom_tried", "symptom_confirmed", "symptom_more",
                   "repeat_repair"}


@pytest.mark.parametrize(
    ("words", "fault", "expected"),
    [
        ("想做个小保养", False, "maintenance"),
        ("刹车有异响,顺便做个保养", True, "repair"),          # a fault over routine work
        ("发动机漏油,还在质保期,想走保修", True, "warranty"),  # a warranty claim over a repair
        ("车子怠速的时候抖得厉害,能约个检查吗", True, "repair"),  # a check for a fault is a repair
        ("年检前想做个检测", False, "inspection"),
        ("后门刮花了想补漆,顺便保养", False, "body_paint"),
        # A clause told as "also" (另外 / 还有) is extra work, not the main job.
        ("仪表台有异响想修修，另外前保险杠擦了要喷漆", True, "repair"),
        # A fault told without a service word, paint asked by the way: the fault decides (None).
        ("空调不出冷风了，顺便左前门划痕补个漆", True, None),
        ("顺便把门上的划痕补个漆", False, "body_paint"),
        ("你好", False, None),
        ("车载蓝牙连不上了 别的手机也试了", True, None),  # 别的 names no service (the offer: a repair)
        ("其他的一些问题,空调不凉", True, "repair"),
        ("其他项目", False, "other"),
        # A service said as over or missing is not asked for.
        ("车子刚过质保期,空调压缩机有异响,来修一下", True, "repair"),
        ("质保到期了,发动机有点漏油", True, "repair"),
        ("还在质保期内,天窗漏水", True, "warranty"),
        ("好久没保养了,想做个保养", False, "maintenance"),
        ("车门凹进去一块", True, "body_paint"),
        ("车门边掉了一块漆,你们能补吗", True, "body_paint"),
        # A body panel told with a job word is body work, without the word 钣金 or 喷漆.
        ("后尾门让人给怼了一下,裂了条缝", True, "body_paint"),
        ("引擎盖上好几个小坑,冰雹砸的", True, "body_paint"),
        # Tyres and alignment are other work, which gives way to a service named beside it.
        ("想换三条轮胎,有马牌的吗", False, "other"),
        ("做个四轮定位要多久", False, "other"),
        ("想换俩后轮胎,顺便做个大保养", False, "maintenance"),
        ("先做保养,再把四个轮胎换了", False, "maintenance"),
        ("阿拉车子轮胎要调了,周末有空伐", False, "other"),  # a tyre rotation, no fault
        ("后轮扎了个钉,想补个胎", False, "other"),
        # A repair asked for by the verb alone (修东西 / 有个地方要修), even beside a service declined.
        ("是来修东西的,不做保养", False, "repair"),
        ("车上有个地方得修", False, "repair"),
    ],
)
def test_the_main_service_is_what_the_customer_asks_for(words, fault, expected):
    assert CATALOG.main_service_for(words, fault) == expected


@pytest.mark.parametrize(
    ("code", "interview", "vin", "described"),
    # The demo dealer asks the VIN for every service (FAW-VW step c: 车牌号(底盘号)).
    [("maintenance", False, True, False), ("repair", True, True, False), ("warranty", True, True, False),
     ("inspection", True, True, False), ("body_paint", False, True, True)],
)
def test_the_script_steps_follow_the_service_attributes(code, interview, vin, described):
    steps = set(SCRIPT.slots_to_ask(CATALOG.service_type(code).flags, first_visit=True))
    assert (INTERVIEW_STEPS <= steps) is interview
    assert not (INTERVIEW_STEPS & steps) or interview
    assert ("vin" in steps) is vin
    # Body work is no fault to interview: where and what, in the customer's words.
    assert ("job_description" in steps) is described
    assert ("repeat_repair" in steps) is interview


@pytest.mark.parametrize(
    ("code", "quote"),
    [("maintenance", "price_list"), ("repair", "after_inspection"), ("warranty", "after_inspection")],
)
def test_what_is_quoted_is_catalogue_data(code, quote):
    assert CATALOG.service_type(code).quote == quote


@pytest.mark.parametrize(
    ("slot", "words", "expected"),
    [
        ("repeat_repair", "去年夏天加过一次冷媒,今年又不凉了", True),
        ("repeat_repair", "上次来升级过系统,又死机了", True),
        ("repeat_repair", "没修过,第一次出现", False),
        ("repeat_repair", "没有", False),
        ("repeat_repair", "这个不太好说", None),
        ("repeat_repair", "以前没出过这毛病", False),   # "never before", whatever the verb
        ("repeat_repair", "电瓶没换过 原车的", False),
        ("repeat_repair", "没修好又坏了", True),
        ("first_visit", "来过好几次了", True),
        ("first_visit", "头一回来你们家", False),
        ("first_visit", "没来过", False),
        ("first_visit", "第二次来了", True),
        ("first_visit", "这是头一遭", False),
        ("first_visit", "第一回", False),
        ("booking_confirmed", "不太对", False),  # not 对
        ("booking_confirmed", "有点问题,电话错了", False),
        ("booking_confirmed", "没得问题", True),
        ("booking_confirmed", "确定", True),
        ("symptom_more", "没啥了", False),
        ("first_visit", "不是第一回了", True),
        ("repeat_repair", "可不嘛,上个月就是在你们这修的这个", True),
        ("privacy_consent", "不太想", False),
        ("symptom_confirmed", "是这样", True),
        ("symptom_confirmed", "不是这样,是抖", False),
        ("symptom_more", "别的都还行", False),
        ("booking_offer", "我考虑下", False),
        ("booking_offer", "改天吧", False),
        ("repeat_repair", "上回你们给换了个传感器", True),
        ("booking_confirmed", "妥", True),
        ("booking_confirmed", "不妥,时间要改", False),
        ("first_visit", "不是第一次了", True),  # 第一次 is said, and denied
        ("first_visit", "不是,第一次", False),
        ("repeat_repair", "之前没有这种情况", False),  # "never had it"
        ("repeat_repair", "从来没这问题", False),
        ("repeat_repair", "对呀 上回就是你们给弄的", True),  # opens with agreement
        ("repeat_repair", "是的,没修好", True),
        ("repeat_repair", "对,没在你们这修", False),  # agreement, then a no
        ("first_visit", "嗯嗯 来过", True),
        ("repeat_repair", "上次保养的时候师傅看过,说先观察,没修", False),  # not done
        ("repeat_repair", "新车哪修过啊", False),
        ("repeat_repair", "没修好又坏了", True),
        ("booking_confirmed", "对的,没有问题", True),
        ("booking_confirmed", "好,明天五点", True),
        ("booking_confirmed", "不对,名字写错了", False),
        ("booking_confirmed", "对,没错了", True),  # 错了 inside 没错了 is no no
        ("booking_confirmed", "没错了吧,不对,时间错了", False),
        # regional words (standard_words): 莫有 / 没得 / 要得 / 是嘞
        ("repeat_repair", "莫有", False),
        ("first_visit", "没得来过", False),
        ("booking_confirmed", "要得", True),
        ("symptom_confirmed", "是嘞", True),
        ("symptom_more", "莫有了", False),
        # "that's all" to 还有其他的问题吗
        ("symptom_more", "就这个", False),
        ("symptom_more", "没别的了", False),
        ("symptom_more", "还有,空调也不太凉", True),
        # Cantonese: 系 / 系啊 is yes; 冇 is no
        ("booking_confirmed", "系啊", True),
        ("booking_confirmed", "系", True),
        ("first_visit", "冇来过", False),
        ("booking_confirmed", "系嘅,冇问题", True),  # 冇问题 is 没问题, not 没有
        ("booking_confirmed", "系,啱晒", True),  # 系 as a clause, 啱 (对)
        ("booking_confirmed", "冇错", True),  # the longer word first: 冇错 is 没错, not 没有错
        ("booking_confirmed", "啱，冇问题", True),  # a full-width comma between the two
        ("first_visit", "嚟过喇", True),  # 嚟 is 来
        ("first_visit", "冇嚟过", False),
        ("symptom_confirmed", "啱", True),
        ("booking_confirmed", "唔系,啱啱讲错咗", False),  # 啱啱 is 刚刚, not 对
        ("repeat_repair", "莫弄过", False),  # Sichuanese 莫 before a verb
        ("repeat_repair", "没,头回碰到", False),  # a bare no, then words
        ("first_visit", "没有,头一遭", False),
        # Hunan 冒得, Wu 伐 / 覅, Henan 中; 是 before the rest of the answer
        ("symptom_more", "冒得哒", False),
        ("repeat_repair", "冒修过", False),  # Hunan 冒 before a verb
        ("first_visit", "冒得来过", False),
        ("booking_offer", "中", True),
        ("booking_offer", "中,给俺约个时候", True),
        ("repeat_repair", "是 上回就是修的这个", True),
        ("repeat_repair", "是,上次就修的这", True),
        ("repeat_repair", "忘了弄没弄过", None),  # not remembered whether: neither
        ("repeat_repair", "记不清来没来过这儿修", None),
        ("repeat_repair", "不知道 以前的车管没说", None),  # not known, and why: neither
        ("repeat_repair", "之前没毛病", False),  # 之前 is no repair when it had no fault
        ("repeat_repair", "前年修过一次 不是这毛病", False),
        ("repeat_repair", "就是你们修完才这样的", True),  # the repair here brought it on
        ("symptom_confirmed", "不完全对", False),
        ("booking_confirmed", "就这么办", True),
        ("booking_confirmed", "成", True),  # northern 成 (OK)
        ("booking_confirmed", "不成", False),
        ("booking_confirmed", "改成明天", None),
        ("repeat_repair", "不清楚啊,之前都是我老公开", None),
        # consent in own words
        ("privacy_consent", "没事你记吧", True),
        ("privacy_consent", "不同意,别记", False),
        # serviced elsewhere: a first visit; bought here: been before
        ("first_visit", "之前都在别家做的", False),
        ("first_visit", "在别的4S店买的", False),
        ("first_visit", "你们这提的车", True),
        ("first_visit", "在你们那儿做过几次保养", True),
        ("first_visit", "修过两回车了", True),
        # another problem repaired: no repeat repair of this one; this one repaired elsewhere is one
        ("repeat_repair", "去年在别的店修过一次,又开始烧了", True),
        ("repeat_repair", "修过但不是这个毛病", False),
        ("repeat_repair", "上回换了个零件没好", True),
        ("repeat_repair", "这个问题以前没有", False),  # it never happened before
        # 哦对了 is "by the way": something else comes, no yes
        ("booking_confirmed", "哦对了", None),
        ("booking_confirmed", "对了,没问题", True),
        ("booking_confirmed", "对了", True),  # after a correction: right now
        ("booking_confirmed", "妥了", True),
        ("booking_confirmed", "就这么定了", True),
        # a yes word inside other words is no yes (打了好几次 / 行驶)
        ("booking_offer", "今天早上打火打了好几次才着", None),
        ("booking_offer", "行驶了五万公里", None),
        ("booking_offer", "好几天了 约一下", True),
        # chat English as a whole word (not inside a VIN or a plate)
        ("booking_confirmed", "yep", True),
        ("repeat_repair", "nope", False),
        ("booking_offer", "Sure", True),
    ],
)
def test_yes_no_in_the_customers_own_words(slot, words, expected):
    assert SCRIPT.read_yes_no(slot, words) is expected


@pytest.mark.parametrize(
    ("words", "declined"),
    [
        ("没有", True),
        ("莫得", True),
        ("没有,就把那个响的问题弄好", True),
        ("没啥了,就保养", True),
        ("没啦", True), ("没嘞", True), ("没啦～谢谢🙏", True), ("谢谢", False), ("甭了 没有", True), ("不用不用", True),
        ("没什么了，就做个保养", True),
        ("不用了,先把车修好再说", True),
        ("顺便洗个车", False),
        ("有,顺便换个雨刮", False),
        ("没有别的,就是想顺便洗个车", False),
        ("没有,就是想顺便洗个车", False),
        # the main job as it comes (按常规做 / 照套餐走): no extra
        ("照常规做就行,其他没了", True),
        ("就按厂家的项目来吧", True),
        ("按常规做,另外帮忙查下胎压", False),
        # asking to be quick is no extra work
        ("没有,快点弄好就行", True),
        ("没有！快点", True),
        ("冒得哒", True),
        ("伐要了", True),
        ("快点", False),  # no "no" said: the question stands
        ("nope", True),
        ("米有", True), ("木有了", True),
        ("No 没了", True),
    ],
)
def test_no_extra_work_even_when_the_main_job_is_said_again(words, declined):
    assert SCRIPT.declines_extra(words) is declined


@pytest.mark.parametrize(
    ("words", "leaves_it"),
    [("随便 你们定", True), ("哪个都行", True), ("越早越好", True), ("下午三点", False), ("我再想想", False)],
)
def test_words_that_leave_the_time_to_the_dealer(words, leaves_it):
    assert SCRIPT.leaves_it_to_us(words) is leaves_it


@pytest.mark.parametrize(
    ("words", "kind"),
    [("保养大概多少钱?", "ask_price"), ("你们周末上班吗", "ask_hours"), ("店在哪里啊", "ask_address"),
     ("三万五公里", None),
     # what to do if the booked time cannot be kept, asked (said plainly, it moves the booking)
     ("万一那天临时来不了怎么办", "ask_if_cannot_come"), ("要是那天有事过不去咋办", "ask_if_cannot_come"),
     ("礼拜三来不了了", None),
     # the staff's experience, asked or wished (answered; the booking question comes again)
     ("你们店有懂新能源的师傅吗", "ask_staff"), ("给我派个经验丰富点的", "ask_staff")],
)
def test_a_question_is_recognised_by_its_words(words, kind):
    assert SCRIPT.question_kind(words) == kind


@pytest.mark.parametrize(
    ("words", "odometer"),
    [("车跑了3万公里想做保养", True), ("快五万公里了", True), ("以前能跑100公里,现在七十都不到", False),
     ("过年要开回老家 一千五百公里", False),
     # when a service falls due is no reading of the odometer
     ("销售说三千公里要来做首保 现在差不多到了", False), ("说是5000公里保养一次", False),
     ("跑了三千公里了 想做首保", True)],
)
def test_a_distance_is_the_mileage_only_when_said_so(words, odometer):
    assert SCRIPT.names_odometer(words) is odometer


@pytest.mark.parametrize(
    ("words", "expected"),
    [("约个保样", "maintenance"), ("小保样", "maintenance"), ("想维秀一下", "repair"),
     ("就普通宝养", "maintenance"),  # the first character slipped, the rest is the word's own
     ("车子挂了", None)],  # sounds like 刮了 but shares only the filler 了: not body work
)
def test_a_service_typed_with_a_homophone(words, expected):
    assert CATALOG.service_code_for(words) == expected


@pytest.mark.parametrize(
    ("said", "kept"),
    [
        ("车在停车场被人划了一道 左后门那里", "车在停车场被人划了一道,左后门那里"),
        ("你好 我车门被刮了 想约周六上午喷个漆 姓王 电话13812345678", "我车门被刮了"),
        ("后杠被人追尾撞裂了,对方保险已经定损了,想约下周一修", "后杠被人追尾撞裂了"),
        ("想补个漆", ""),  # only the work asked for: where and what are still asked
        ("约个钣金喷漆", ""),
    ],
)
def test_a_body_job_is_kept_in_the_customers_words(said, kept):
    assert job_words(said, CATALOG.service_type("body_paint").job_words) == kept


@pytest.mark.parametrize(
    ("said", "wish"),
    [("就洗车,别的没了", "就洗车"), ("洗车 别的没有了", "洗车"), ("唔使了,多谢", None),
     ("没有了,谢谢", None), ("没有,就把那个响的问题弄好", None), ("顺便洗个车", None),
     ("没有 快点", None), ("洗个车,越快越好", "洗个车")],
)
def test_a_wish_said_with_nothing_else(said, wish):
    assert SCRIPT.wish_besides_no(said) == wish


@pytest.mark.parametrize("said", ["这个我也说不清楚", "具体哪天说不好", "唔知", "不晓得"])
def test_answers_that_only_say_i_do_not_know(said):
    assert SCRIPT.only_unknown(said) is True


@pytest.mark.parametrize(
    ("words", "main"),
    [("这次主要是来做保养,顺便把后门那道小划痕补一下漆", "maintenance"),
     ("顺便做个保养", "maintenance"),  # nothing else named: the 顺便 service is the one
     ("想喷个漆,顺便做个保养", "body_paint")],
)
def test_a_service_asked_by_the_way_is_not_the_main_one(words, main):
    assert CATALOG.main_service_for(words, False) == main


@pytest.mark.parametrize(("words", "expected"), [("修", "repair"), ("修吧", "repair"), ("要修", "repair")])
def test_a_bare_verb_answering_the_question_names_the_service(words, expected):
    assert CATALOG.service_code_for(words) == expected
    assert CATALOG.main_service_for(words, describes_fault=False) == expected


def test_the_bare_verb_is_not_looked_for_inside_a_sentence():
    assert CATALOG.main_service_for("上次修过以后还是响,这次来做保养", describes_fault=False) == "maintenance"


@pytest.mark.parametrize("words", ["保修的话不收费吧?", "质保要钱吗", "三包能全免吗"])
def test_what_a_warranty_repair_costs_is_a_warranty_question(words):
    assert SCRIPT.question_kind(words) == "ask_warranty"
    assert SCRIPT.question_kind("保养多少钱") == "ask_price"


@pytest.mark.parametrize(("words", "asks"), [
    ("方向盘抖动,不敢开,约后天下午四点", True), ("约周六上午", True),
    ("我约了朋友明天吃饭", False), ("大约两万公里", False),
])
def test_yue_followed_by_the_time_asks_for_a_booking(words, asks):
    assert SCRIPT.asks_for_booking(words) is asks


@pytest.mark.parametrize(("words", "asks"), [
    ("那看看什么时候能去", True), ("哪天可以过来", True), ("啥时候有空位", True),
    ("什么时候能去取车", False), ("什么时候能修好", False), ("你们几点开门", False),
])
def test_asking_when_the_car_can_come_in_asks_for_a_booking(words, asks):
    assert SCRIPT.asks_for_booking(words) is asks


@pytest.mark.parametrize(("what", "ask"), [
    ("底盘异响", "utter_ask_symptom_detail_noise"),
    ("刹车又响了", "utter_ask_symptom_detail_noise"),
    ("仪表盘上亮了个黄灯", "utter_ask_symptom_detail_light"),
    ("车头有阵怪味", "utter_ask_symptom_detail_smell"),
    ("转弯的时候咔咔响", None), ("哐哐响", None),  # the sound itself
    ("发动机故障灯亮了", None), ("有股汽油味", None), ("空调不凉", None),
])
def test_a_complaint_naming_only_the_kind_of_symptom_asks_its_detail(what, ask):
    assert SCRIPT.detail_to_ask(what) == ask


@pytest.mark.parametrize(("said", "months"), [
    ("我的车才买半年", 6), ("车才买一年多", 12), ("提车两年半了", 30), ("开了十二年", 144),
    ("买了20个月", 20), ("新车", 0), ("刚提车", 0), ("刹车有异响", None),
])
def test_how_long_the_customer_has_had_the_car(said, months):
    from dealer.catalog import months_owned

    assert months_owned(said) == months


def test_the_warranty_period_is_catalogue_data():
    assert CATALOG.warranty_months == 36
    assert CATALOG.fault_service("车买了两年多,天窗漏水") == "warranty"
    assert CATALOG.fault_service("车买了三年多,天窗漏水") == "repair"


@pytest.mark.parametrize("said", ["刚买的二手车,底盘有咯噔咯噔的声音", "才提的车,别人手里过户来的,空调不凉"])
def test_a_used_car_just_bought_is_not_a_new_car(said):
    assert CATALOG.fault_service(said) == "repair"


@pytest.mark.parametrize("said", ["换四条轮胎多少钱", "想换两条前胎", "换个胎"])
def test_a_part_a_job_names_tells_no_fault(said):
    assert describes_a_fault_without_jobs(said) is False


def test_a_fault_told_beside_a_tyre_job_is_still_told():
    assert describes_a_fault_without_jobs("左后轮胎侧面起了个包,要换胎吗") is True


def describes_a_fault_without_jobs(said: str) -> bool:
    return tells_a_fault(CATALOG.without_jobs_giving_way(said), check_asked=False)


@pytest.mark.parametrize(("words", "topic"), [
    ("做完保养能开票吗", "invoice"), ("修车期间有没有代步车", "courtesy_car"), ("可以刷卡不", "payment"),
    ("新能源的车坏了,充电桩充不上电", None), ("顺便帮我洗个车", None),
])
def test_a_question_about_what_the_shop_offers_names_its_topic(words, topic):
    assert SCRIPT.shop_fact_topic(words) == topic
    assert (SCRIPT.question_kind(words) == "ask_shop_fact") is (topic is not None)


def test_each_dealer_answers_the_shop_topics_it_has():
    from dealer.catalog import load_dealers

    pudong = load_dealers()["pudong"]
    assert "发票" in CATALOG.shop_fact("invoice") and "代步车" in CATALOG.shop_fact("courtesy_car")
    assert pudong.shop_fact("invoice") and pudong.shop_fact("courtesy_car") is None  # the advisor answers
    assert CATALOG.shop_fact(None) is None
    assert set(dict(CATALOG.shop_facts)) <= set(SCRIPT.shop_fact_words)  # every answer has its words


def test_an_extended_warranty_claim_is_a_warranty_claim():
    said = "延保期内的车,发动机漏油,能保吗?"
    assert CATALOG.main_service_for(said, describes_fault=True) == "warranty"
    assert SCRIPT.question_kind(said) == "ask_warranty"


def test_stone_chips_are_the_body_job_told():
    marks = CATALOG.service_type("body_paint").job_words
    assert job_words("引擎盖被石子崩了好几个小点,想补一下漆", marks) == "引擎盖被石子崩了好几个小点"


@pytest.mark.parametrize(("words", "main"), [
    ("刚买了辆二手车,想在你们这做个全车检测,不是保养哈", "inspection"),
    ("想做个两万公里的保养，门上那道划痕这次先不弄", "maintenance"),
    ("想来做个全车检测,保养记录也想查查", "inspection"),
    ("补个漆,保养上个月刚做过不用弄", "body_paint"),
    ("先不保养了,保养还没到公里数,主要看空调", None),
    ("要不要做保养", "maintenance"),
    ("是不是该保养了", "maintenance"),
    ("这个不是保修吗", "warranty"),
])
def test_a_service_named_only_to_decline_it_is_not_asked_for(words, main):
    assert load_catalog().main_service_for(words, False) == main


@pytest.mark.parametrize(("words", "declined"), [
    ("这次先不保养了,就看空调那个味儿", {"maintenance"}),
    ("保养我上礼拜其实在外面做过了", {"maintenance"}),
    ("约个保养,顺便补漆", set()),
    ("不用保养吗?", set()),
])
def test_the_services_declined(words, declined):
    assert load_catalog().services_declined(words) == declined


def test_a_service_said_by_the_way_after_the_main_fault_gives_way():
    dealer = load_catalog()
    assert dealer.main_service_for("主要是跑偏这个想让师傅看看,保养顺便做了", True) is None
    assert dealer.main_service_for("做保养顺便补个漆", False) == "maintenance"


def test_a_dealer_may_ask_the_vin_for_warranty_only():
    from dealer.catalog import load_dealers

    pudong = next(dealer for dealer in load_dealers().values() if dealer is not None and dealer.code != CATALOG.code)
    assert "vin" in SCRIPT.slots_to_ask(pudong.service_type("warranty").flags, first_visit=True)
    assert "vin" not in SCRIPT.slots_to_ask(pudong.service_type("maintenance").flags, first_visit=True)


def test_homophones_are_found_as_by_reading_every_window():
    """sounds_in skips texts without the word's first character or the rest of it: the
    same answers as reading every window, over the catalogue's words and random texts."""
    import random

    from dealer import homophones

    def every_window(word, text):
        if len(word) < 2 or not all("\u4e00" <= ch <= "\u9fff" for ch in word):
            return False
        return any(window != word and homophones._same_stem(window, word)
                   and homophones._reading(window) == homophones._reading(word)
                   for window in (text[i:i + len(word)] for i in range(len(text) - len(word) + 1)))

    words = sorted({synonym for _, synonym in CATALOG._synonyms()})
    pool = "".join(sorted(set("".join(words)))) + "宝样秀包了的子王先生明天点12A"
    rng = random.Random(7)
    texts = ["".join(rng.choice(pool) for _ in range(rng.randint(0, 8))) for _ in range(300)]
    for word in words:  # a character of each word swapped for one that may read the same
        at = rng.randrange(len(word))
        for other in "宝样秀包报饱修维喷盆":
            texts.append(rng.choice(pool) + word[:at] + other + word[at + 1:] + rng.choice(pool))
    texts += ["约个保样", "想维秀一下", "就普通宝养", "车子挂了", "13912345678", "王先生"]
    found = 0
    for text in texts:
        for word in words:
            expected = every_window(word, text)
            assert homophones.sounds_in(word, text) is expected, (word, text)
            found += expected
    assert found > 20  # the random texts do hold homophones
