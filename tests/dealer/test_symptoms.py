"""Reading a complaint: each question gets only the words that answer it (no greedy prefill)."""
import time

import pytest

from dealer.symptoms import (
    restatement,
    answers_in,
    clauses,
    complaint_words,
    completeness,
    further_complaint,
    is_dangerous,
    is_vague_frequency,
    names_a_problem,
    phenomenon,
    read_restatement_reply,
    same_complaint,
    separate_complaints,
    tells_a_fault,
    told_symptom,
    tags,
)


def test_an_opening_sentence_answers_what_where_and_when():
    found = answers_in("刹车的时候有异响,最近一周都这样")
    assert found["what"] == "刹车的时候有异响"
    assert found["where"] == "刹车的时候"
    assert found["when"] == "最近一周"
    assert "frequency" not in found and "tried" not in found


def test_frequency_impact_and_tried_are_recognised():
    found = answers_in("冷车启动的时候抖动,每次都这样,还能开,自己重启过没用")
    assert found["where"] == "冷车启动的时候"
    assert found["frequency"] == "每次都这样"
    assert found["driving_impact"] == "还能开"
    assert found["tried"] == "自己重启过没用"


def test_one_sentence_does_not_land_in_several_fields():
    found = answers_in("我的车刹车的时候有异响,最近一周都这样,想约明天上午八点半修一下")
    assert found == {"what": "刹车的时候有异响", "when": "最近一周", "where": "刹车的时候"}


# --- when: the time phrase only; a vague one is no answer -----------------------------------


@pytest.mark.parametrize(
    "text,when",
    [
        ("刹车有异响,最近一周都这样", "最近一周"),
        ("上周三开始刹车就响", "上周三开始"),
        ("三天前空调就不凉了", "三天前"),
        ("从昨天起方向盘抖", "从昨天起"),
        ("入冬以后冷车启动困难", "入冬以后"),
        ("换完轮胎之后方向盘抖", "换完轮胎之后"),
        ("刹车有异响,一个星期了", "一个星期了"),
        ("发现车底下漏油,前几天开始的", "前几天开始的"),
        ("有一个月了,一直漏油", "有一个月了"),
        ("买车半年以后就有顿挫了", "买车半年以后"),
        ("上个月换了轮胎以后跑偏", "上个月换了轮胎以后"),
        ("今天早上开始的", "今天早上开始的"),
        ("最近两个月油耗高", "最近两个月"),
        ("半年了", "半年了"),
    ],
)
def test_when_is_the_time_phrase(text, when):
    assert answers_in(text)["when"] == when


@pytest.mark.parametrize(
    "text",
    [
        "我的迈腾最近刹车有异响",
        "最近加速没劲",
        "这阵子刹车有点响",
        "这段时间发动机抖",
        "前阵子开始漏油",
        "最近",
        "车子早上启动不了",  # a time of day, not since when
        "速腾开了三年最近老是熄火",  # the car's age, not since when
        "右前轮隔几天就得打一次气",  # how often, not since when
        "暖风开了半天还是凉的",
    ],
)
def test_a_vague_time_is_not_an_answer(text):
    assert "when" not in answers_in(text)


@pytest.mark.parametrize("text", ["约明天上午九点修一下,刹车异响", "刹车异响,想约后天下午两点", "周五下午3点半过来看看,空调不凉"])
def test_the_booking_time_is_not_when_it_started(text):
    assert "when" not in answers_in(text)


# --- where: the situation or the place; a part alone is neither -----------------------------


@pytest.mark.parametrize(
    "text",
    ["刹车踩着软软的", "电瓶没电", "车子加速没劲", "空调不制冷", "仪表盘上故障灯亮了", "变速箱顿挫", "方向盘抖动", "发动机漏油,而且加速没劲",
     "刹车失灵了,踩不住", "开车跑偏,方向盘往右拉", "车子跑偏 松开手就往右边跑"],
)
def test_a_part_alone_does_not_answer_where(text):
    assert "where" not in answers_in(text)


@pytest.mark.parametrize(
    "text,where",
    [
        ("刹车的时候有异响", "刹车的时候"),
        ("我的车刹车的时候有异响", "刹车的时候"),
        ("过减速带时底盘异响", "过减速带时"),
        ("高速上120以上方向盘抖", "高速上120以上"),
        ("冷车启动有异响", "冷车启动"),
        ("下雨天雨刮有异响", "下雨天"),
        ("左前轮那里有异响", "左前轮那里"),
        ("怠速时车身抖动", "怠速时"),
        ("车子怠速的时候抖动得厉害", "怠速的时候"),
        ("变速箱换挡顿挫,起步的时候最明显", "起步的时候"),
        ("车里漏水,下雨的时候脚垫都湿了", "下雨的时候"),
        ("最近高速的时候方向盘抖动", "高速的时候"),
        ("车子跑起来嗡嗡响,车速到八十以上", "车速到八十以上"),
        ("最近加速没劲,每次上坡都这样", "上坡"),
        ("空调有异味,一开空调就有", "一开空调"),
        ("发动机下面那块漏油", "发动机下面那块"),
        ("我这个车冷车的时候排气管喷黑烟", "冷车的时候"),
        ("停车以后车头那边有股糊味", "停车以后,车头那边"),
        ("洗车的时候水从A柱那里渗进来了", "洗车的时候,A柱那里"),
        # the part before 就 is what shakes, not where; a condition told before a place is its own
        ("我车一上高速方向盘就贼抖", "一上高速"),
        ("方向盘上了高速就抖,跑到一百以上抖得手都麻", "上了高速"),
        ("早上冷车启动发动机那里吱吱叫", "冷车启动,发动机那里"),
    ],
)
def test_where_is_the_situation_phrase(text, where):
    assert answers_in(text)["where"] == where


@pytest.mark.parametrize("text", ["入冬以后就这样", "换完轮胎之后", "今天早上的时候"])
def test_a_time_is_not_a_situation(text):
    assert "where" not in answers_in(text)


# --- frequency, driving impact, tried: the phrase, not the clause ---------------------------


@pytest.mark.parametrize(
    "text,frequency",
    [
        # how often, as the customer put it (每次…都有 / 都这样), not only its first word
        ("每次都这样", "每次都这样"),
        ("每次打方向都会有", "每次打方向都会有"),
        ("每次踩刹车都响", "每次踩刹车都响"),
        ("每次挂倒挡都咯噔一下", "每次挂倒挡都"),
        ("空调是上周开始的,刹车一直都响", "一直"),
        ("刹车有时候踩不住", "有时候"),
        ("中控屏幕经常黑屏", "经常"),
        ("一天好几次", "一天好几次"),
        ("这周两次了", "这周两次了"),
        ("车又打不着了,这已经是这个月第三次了", "已经是这个月第三次了"),
        ("偶尔", "偶尔"),
    ],
)
def test_frequency_is_the_frequency_phrase(text, frequency):
    assert answers_in(text)["frequency"] == frequency


@pytest.mark.parametrize("text", ["修过一次", "第一次来", "换过一次机油"])
def test_a_count_of_repairs_is_not_a_frequency(text):
    assert "frequency" not in answers_in(text)


@pytest.mark.parametrize(
    "text,impact",
    [
        ("车子抖动,还能开", "还能开"),
        ("高速上不太敢开", "不太敢开"),
        ("不影响开车", "不影响开车"),
        ("有点影响", "有点影响"),
        ("车开不了了", "开不了了"),
        ("刹车很软,不敢开了", "不敢开了"),
        ("能开但是不舒服", "能开"),
    ],
)
def test_driving_impact_is_the_impact_phrase(text, impact):
    assert answers_in(text)["driving_impact"] == impact


@pytest.mark.parametrize(
    "text",
    ["车门开不了", "电动座椅不能调了", "在小区里正常开着突然就熄火了", "高速上正常开就会报警", "能不能顺便检查下空调", "车子早上启动不了", "加满一箱油跑不了三百公里,以前能跑五百多"],
)
def test_no_driving_impact(text):
    assert "driving_impact" not in answers_in(text)


@pytest.mark.parametrize(
    "text,tried",
    [
        ("故障灯亮了,自己重启过也没用", "自己重启过也没用"),
        ("胎压灯亮了刚打过气还亮", "刚打过气还亮"),
        ("最近高速方向盘抖动,自己检查过胎压", "自己检查过胎压"),
        ("在你们店修过", "在你们店修过"),
        ("看过别的修理厂没修好", "看过别的修理厂没修好"),
        ("遥控钥匙没反应了,换了钥匙电池也不行", "换了钥匙电池也不行"),
        ("我自己重启了一下", "自己重启了一下"),
        ("没处理过", "没处理过"),
    ],
)
def test_tried_is_the_tried_phrase(text, tried):
    assert answers_in(text)["tried"] == tried


@pytest.mark.parametrize("text", ["中控屏老是自己重启", "中控屏自己重启了", "无线充电板不充电手机放上去没动静", "高速上突然没动力了"])
def test_a_complaint_is_not_something_tried(text):
    found = answers_in(text)
    assert "tried" not in found and found["what"]


# --- what: the complaint, without greetings and the booking request -------------------------


@pytest.mark.parametrize(
    "text,what",
    [
        ("你好 探岳 变速箱低速顿挫 想约个检测", "探岳变速箱低速顿挫"),
        ("您好,我想预约明天下午修车,刹车有异响,最近一周了", "刹车有异响"),
        ("在吗 能约个检查吗 空调不凉", "空调不凉"),
        ("喂 帮我看看 发动机有异响", "发动机有异响"),
        ("哈喽,预约明天下午,车子抖动", "车子抖动"),
        ("我想约明天上午九点修车,车子有异响", "车子有异响"),
        ("车子怠速的时候抖动得厉害,约明天上午九点半看一下", "车子怠速的时候抖动得厉害"),
        ("空调不制冷,想预约检修", "空调不制冷"),
        ("我车有异响想去店里看看", "我车有异响"),
        ("帮我看看刹车异响", "刹车异响"),
        ("明天下午能过来修吗 刹车有点软", "刹车有点软"),
        ("轮胎鼓包了想去换一下", "轮胎鼓包了"),
        ("你好 油箱盖打不开了咋整", "油箱盖打不开了"),
        ("安全气囊灯亮着 不知道咋回事", "安全气囊灯亮着"),
        ("哎 车又打不着了", "车又打不着了"),
        ("我的迈腾最近刹车有异响", "我的迈腾最近刹车有异响"),
        ("空调不出风,还有刹车有异响,约明天下午四点", "空调不出风,还有刹车有异响"),
        ("故障灯亮了,自己重启过也没用", "故障灯亮了"),
        ("你好 我车怠速的时候抖得厉害啊 方向盘都跟着震", "我车怠速的时候抖得厉害啊,方向盘都跟着震"),
        ("空调不制冷，想预约检修", "空调不制冷"),  # full-width comma
        ("想约个时间检查一下刹车异响", "刹车异响"),
        ("刹车有异响明天上午能修吗", "刹车有异响"),
        ("刹车有异响,能不能修", "刹车有异响"),
    ],
)
def test_what_is_the_complaint_in_the_customers_words(text, what):
    assert complaint_words(text) == what
    assert _in_order(answers_in(text)["what"], what)  # the symptom: the same words or fewer


@pytest.mark.parametrize(
    "text,what",
    [
        # the moment and the place stay with the symptom; when and how often go
        ("过减速带的时候前面左边咯噔咯噔响 有两三周了 每次过都响", "过减速带的时候前面左边咯噔咯噔响"),
        ("过减速带的时候右前轮那里咯噔咯噔响", "过减速带的时候右前轮那里咯噔咯噔响"),
        ("车怠速的时候方向盘抖", "车怠速的时候方向盘抖"),
        ("右前叶子板凹了一小块", "右前叶子板凹了一小块"),  # 块 is not a filler
        # the place that says which part stays with it (which window is part of what is wrong)
        ("左后门车窗降下去升不上来了 还在保修期 能保修不", "左后门车窗降下去升不上来了"),
        ("我的朗逸沪A·8P5R3,开空调有股霉味,我姓方电话13585207746", "开空调有股霉味"),
        ("钣金车门凹了个坑,停车场被人开门磕的", "车门凹了个坑"),
        ("我的迈腾最近刹车有异响", "刹车有异响"),
        ("空调不出风,还有刹车有异响", "空调不出风,刹车有异响"),
        ("刹车的时候有异响,最近一周都这样", "刹车的时候有异响"),  # the part stays with its situation
        # the car's age said first, a dialect greeting and the car as subject are no part of it
        ("新车才半年天窗就漏水,这个能走质保吧", "天窗就漏水"),
        ("恁好 俺那车过减速带底盘咯噔咯噔响 想去瞅瞅", "过减速带底盘咯噔咯噔响"),
        ("老铁 我车一上高速方向盘就贼抖 咋整啊", "一上高速方向盘就贼抖"),
        ("方向盘上了高速就抖", "方向盘上了高速就抖"),
        # a part said on its own, then what it does: the symptom is the part's
        ("刹车 吱吱响", "刹车吱吱响"),
        ("就是发动机那块 哒哒哒哒地响", "发动机那块哒哒哒哒地响"),
        ("现在司机那边的车窗 升上去又自己降下来", "司机那边的车窗升上去又自己降下来"),
        ("空调 不凉了", "空调不凉了"),
        ("右后门的玻璃 关不严", "右后门的玻璃关不严"),
    ],
)
def test_what_is_the_symptom_without_the_words_that_answer_other_questions(text, what):
    assert answers_in(text)["what"] == what


@pytest.mark.parametrize(
    "text",
    [
        "倒车影像黑屏了",
        "油耗突然高了好多",
        "胎压灯亮了刚打过气还亮",
        "水温都到红线边上了",
        "中控屏老是自己重启",
        "后备箱关不上",
        "氛围灯不亮了",
        "车机连不上蓝牙",
        "雨刮器刮不干净",
        "玻璃水喷不出来",
        "钥匙没反应",
        "方向盘很重",
        "转速忽高忽低",
        "车里有股汽油味",
        "排气管冒蓝烟",
        "跟车慢慢挪的时候车子一顿一顿的",
        "车窗关上以后还有条缝",
        "左前轮瘪了",
        "CarPlay老是断开",
        "变速箱一档升二档的时候顿一下",
        "副驾脚底下有水",
        "空调也不太凉",
        "电动座椅不能调了",
        "混动车油耗比燃油车还高",
        "无钥匙进入没反应",
        "电动踏板伸不出来",
        "空调风有点小",  # a listed part and how it is
        "发动机声音变得很粗",
        "空调不行了",
        "点火要打好几下才能着",  # starts only after tries
        "拧了半天才着车",
        "我的车子打火打不燃了",  # south-western for 打不着
    ],
)
def test_a_complaint_without_a_listed_symptom_word_is_found(text):
    what = answers_in(text)["what"]
    assert len(what) >= 3 and _in_order(what, text)  # the customer's own words, perhaps fewer


def _in_order(words: str, text: str) -> bool:
    rest = iter(text)
    return all(ch in rest for ch in words.replace(",", ""))


@pytest.mark.parametrize(
    "text",
    [
        "没有了", "没有其他的了", "就这些", "没了谢谢", "对", "对的", "是的,没错", "不对", "不清楚", "说不上来", "还有个小毛病",
        "有点不对劲", "车子有点问题", "想约后天上午十点半修车", "还能开", "不影响", "每次都响", "一直亮着", "重启过还是亮",
        "星期天开不开门", "能不能让人工回复", "发动机要不要检查", "帮我看看刹车", "想保养一下发动机", "空调多少钱",
    ],
)
def test_no_complaint_in_answers_and_replies(text):
    assert "what" not in answers_in(text)
    assert complaint_words(text) == ""


def test_an_overheating_engine_names_a_problem():
    # A symptom, not a part: "where" (road condition, speed) is still asked.
    assert "开锅" in tags("水温过高,开锅了")["symptoms"]
    assert names_a_problem("水温过高,开锅了")
    assert "where" not in answers_in("水温过高,开锅了")


@pytest.mark.parametrize("text", ["空调也不太凉", "后备箱", "倒车影像黑屏了"])
def test_a_part_or_a_state_names_a_problem(text):
    assert names_a_problem(text)


@pytest.mark.parametrize("text", ["还有个小毛病", "有点问题", "没有了"])
def test_vague_words_name_no_problem(text):
    assert not names_a_problem(text)


# --- 还有其他的吗: the same complaint again, or a new one --------------------------------------

RECORDED = ["刹车的时候有异响"]


@pytest.mark.parametrize(
    "text",
    ["还是刚才那个异响", "就是刹车响", "刹车的时候有异响", "还有刹车响", "就是刚才说的", "同一个问题", "还是那个问题", "刹车异响",
     "就是那个刹车异响", "还是异响"],
)
def test_the_same_complaint_told_again(text):
    assert same_complaint(text, RECORDED)


@pytest.mark.parametrize(
    "text",
    ["还有空调不凉", "空调也不太凉", "还有车门有异响", "刹车片磨损了", "还有刹车有点抖", "还有,变速箱顿挫", "有", "还有个小毛病",
     "另外车窗关不严,下雨的时候漏水"],
)
def test_a_new_complaint_is_not_the_same(text):
    assert not same_complaint(text, RECORDED)


@pytest.mark.parametrize(
    ("text", "same"),
    [
        ("没别的,就是刹车响", True),  # nothing else, then the recorded one pointed at
        ("没有了,就刹车那个异响", True),
        ("没有,就是空调也不凉", False),  # a no, then a new complaint after all
        ("没了,还有车窗关不严", False),
    ],
)
def test_nothing_else_then_the_recorded_complaint(text, same):
    assert same_complaint(text, RECORDED) is same


@pytest.mark.parametrize(("text", "recorded"), [
    ("还有胎压灯那个,刚才说了", "胎压灯偶尔会亮一下"),
    ("还有后备箱那个,刚才说了的", "后备箱电动门有时候打不开"),
    ("还有尾门那个", "电动尾门关一半就停"),
    ("还有就是左后轮那有点异响，刚说了的", "左后轮那有点异响"),
    ("天窗那个前面提过了", "天窗漏水"),
    ("还有雨刮刮不干净", "雨刮器刮不干净"),  # one part by a shorter name
])
def test_a_part_pointed_back_at_is_the_complaint_told_before(text, recorded):
    assert same_complaint(text, [recorded])


@pytest.mark.parametrize("text", ["还有天窗那个也漏水", "还有空调那个,一直不凉", "还有刹车那个,踩着软"])
def test_a_part_pointed_at_with_a_new_symptom_is_no_repetition(text):
    assert not same_complaint(text, ["胎压灯偶尔会亮一下"])


def test_the_same_kind_in_other_words_is_the_same_complaint():
    assert same_complaint("就打不着火这个", ["车子启动困难,要打好几次才着"])
    assert same_complaint("主要就是漏水,下雨天真的烦", ["窗那里就往里渗水"])  # emphasis, not a new one
    assert not same_complaint("还有空调不凉", ["车子启动困难,要打好几次才着"])


def test_the_same_complaint_is_looked_for_in_every_recorded_one():
    assert same_complaint("空调还是不凉", ["刹车的时候有异响", "空调不制冷"])
    assert not same_complaint("还有空调不制冷", [])
    assert not same_complaint("还有空调不制冷", ["", None])


# --- the rest: clauses, restatement, further complaint, danger, tags, completeness -----------


def test_clauses_split_on_half_and_full_width_punctuation():
    assert clauses("空调不制冷，想预约检修;刹车有异响。最近一周") == ["空调不制冷", "想预约检修", "刹车有异响", "最近一周"]


def test_a_further_complaint_without_its_lead_in():
    assert further_complaint("还有空调不制冷") == "空调不制冷"
    assert further_complaint("有,空调不凉") == "空调不凉"


@pytest.mark.parametrize(
    "text,agrees,correction",
    [("对", True, None), ("不是,是方向盘抖", False, "方向盘抖"), ("不是异响,是抖动", False, "抖动"), ("不对", False, None),
     # 没错了 holds the no-word 错了 but says yes; remarks on one's own words are no complaint.
     ("对,现在没错了", True, None), ("这回没错了", True, None),
     ("不对不对,是左前轮异响,我刚说错了", False, "左前轮异响"), ("不好意思,是方向盘抖", None, "方向盘抖"),
     ("我说错了", False, None),
     # a yes in regional words
     ("差不离,就这么回事", True, None), ("八九不离十吧", True, None)],
)
def test_the_reply_to_the_restated_complaint(text, agrees, correction):
    reply = read_restatement_reply(text)
    assert (reply.agrees, reply.correction) == (agrees, correction)


@pytest.mark.parametrize(
    "text",
    ["刹车很软,踩不住", "车子冒烟了", "水温过高报警", "仪表上红色警告灯亮了", "方向失控了一下", "刹车踩着软软的", "刹车有点软",
     "发动机舱那里好像有火苗", "车子自己在加速", "水温爆表了",
     # signs told with a word between: a colour, 表, 就
     "排气管冒白烟", "开着开着水温表就飙到头了", "发动机冒着黑烟"],
)
def test_danger_signs(text):
    assert is_dangerous(text)


@pytest.mark.parametrize("text", ["空调不制冷", "车门有异响", "想做个保养", "座椅软软的"])
def test_no_danger(text):
    assert not is_dangerous(text)


def test_tags_name_parts_and_symptom_types():
    assert tags("刹车的时候有异响,方向盘抖动") == {"parts": ["刹车", "方向盘"], "symptoms": ["异响", "抖动"]}


def test_completeness_counts_real_answers_only():
    answers = {
        "what": "刹车异响", "when": "最近一周", "where": "刹车的时候",
        "frequency": "不清楚", "driving_impact": None, "tried": "没有",
    }
    assert completeness(answers) == 3
    assert completeness(None) == 0


def test_a_car_that_will_not_start_is_not_on_fire():
    assert not is_dangerous("早上打不着火了")
    assert is_dangerous("发动机舱着火了")


@pytest.mark.parametrize("text", ["的" * 3000, "一" * 3000 + "就", "在" * 3000 + "那里", "自己" * 1500, "亮了" * 1500])
def test_a_long_message_is_read_in_bounded_time(text):
    start = time.perf_counter()
    answers_in(text)
    same_complaint(text, RECORDED)
    assert time.perf_counter() - start < 3


@pytest.mark.parametrize("text", ["一刻没有的话九点半就行", "左前大灯不亮了 修车的话下午过去"])
def test_a_condition_about_the_booking_is_no_situation(text):
    assert all("的话" not in phrase for phrase in answers_in(text).get("where", "").split(","))


# --- when / frequency: only words that answer the question --------------------------------


@pytest.mark.parametrize(
    "text,when",
    [("上周从外地回来的路上开始响", "上周"), ("打上个月起就漏油", "打上个月起"), ("自从昨天开始抖", "自从昨天开始")],
)
def test_a_wrap_that_opens_the_next_phrase_is_not_part_of_the_time(text, when):
    assert answers_in(text)["when"] == when


@pytest.mark.parametrize("text", ["停两天就打不着火", "放了一个礼拜电瓶就没电", "车停了三天再开就抖"])
def test_how_long_the_car_stood_is_a_condition_not_when_it_started(text):
    assert "when" not in answers_in(text)


@pytest.mark.parametrize("words,vague", [
    ("老是", True), ("时不时", True), ("经常,偶尔", True), ("有时候", True),
    ("每次", False), ("一天好几次", False), ("每天早上", False), ("一直", False), ("", False),
])
def test_a_vague_how_often(words, vague):
    assert is_vague_frequency(words) is vague


@pytest.mark.parametrize("text", [
    "车架号 LFV3A24F7N3012480 发动机有异响", "变速箱换挡有顿挫 vin:lfv2b25g8m5047318",
    "沪A·12345 刹车有异响", "刹车有异响 电话138 1234 5678",
])
def test_a_vin_phone_or_plate_told_with_the_complaint_is_not_its_words(text):
    what = answers_in(text)["what"]
    assert not any(ch.isdigit() for ch in what), what


@pytest.mark.parametrize("text", ["这都第二次了,能不能给我弄好", "第三次了,上次修了还是不行"])
def test_which_repair_it_is_is_not_how_often_the_fault_shows(text):
    assert "frequency" not in answers_in(text)


@pytest.mark.parametrize("text", ["新车才买半年 天窗就漏水", "新买不到一年的汉兰达 天窗漏水 下雨副驾头顶滴水",
                                  "刚提了三个月的车,刹车异响", "新车才开半年 中控屏老是黑屏",
                                  "车上个月才提的,空调异响", "去年刚买的车,最近刹车有异响", "空调不制冷了 车才一年多",
                                  "新买的星越L才三个月，驾驶座车门关不严实"])
def test_how_old_the_car_is_is_not_when_the_symptom_started(text):
    found = answers_in(text)
    assert "when" not in found and "年" not in found["what"] and "月" not in found["what"]


@pytest.mark.parametrize("text,what", [
    ("车在质保期内,电瓶坏了换新的要钱吗", "电瓶坏了"), ("刹车片磨没了换一下多少钱", "刹车片磨没了"),
    ("收费站出来刹车就响", "收费站出来刹车就响"),
])
def test_what_it_costs_asked_with_the_fault_is_not_the_fault(text, what):
    assert complaint_words(text) == what


@pytest.mark.parametrize("text,what", [
    ("你好 我车底下漏油 还在质保期内", "车底下漏油"), ("我的车底盘异响", "底盘异响"), ("我车门关不严", "车门关不严"),
])
def test_a_place_on_the_car_keeps_its_car(text, what):
    # 车底下 is where the oil is, not the owner's car: the 车 stays; 我的车 before a part goes.
    assert answers_in(text)["what"] == what


@pytest.mark.parametrize("text,when", [("上个月开始刹车有异响", "上个月开始"), ("开了半小时水温就高", None)])
def test_a_time_not_of_the_car_purchase_is_still_when(text, when):
    assert answers_in(text).get("when") == when


@pytest.mark.parametrize("text", ["师傅,我这车打火有点难", "冬天早上启动比较费劲"])
def test_a_hard_start_is_a_fault(text):
    assert tells_a_fault(text, False)


@pytest.mark.parametrize("text", ["我的车续航掉得有点快,想来检查下", "电池衰减严重", "最近掉电快", "检查机油增多要收费吗"])
def test_a_battery_losing_range_or_oil_rising_is_a_fault(text):
    assert tells_a_fault(text, True)


@pytest.mark.parametrize("text", ["续航怎么算", "电池质保几年"])
def test_asking_about_the_battery_is_no_fault(text):
    assert not tells_a_fault(text, False)


@pytest.mark.parametrize("text", ["我车停一晚上地上有一摊油,想过去看看", "车底下一滩绿色的水", "车位上都是油渍"])
def test_what_a_leak_left_under_the_car_is_a_fault(text):
    assert tells_a_fault(text, False)


@pytest.mark.parametrize("text", ["还是那个充电的问题,挺影响我上班的", "就是那个滴水,我怕是水箱漏了"])
def test_pointing_back_at_the_complaint_is_the_same_complaint(text):
    assert same_complaint(text, ["充不进去电了", "车底下滴绿色的水"])


def test_a_filler_then_a_new_complaint_is_new():
    assert not same_complaint("就是那个空调也不凉", ["刹车有异响"])


@pytest.mark.parametrize(
    ("text", "when"),
    [
        ("车是2023年的哈弗H6,最近仪表台异响", None),  # the car's year
        ("19年买的车,上个月开始刹车响", "上个月开始"),
        ("2020款的,刹车有异响", None),
        ("从2023年开始就漏油", "从2023年开始"),  # a year the problem began
    ],
)
def test_the_car_s_year_is_not_when_the_problem_began(text, when):
    assert answers_in(text).get("when") == when


@pytest.mark.parametrize(
    ("text", "problems"),
    [
        ("车子有两个问题:一个是怠速抖,一个是后备箱漏水", ["怠速抖", "后备箱漏水"]),
        ("一是方向盘抖,二是刹车响", ["方向盘抖", "刹车响"]),
        ("第一个是空调不制冷,第二个是雨刮刮不干净", ["空调不制冷", "雨刮刮不干净"]),
        ("两个问题,一个是怠速抖,最近一个月,另一个是后备箱漏水", ["怠速抖,最近一个月", "后备箱漏水"]),
        ("刹车异响,另外空调不凉", ["刹车异响", "空调不凉"]),  # a lead-in and another part
        ("刹车有异响,还有点抖", []),  # a detail of the same problem: no other part
        # the lead-in as a clause of its own (Cantonese 仲有 too)
        ("我架车开起身有阵汽油味,另外仲有,冷气开咗有异味", ["我架车开起身有阵汽油味", "冷气开咗有异味"]),
        ("车开起来有汽油味,另外还有,空调开了有异味", ["车开起来有汽油味", "空调开了有异味"]),
        ("我的车刹车的时候有异响,最近一周都这样", []),
        # another part "also" at fault: another problem; 也跟着 is the same one felt elsewhere
        ("过减速带底盘咚咚响,右前大灯也不太亮了,想约个时间一起看看", ["过减速带底盘咚咚响", "右前大灯也不太亮了"]),
        ("发动机抖得厉害,车身也跟着抖", []),
        # a warning light that comes on now and then (就亮) is a problem of its own
        ("胎压灯隔三差五就亮,还有雨刮刮不干净", ["胎压灯隔三差五就亮", "雨刮刮不干净"]),
    ],
)
def test_several_problems_in_one_message_are_told_apart(text, problems):
    assert separate_complaints(text) == problems


@pytest.mark.parametrize(
    ("text", "check_asked", "fault"),
    [
        ("刹车有点软,想检查一下", True, True),
        ("车子怠速的时候抖得厉害,能约个检查吗", True, True),
        ("修刹车", False, True),  # a part to be repaired
        ("家里老人要开我的车,想先检查一遍刹车和轮胎,放心点", True, False),  # parts to be checked
        ("车要年检了,想先检测一下,免得上线过不了", True, False),  # a worry, not a fault
        ("怕刹车不好使,想检查一下", True, False),
        # The dashboard prompt beside "maintenance is due" is the reminder, not a warning light.
        ("应该要保养了，车上有提示", True, False),
        # ... also written with spaces for commas
        ("买个菜接个孙子啥的 现在仪表上提示要保养了 我也不太懂这些 想做个保养", True, False),
        ("仪表上提示要保养了 另外刹车有异响", True, True),
        # Words for power, smell and noise faults (加速无力, 上不去, 烧焦, 霉味, 不响) are faults
        # even with a check asked for.
        ("能约个检查吗？这车上坡的时候加速无力", True, True),
        ("想检测下，最近一开暖风就有股霉味", True, True),
        ("检查一下吧，倒车雷达不响了", True, True),
        ("要做保养了，仪表提示了，另外空调不凉", True, True),
        # A state said of the customer is no fault of the car.
        ("想保养一下,我岁数大了搞不懂这些", True, False),
        ("我眼睛不好,麻烦帮我约个保养", True, False),
        ("机油消耗大了", False, True),
        # 有没问题 asks whether there is one
        ("看看灯啊刹车啥的有没问题", True, False),
        ("刹车有没有毛病帮忙看下", True, False),
        ("顺便给看看刹车片还能用不", True, False),  # 能用不 asks
        # a sound that happened once (咯噔一下) is a noise
        ("挂挡的时候咯噔一下", False, True),
        ("过减速带哐当一声", True, True),
        ("咋回事 车一启动就报个黄灯", False, True),
        ("右后轮老是亏气,想约个时间过去查一下", True, True),  # 亏气: losing air
        ("车机升级到一半失败了,现在屏幕一直黑着", False, True),
        ("车机升级到一半失败了,现在屏幕一直黑着", True, True),
        ("秦PLUS续航掉得厉害", False, True),
    ],
)
def test_a_fault_told_or_a_check_asked_for(text, check_asked, fault):
    assert tells_a_fault(text, check_asked) is fault


def test_a_booking_day_three_days_on_is_no_complaint_word():
    assert complaint_words("刹车有异响,约大大后天上午十点") == "刹车有异响"


@pytest.mark.parametrize(
    "what,where,restated",
    [
        ("右前轮那里咯噔咯噔响", "过减速带的时候,右前轮那里", "过减速带的时候右前轮那里咯噔咯噔响"),
        ("刹车的时候有异响", "刹车的时候", "刹车的时候有异响"),  # not twice
        ("空调不凉", "不清楚", "空调不凉"),
        ("空调也不太凉", "开空调的时候", "空调也不太凉"),  # the same part: nothing to add
        ("空调不凉", None, "空调不凉"),
        ("起步的时候一顿一顿", "堵车走走停停的时候最明显", "起步的时候一顿一顿"),  # a moment of its own
        ("踩油门没力,加速慢", "爬坡的时候最明显", "爬坡的时候踩油门没力,加速慢"),  # the moment, not 最明显
    ],
)
def test_the_restatement_gives_the_symptom_its_moment_back(what, where, restated):
    assert restatement(what, where) == restated


@pytest.mark.parametrize(
    "answer,recorded",
    [
        ("没别的 就是早上那个咔咔响", "发动机那块咔咔响"),
        ("没了 就倒车那个响", "车子挂倒挡的时候后面嗡嗡响"),
        ("就是蓝牙连不上 别的没了", "蓝牙连不上车机了 手机一直搜不到"),
    ],
)
def test_nothing_else_and_the_same_complaint_again_is_no_further_complaint(answer, recorded):
    assert same_complaint(answer, [recorded])


def test_nothing_else_big_but_a_new_problem_is_a_further_complaint():
    assert not same_complaint("没别的大问题,就是空调有点不凉", ["发动机那块咔咔响"])


@pytest.mark.parametrize(
    "text,what,when",
    [
        ("请问变速箱顿挫能走质保吗 车还在三年质保里", "变速箱顿挫", None),  # the term and the claim asked
        ("两年十万公里质保还在吗 空调不凉一个月了", "空调不凉", "一个月了"),
    ],
)
def test_the_warranty_asked_for_and_its_term_are_neither_what_nor_when(text, what, when):
    found = answers_in(text)
    assert found["what"] == what and found.get("when") == when


@pytest.mark.parametrize(
    "text, observed",
    [
        ("副驾驶脚垫老是湿的,不知道哪里漏水", "副驾驶脚垫老是湿的"),
        ("停车位地上有一滩油,不知道哪漏的", "停车位地上有一滩油"),
        ("刹车有异响,不知道是不是刹车片的问题", "刹车有异响"),
        ("发动机抖,也不清楚是什么原因", "发动机抖"),
    ],
)
def test_the_complaint_is_what_was_observed_not_a_guess_at_the_cause(text, observed):
    assert complaint_words(text) == observed
    assert phenomenon(text) == observed


def test_a_guess_alone_is_still_the_complaint():
    assert complaint_words("不知道哪里漏水") == "不知道哪里漏水"


@pytest.mark.parametrize(
    ("text", "vague"),
    [
        ("我车感觉有点毛病,说不上来", True),
        ("车有点问题想过去看下", True),
        ("车子不太对劲", True),
        ("车子开着怪怪的", True),
        ("我有个问题想问一下", False),  # a question, not a fault
        ("车有点问题想问一下", False),
        ("车没毛病,就是想保养", False),
        ("没啥毛病", False),
    ],
)
def test_a_fault_told_without_saying_what(text, vague):
    assert tells_a_fault(text, False) is vague
    assert "what" not in answers_in(text)  # what it is is asked in the interview


def test_every_day_is_not_read_inside_a_day_count():
    assert answers_in("这几天天一热才发现").get("frequency") is None
    assert answers_in("我天天开,天天都响")["frequency"].startswith("天天")


def test_a_door_that_will_not_close_is_a_second_problem():
    problems = separate_complaints("车子怠速的时候方向盘抖得厉害,还有就是右后车门关不严实,想一起看看")
    assert len(problems) == 2 and "车门关不严" in problems[1]


# --- issue 10, set-11 classes: each answer only its own words (wordings of our own) ---------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # repairs done before, with a count: what was tried, not how often it happens
        ("我这台车异响的毛病在你们店修了三次了,还是老样子", {"what": "异响的毛病", "tried": "在你们店修了三次了"}),
        ("变速箱冲击之前在外面换了两回", {"tried": "之前在外面换了两回"}),
        # 保修过 is work done, not the service asked for
        ("仪表台异响在你们这保修过一回了", {"what": "仪表台异响", "tried": "在你们这保修过一回了"}),
        # states without a listed word: 缺气, 烧机油
        # (how often said inside the phrase stays in it too: it answers its own question as well)
        ("左前轮胎老是缺气", {"what": "左前轮胎老是缺气", "frequency": "老是"}),
        ("中控屏动不动就黑屏,一个礼拜两三回", {"what": "中控屏动不动就黑屏"}),
        ("车子时不时抖一下", {"what": "抖一下", "frequency": "时不时"}),
        ("发动机有点烧机油", {"what": "发动机有点烧机油"}),
        # every few days is how often
        ("后轮隔两天就没气了", {"frequency": "隔两天"}),
        # 雨天天窗: no 天天
        ("雨天天窗边上渗水", {"where": "雨天"}),
        # the rain in a start time is when, not where; the car of 刹车 is not the car
        ("一踩刹车就有尖叫声,上周下过雨之后开始的", {"when": "上周下过雨之后开始的", "where": "一踩刹车"}),
        # how it varies with speed: the condition, not a second symptom
        ("后轮那边有呜呜的声音,车速越快越大声", {"what": "后轮那边有呜呜的声音", "where": "后轮那边,车速越快越大声"}),
        # a place before the moment: the moment starts after it (both stay in what)
        ("右后轮那边压井盖的时候咚的一声", {"what": "右后轮那边压井盖的时候咚的一声", "where": "右后轮那边,压井盖的时候"}),
    ],
)
def test_each_answer_keeps_only_its_own_words(text, expected):
    answers = answers_in(text)
    for question, words in expected.items():
        assert answers.get(question) == words, (question, answers)


@pytest.mark.parametrize(
    "text",
    [
        "前天在你们这换的刹车片,现在又吱吱叫",
        "才保养完一个礼拜,机油灯亮了",
    ],
)
def test_the_time_of_a_past_repair_is_not_when_it_began(text):
    assert "when" not in answers_in(text)


def test_a_start_after_a_repair_is_when_it_began():
    assert answers_in("上周修完以后就开始漏油")["when"].startswith("上周修完以后")


def test_how_often_it_was_repaired_is_not_the_frequency():
    assert "frequency" not in answers_in("在你们那修了两回了")


@pytest.mark.parametrize(
    ("text", "problems"),
    [
        # a lead-in clause that names a new subject, listed part or not
        ("起步的时候车身发抖,另外副驾那扇门锁不上", ["起步的时候车身发抖", "副驾那扇门锁不上"]),
        ("空调出风有异味,还有就是车里噪音变大了", ["空调出风有异味", "车里噪音变大了"]),
        # a preface announcing them (and a colon opening the list) is no problem of its own
        ("车有俩毛病:倒车雷达乱报警,还有就是油耗高了", ["倒车雷达乱报警", "油耗高了"]),
        # the booking request with 一起 is not part of a problem
        ("方向盘有点抖,另外尾门关不严,想一起修一下", ["方向盘有点抖", "尾门关不严"]),
    ],
)
def test_a_further_problem_led_in_with_its_own_subject(text, problems):
    assert separate_complaints(text) == problems


@pytest.mark.parametrize("text", ["刹车异响,还有点抖", "空调不凉,还有空调有股味", "预约明天9:30,空调不凉"])
def test_a_detail_of_the_same_problem_is_not_another(text):
    assert separate_complaints(text) == []


@pytest.mark.parametrize(("text", "frequency"), [("机油灯一直亮着", "一直亮着"), ("底盘一直响", "一直响"),
                                                ("一直这样", "一直这样"), ("刹车有异响,一直都这样", "一直都这样")])
def test_constantly_keeps_what_it_does(text, frequency):
    assert answers_in(text)["frequency"] == frequency


@pytest.mark.parametrize("text", ["后视镜报警灯亮了,还能开吗?", "底盘有异响 能开不", "变速箱顿挫,还可以开么"])
def test_a_question_about_driving_is_not_the_driving_impact(text):
    assert "driving_impact" not in answers_in(text)


@pytest.mark.parametrize(("text", "impact"), [("还可以开不过有点抖", "还可以开"), ("能开,就是吵", "能开"),
                                             ("大灯一闪一闪的,晚上开着吓人", "晚上开着吓人")])
def test_the_driving_impact_told_is_still_read(text, impact):
    assert answers_in(text)["driving_impact"] == impact


@pytest.mark.parametrize("text", ["早上要打三次才能着车", "冷车要踩好几次才启动"])
def test_attempts_before_it_starts_are_not_how_often(text):
    assert "frequency" not in answers_in(text)


# --- Issue 10: the symptom fragment without what is said around it -----------------------


@pytest.mark.parametrize(
    ("text", "what"),
    [
        # an address, the owner's filler and a question about it (dialect too) are no symptom words
        ("老板，我这台车子机油灯一下子亮起来了，咋个回事哦", "机油灯一下子亮起来了"),
        ("师傅，我的车转速表一脚油门冲到头了，啥子情况", "转速表一脚油门冲到头了"),
        # a question to the shop whether it is covered, told with the symptom
        ("保修期内的车后视镜折叠坏了能免费换不", "车后视镜折叠坏了"),
        # pointing back at words told before
        ("就是我刚才说的，倒挡挂进去的时候抖一下", "倒挡挂进去的时候抖一下"),
        ("刚刚讲过的，冷车起步闯一下", "冷车起步闯一下"),
    ],
)
def test_what_leaves_out_preamble_questions_and_back_references(text, what):
    assert phenomenon(text) == what


def test_pointing_back_is_not_when_it_began():
    assert "when" not in answers_in("就是刚才讲的，刹车踩下去有点软")
    assert answers_in("刚才开车的时候方向盘抖了一下")["when"] == "刚才"


@pytest.mark.parametrize(
    ("text", "problems"),
    [
        # a clause that only says another problem follows
        ("师傅，一过坑底盘就哐哐响，还有个问题，右后尾灯不亮了", ["一过坑底盘就哐哐响", "右后尾灯不亮了"]),
        ("方向机有异响,另外一个毛病,副驾车窗降不下去", ["方向机有异响", "副驾车窗降不下去"]),
        # numbered, the first with a state no word list holds (乱叫)
        ("两个问题：一是胎压报警器乱叫，其实胎压正常；二是油箱盖按了弹不开", ["胎压报警器乱叫,其实胎压正常", "油箱盖按了弹不开"]),
    ],
)
def test_a_second_problem_is_told_apart(text, problems):
    assert separate_complaints(text) == problems


@pytest.mark.parametrize(
    ("text", "must_hold", "must_not_hold"),
    [
        # the fault told on its own beside how it shows at a moment
        ("昨晚回家车打不着火了，一踩离合就哒哒响", "打不着火", "哒哒响"),
        # what was seen, not the guess where it comes from
        ("车位上老有几滴水，估计是我车漏的", "几滴水", "估计"),
        # a 'still so' detail after the symptom of a part
        ("空调出风口不凉，等了好一会儿依然是热风", "空调出风口不凉", "热风"),
        # the same part told twice: the customer's closer words
        ("质保期内的车天窗坏了给修不？ 对，天窗遮阳帘拉不动了", "遮阳帘拉不动", "给修"),
    ],
)
def test_what_is_the_fault_not_a_weaker_clause(text, must_hold, must_not_hold):
    what = phenomenon(text)
    assert must_hold in what and must_not_hold not in what


def test_a_typed_dialect_no_still_reads_the_symptom():
    assert phenomenon("左后车窗关勿上去") == "左后车窗关勿上去"
    assert phenomenon("我部车开暖风有阵焦味") == "开暖风有阵焦味"


def test_the_car_s_age_since_pickup_is_not_when_it_began():
    assert "when" not in answers_in("新车刚提两个月，仪表台一过坑就响")


@pytest.mark.parametrize("text", ["系呀", "嗯呐", "好嘞"])
def test_a_short_yes_in_other_words_is_no_correction(text):
    assert read_restatement_reply(text).correction is None


@pytest.mark.parametrize(
    ("text", "told"),
    [
        ("刹车变软了,踩下去很深", "刹车变软了,踩下去很深"),  # the customer's words stay
        ("中控屏幕经常黑屏", "中控屏幕经常黑屏"),
        ("前面跟你说过的，起步的时候变速箱一冲一冲", "起步的时候变速箱一冲一冲"),
        ("老板，我这台车子胎压灯亮了，啥情况哦", "胎压灯亮了"),
        ("对，副驾车窗升上去又自己掉下来，帮我约一下", "副驾车窗升上去又自己掉下来"),
        ("停车位上有一摊水，估计是我车空调滴的", "停车位上有一摊水"),
        ("我的车 方向盘有点抖", "方向盘有点抖"),
    ],
)
def test_the_answer_to_what_keeps_the_customer_s_words_without_the_preamble(text, told):
    assert told_symptom(text) == told


@pytest.mark.parametrize(
    ("text", "what"),
    [
        ("我的车发动鸡有一响,咚咚咚的", "发动机有异响,咚咚咚的"),  # sound-alike typos, and the sound kept
        ("方向盘陡得厉害", "方向盘抖得厉害"),
        ("后备箱往里渗水,备胎槽都是水", "后备箱往里渗水"),  # what the leak did is its detail
    ],
)
def test_typos_and_details_of_the_symptom(text, what):
    assert phenomenon(text) == what


def test_the_moment_in_how_often_is_not_a_second_where():
    found = answers_in("右后轮那边过坑的时候吱吱响,每次过坑都这样")
    assert found["where"] == "右后轮那边,过坑的时候"
    assert answers_in("冷车的时侯抖得厉害")["where"] == "冷车的时候"


def test_attempts_told_with_a_hard_start_are_part_of_it_not_how_often():
    found = answers_in("早上车子启动不了,得拧好几下")
    assert "frequency" not in found and "好几下" in found["what"]


def test_what_a_light_looks_like_is_kept_with_it():
    assert phenomenon("仪表上亮了个红灯,像个电池一样的") == "仪表上亮了个红灯,像个电池一样的"


@pytest.mark.parametrize(
    ("text", "what"),
    [
        ("车屁股下面滴油 黑色的", "车屁股下面滴油,黑色的"),  # the colour of what leaks is kept
        ("胎压灯亮了 黄色的一个轮胎带感叹号的图标", "胎压灯亮了"),  # the light named, its picture told
    ],
)
def test_a_colour_is_kept_and_a_named_light_s_picture_left_out(text, what):
    assert phenomenon(text) == what


def test_emoji_are_not_part_of_the_complaint():
    assert phenomenon("😫😫车门锁不上了") == "车门锁不上了"
    assert "😂" not in answers_in("刹车的时候有异响😂😂,前天开始的")["what"]


@pytest.mark.parametrize(
    ("said", "noted"),
    [
        ("车子怠速的时候抖得厉害", "怠速的时候抖得厉害"),
        ("阿拉车子开起来方向跑偏", "开起来方向跑偏"),
        ("主要是仪表盘上有个发动机的灯一直亮", "发动机的灯一直亮"),
        ("我架车开起身有阵汽油味", "开起身有阵汽油味"),
        ("车子起步的时候有咔哒一声", "起步的时候有咔哒一声"),
        ("嘞车子空调吹出来都是热风", "空调吹出来都是热风"),
        ("屋里额车子刹车踏板踏下去软塌塌额", "刹车踏板踏下去软塌塌额"),
        ("那个…右后轮胎老是没气", "右后轮胎老是没气"),
        ("仪表盘上胎压报警灯亮了", "胎压报警灯亮了"),
        ("仪表盘上亮了个黄灯", "仪表盘上亮了个黄灯"),  # the light not named: where it is stays
        ("那个车门关不上", "那个车门关不上"),  # 车门 is the part, not the car
    ],
)
def test_the_fault_is_noted_without_the_car_or_dashboard_it_was_said_of(said, noted):
    assert phenomenon(said) == noted


def test_a_tailgate_stopping_half_way_is_a_fault():
    assert phenomenon("你好,我的车买了一年半,后备箱电动尾门关到一半就停,还在质保吧") == "后备箱电动尾门关到一半就停"


@pytest.mark.parametrize(
    ("said", "what"),
    [("新车买了不到一年,天窗漏水,这个能保修吧?", "天窗漏水"), ("车买了一年多,最近打火费劲", "打火费劲"),
     ("恁好，俺车买了还不到一年，换挡的时候老是顿一下，这能保修不", "换挡的时候顿一下"),
     ("新车才一年多，天窗下雨就往里渗水", "天窗就往里渗水"),
     ("新车没半年 中控屏老是自己黑屏 这个能保修吧", "中控屏老是自己黑屏"),
     ("我这个车开了好些年了 方向盘特别沉", "方向盘特别沉"),
     ("车开了好几年了,最近刹车响", "刹车响")],
)
def test_the_cars_age_is_not_when_the_fault_began(said, what):
    found = answers_in(said)
    assert "when" not in found
    assert found["what"] == what


@pytest.mark.parametrize("said", ["充电充不进去,试了三次都不行", "早上打火要打好几次才着", "试了三四次"])
def test_attempts_are_how_the_fault_shows_not_what_was_tried(said):
    assert "tried" not in answers_in(said)


def test_something_done_about_the_fault_is_still_what_was_tried():
    assert answers_in("打不着火,换了个电瓶还是不行")["tried"] == "换了个电瓶还是不行"


@pytest.mark.parametrize(
    ("said", "complaint"),
    [
        # a request taken out leaves no 我的车 / 了 behind; nor an exclamation or a lead-in
        ("你好 我的车要保养了 还有就是空调有点不制冷 搞么斯哦", "空调有点不制冷"),
        ("刹车 吱吱响 咋回事", "刹车吱吱响"),
        ("发动机 异响", "发动机异响"),  # a part told apart from its noise stays
    ],
)
def test_the_complaint_leaves_out_words_that_tell_nothing_of_it(said, complaint):
    assert complaint_words(said) == complaint


@pytest.mark.parametrize("text", ["刚提车三个月,仪表台老有异响", "车买了半年,右后门关不严"])
def test_the_cars_age_is_not_when_the_fault_began(text):
    assert "when" not in answers_in(text)


@pytest.mark.parametrize(("text", "what"), [("离合一踩就咯吱咯吱响", "离合一踩就咯吱咯吱响"),
                                            ("方向盘一打到底就咔咔响", "方向盘一打到底就咔咔响")])
def test_the_moment_glued_to_its_symptom_stays_in_what(text, what):
    assert answers_in(text)["what"] == what


@pytest.mark.parametrize("text", ["挂不进挡", "电车充不进电了", "油箱加不进油"])
def test_a_verb_that_cannot_get_its_object_in_is_a_fault(text):
    assert tells_a_fault(text, False) is True


@pytest.mark.parametrize("text", ["暖风一点都不热", "方向盘有一点抖", "车门关得一点也不严"])
def test_a_little_is_no_clock_time_taken_out_of_the_complaint(text):
    assert answers_in(text)["what"] == text


@pytest.mark.parametrize("text", ["上个月在你们这修的异响又出来了", "去年在你们店换过的水泵又漏水了",
                                  "方向盘又抖了 上周你们刚修过"])
def test_the_time_of_earlier_work_is_not_when_the_fault_began(text):
    assert "when" not in answers_in(text)


def test_the_time_work_was_done_counts_when_the_fault_began_after_it():
    assert answers_in("上周保养完以后就开始抖")["when"].startswith("上周保养完以后")


@pytest.mark.parametrize(("said", "when"), [("好些天了", "好些天了"), ("有好几个月了", "有好几个月了")])
def test_a_duration_said_with_hao_is_read_whole(said, when):
    assert answers_in(said)["when"] == when


@pytest.mark.parametrize("said", ["早上头一回打火的时候 中午就好点", "我就坐过那一回"])
def test_which_time_is_not_how_often(said):
    assert "frequency" not in answers_in(said)


def test_a_doubled_word_keeps_its_de():
    assert answers_in("刹车踩下去软绵绵的")["what"] == "刹车踩下去软绵绵的"
    assert answers_in("大灯一闪一闪的")["what"] == "大灯一闪一闪的"
    assert answers_in("刹车有点异响的")["what"] == "刹车有点异响"


def test_presses_before_it_works_are_not_how_often():
    assert "frequency" not in answers_in("充完电要按好几次解锁才拔得下来")


@pytest.mark.parametrize(("said", "frequency"), [("上周开始，那几天一直在下雨", None), ("上周开始的,一直不出风", "一直")])
def test_a_bare_yizhi_is_how_often_only_said_of_the_fault(said, frequency):
    assert answers_in(said).get("frequency") == frequency


@pytest.mark.parametrize(("said", "words"), [
    ("车还在保修期内,暖风出问题了 能走质保吗", "暖风出问题了"),  # a part that went wrong, the question left out
    ("天窗漏水 这个算保修不", "天窗漏水"),
])
def test_the_complaint_leaves_out_whether_it_is_covered(said, words):
    assert complaint_words(said) == words


@pytest.mark.parametrize(("said", "vague"), [
    ("暖风出问题了", True), ("刹车那块有点毛病", True), ("变速箱出故障了", True),
    ("方向盘有点抖", False), ("暖风一会热一会凉", False), ("空调不凉了", False),
])
def test_a_part_named_with_nothing_of_what_it_does(said, vague):
    from dealer.symptoms import only_that_a_part_is_wrong

    assert only_that_a_part_is_wrong(said) is vague


@pytest.mark.parametrize(("said", "what"), [
    ("方向有点跑偏 老往左边跑", "方向有点跑偏,老往左边跑"),
    ("充电桩充不上电,充一会儿就断了", "充电桩充不上电,充一会儿就断了"),
])
def test_how_the_fault_shows_told_after_it_stays_with_it(said, what):
    assert phenomenon(said) == what


@pytest.mark.parametrize(("said", "what"), [
    ("刹车片有异响,我姓钱", "刹车片有异响"),
    ("后视镜有个裂缝,被电动车刮的", "后视镜有个裂缝"),
    ("天窗漏水,问一下多少钱", "天窗漏水"),
])
def test_what_is_not_how_the_fault_shows_is_left_out(said, what):
    assert phenomenon(said) == what


def test_a_question_how_long_the_work_takes_is_no_part_of_the_fault():
    assert phenomenon("看下异响大概要多久啊,底盘咯噔咯噔的") == "异响,底盘咯噔咯噔的"


def test_the_customer_s_hedge_is_left_out_of_the_fault():
    assert phenomenon("变速箱那里貌似漏油") == "变速箱那里漏油"


def test_able_to_issue_an_invoice_is_not_how_the_car_drives():
    assert "driving_impact" not in answers_in("换个电瓶能开发票不")
    assert answers_in("灯一直亮着,车还能开")["driving_impact"] == "还能开"


def test_soon_after_a_repair_is_not_when_it_began():
    assert "when" not in answers_in("减震器咚咚响,换完没几天又响了")


def test_the_next_day_is_not_when_it_began():
    assert "when" not in answers_in("洗完车第二天后备箱里有水")


def test_a_question_how_long_something_lasts_is_no_start():
    assert "when" not in answers_in("想问下三包是几年")
    assert answers_in("有几天了")["when"] == "有几天了"


def test_the_time_of_a_repair_here_just_before_is_not_when_it_began():
    assert "when" not in answers_in("前两周刚在你们店修好的方向机又有异响")


def test_it_happening_once_more_is_no_answer_to_how_often():
    assert is_vague_frequency(answers_in("前天又出现了一次")["frequency"])


def test_a_tyre_a_bit_flat_is_a_fault():
    assert phenomenon("右前胎看着有点瘪") == "右前胎看着有点瘪"


def test_the_car_under_warranty_is_no_part_of_the_fault():
    assert "质保" not in complaint_words("原来一百公里只要十五度电,车还在质保期内")


def test_tries_before_the_engine_starts_are_no_work_tried():
    assert "tried" not in answers_in("每天早上要拧了三次才能打着")


def test_a_nail_in_the_tyre_is_a_fault():
    assert "扎了颗钉子" in phenomenon("右前胎扎了颗钉子,有点漏气")
