import re
from pathlib import Path

import pytest
import yaml

from dealer.validation import (
    after_taking_back,
    request_line,
    InvalidValue,
    normalize_name,
    normalize_or_none,
    normalize_phone,
    normalize_plate,
    normalize_vin,
    parse_mileage,
    vin_check_digit,
)

REGEX_FILE = Path(__file__).resolve().parents[2] / "data" / "nlu" / "regex.yml"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("13812345678", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("+86 13812345678", "13812345678"),
        ("+86-199-0000-1111", "19900001111"),
        ("0086 15900001111", "15900001111"),
        # read out digit by digit, as on the phone
        ("一五零 二二三三 四四五五", "15022334455"),
        ("幺八七 六五四三 二一零九", "18765432109"),
        ("一三九洞洞七七八八九九", "13900778899"),
        ("１３８ １２３４ ５６７８", "13812345678"),
        # typed in its groups on a phone keyboard, with commas between
        ("幺五八，二三四六，七零九一", "15823467091"),
        ("139,0712,5836", "13907125836"),
        ("138、1234、5678", "13812345678"),
    ],
)
def test_phone_accepts_mainland_mobiles_with_separators(given, expected):
    assert normalize_phone(given) == expected


@pytest.mark.parametrize("given", ["12812345678", "1381234567", "138123456789", "021-12345678", "", "abc", "一三八一二三四五六七", "我叫一三八", "138,1234,567,8888"])
def test_phone_rejects_what_is_not_a_mainland_mobile(given):
    with pytest.raises(InvalidValue) as error:
        normalize_phone(given)
    assert error.value.field == "phone"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("京A12345", "京A12345"),
        ("沪a·12345", "沪A12345"),
        ("粤B D12345", "粤BD12345"),  # small new-energy car
        ("苏E-12345F", "苏E12345F"),  # large new-energy vehicle
        ("浙A 8Z9X7", "浙A8Z9X7"),
        ("川A1234学", "川A1234学"),
        ("黔A3K8P2", "贵A3K8P2"),  # the province's other short name: its plates carry 贵
        ("滇A·5B7C9", "云A5B7C9"),
        ("湘Ａ１２３４５", "湘A12345"),  # full-width letters and digits
        ("沪A一二三四五", "沪A12345"),  # the digits typed as Chinese numerals
        ("鲁B幺零D三八", "鲁B10D38"),
    ],
)
def test_plate_accepts_current_formats(given, expected):
    assert normalize_plate(given) == expected


@pytest.mark.parametrize("given", ["A12345", "沪12345", "沪A1234", "沪AI2345", "沪A123456", "美A12345"])
def test_plate_rejects_malformed(given):
    with pytest.raises(InvalidValue):
        normalize_plate(given)


@pytest.mark.parametrize(("given", "reason"), [("浙B·D73K51", "new_energy_format"), ("沪A1234", "bad_format")])
def test_a_malformed_plate_says_what_is_wrong(given, reason):
    with pytest.raises(InvalidValue) as error:
        normalize_plate(given)
    assert error.value.reason == reason


def test_vin_check_digit_is_verified():
    vin = "LFV2A21K8D4012345"
    fixed = vin[:8] + vin_check_digit(vin) + vin[9:]
    assert normalize_vin(fixed.lower()) == fixed
    wrong = "0" if fixed[8] != "0" else "1"
    with pytest.raises(InvalidValue) as error:
        normalize_vin(fixed[:8] + wrong + fixed[9:])
    assert error.value.reason == "bad_check_digit"


@pytest.mark.parametrize("given", ["LFV2A21K8D401234", "LFV2A21K8D40123I5", "LFV2A21K8D4O12345"])
def test_vin_rejects_bad_length_and_letters(given):
    with pytest.raises(InvalidValue):
        normalize_vin(given)


def test_a_vin_typed_full_width_is_the_same_vin():
    assert normalize_vin("ＬＳＶＡＵ２１８１Ｎ２１３７４６５") == "LSVAU2181N2137465"


def test_vin_known_check_digit():
    # A published example: 1M8GDM9AXKP042788 has check digit X.
    assert vin_check_digit("1M8GDM9AXKP042788") == "X"


@pytest.mark.parametrize(
    ("given", "expected"),
    [("王先生", "王先生"), ("我姓李", "李"), ("免贵姓张", "张"), ("我叫刘洋", "刘洋"), ("欧阳女士", "欧阳女士"),
     # The character explained after a full-width comma (typed on a phone): the name is the first word.
     ("吴，口天吴", "吴"), ("我姓章，立早章", "章"), ("孙女士！", "孙女士"),
     ("我性郑", "郑"), ("免贵性岳", "岳"), ("免贵梁", "梁"), ("免贵 欧阳", "欧阳"),  # 性 typed for 姓 (the same xing)
     ("哦,我姓卢", "卢"), ("好的,方静", "方静")],  # a filler said first

)
def test_name(given, expected):
    assert normalize_name(given) == expected


@pytest.mark.parametrize("given", ["13812345678", "我想明天下午三点去做保养可以吗", "", "不好意思", "请问",
                                   "对了,上次那个顾问还在吗", "好的"])
def test_name_rejects_non_names(given):
    with pytest.raises(InvalidValue):
        normalize_name(given)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        # A digit after 万 counts thousands, after 千 hundreds.
        ("3万5", 35000),
        ("6万2", 62000),
        ("3万1", 31000),
        ("4万6", 46000),
        ("12万8", 128000),
        ("3w5", 35000),
        ("一万二", 12000),
        ("三万五", 35000),
        ("三万五左右", 35000),
        ("2万1千公里", 21000),
        ("1万2千3百", 12300),
        ("两万三千多", 23000),
        ("3万5000", 35000),
        ("三万零五百", 30500),
        # Decimals and k/w.
        ("7.5万", 75000),
        ("0.8万", 8000),
        ("3.5万公里", 35000),
        ("三点五万", 35000),
        ("75k", 75000),
        ("75K", 75000),
        ("7.5w", 75000),
        # Approximations count as the round number given.
        ("8万多", 80000),
        ("一万多点", 10000),  # 点 after 万多 is "a bit", not o'clock
        ("八万多一点儿", 80000),
        ("十来万", 100000),
        ("四万出头", 40000),
        ("快五万了", 50000),
        ("35000多公里", 35000),
        ("八千多", 8000),
        ("刚过一万", 10000),
        ("才跑了5000", 5000),
        ("跑了4万多公里", 40000),
        # Plain numbers, wordings, separators and other numbers in the sentence.
        ("表上41230", 41230),
        ("12000km", 12000),
        ("35,000 公里", 35000),
        ("３万５", 35000),
        ("50公里", 50),
        ("2019年买的,跑了3万5", 35000),
        ("三万五,一直没保养", 35000),
        # A round figure and the exact one it rounds, in either order.
        ("五万出头吧,准确的是51300", 51300),
        ("2万不到,具体是19850", 19850),
        ("72450,七万多一点", 72450),
        ("快十万了,表上98800", 98800),
        # A figure after dots or an ellipsis (NFKC: ...) is read whole.
        ("我瞧瞧……两万六千八", 26800),
        ("嗯...35000", 35000),
        ("等下。3万2", 32000),
        # A figure taken back: the one said after it.
        ("3万,不对,4万", 40000),
        ("三万二,哦不对,看反了,是两万三", 23000),
        ("五万八,说错了,五万六", 56000),
        ("两万八...不对,是三万八,刚才看错了", 38000),  # the slip explained after the right one
        ("三万七……刚看了下是三万九千二", 39200),  # looked again: the figure read then
        ("等会儿,里程我刚看了一眼,不是七万五,是八万一千二", 81200),
        ("等一下,刚才公里数我说反了,是五万三,不是三万五", 53000),
        ("里程是五万三,不是三万五", 53000),
    ],
)
def test_mileage_reads_what_customers_write(given, expected):
    assert parse_mileage(given) == expected


@pytest.mark.parametrize("text", ["顺便帮我看看倒车雷达 是不是坏了 咋不响呢", "是不是五万三啊", "你看是不是电瓶的事"])
def test_a_question_with_shi_bu_shi_takes_nothing_back(text):
    assert after_taking_back(text) is None


def test_said_too_little_before_takes_the_earlier_figure_back():
    assert after_taking_back("里程是两万九千四,刚才说少了") is not None


def test_a_figure_taken_back_after_shi_bu_shi_still_is():
    assert after_taking_back("是不是三万五?不对,是五万三").strip(",") == "是五万三"


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        ("13812345678", "implausible"),  # a phone number
        ("二百万公里", "implausible"),
        ("0", "implausible"),
        ("很多", "not_a_number"),
        ("不知道", "not_a_number"),
        ("500元", "not_a_number"),
        ("3个月", "not_a_number"),
        ("明天3点", "not_a_number"),
        ("两三万", "ambiguous"),
        ("3到4万", "ambiguous"),
        ("十几万", "ambiguous"),
        ("十多万", "ambiguous"),
        ("3万50", "ambiguous"),
        ("3百2千", "ambiguous"),
        ("7.5万5", "ambiguous"),
        ("3", "ambiguous"),  # 3 km, or 3万 without the 万?
        ("35", "ambiguous"),
        # Figures that disagree: a guess, the customer must say which.
        ("3万还是4万", "ambiguous"),
        ("3万,不对", "ambiguous"),  # taken back, nothing said instead
        ("三万,不对", "ambiguous"),
        ("六万出头,准确的是71200", "ambiguous"),
        ("两三万吧,也可能四万", "ambiguous"),  # a range and a round figure: no exact one
        ("五六万", "ambiguous"),
        ("2018的车,6万", "ambiguous"),
    ],
)
def test_mileage_rejects_what_it_cannot_read_for_sure(given, reason):
    with pytest.raises(InvalidValue) as error:
        parse_mileage(given)
    assert (error.value.field, error.value.reason) == ("mileage", reason)


def mileage_spans(text: str) -> list[str]:
    """What the RegexEntityExtractor takes as mileage entities (whole matches, any case)."""
    entries = yaml.safe_load(REGEX_FILE.read_text(encoding="utf-8"))["nlu"]
    patterns = [
        line.strip()[2:]
        for entry in entries
        if entry.get("regex") == "mileage"
        for line in entry["examples"].splitlines()
        if line.strip()
    ]
    return [match.group() for pattern in patterns for match in re.finditer(pattern, text, re.IGNORECASE)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("跑了3万5公里", 35000),
        ("车开了3万5", 35000),
        ("2万1千公里", 21000),
        ("35000多公里", 35000),
        ("12000KM", 12000),
        ("表上41230", 41230),
        ("行驶里程大概12万8", 128000),
        ("开了十来万公里", 100000),
        ("跑了8万多", 80000),
        ("跑了75K", 75000),
        ("快五万公里了", 50000),
    ],
)
def test_mileage_regex_takes_the_whole_number(text, expected):
    spans = mileage_spans(text)
    assert len(spans) == 1
    assert parse_mileage(spans[0]) == expected


@pytest.mark.parametrize(
    "text",
    ["花了3万5", "我电话13812345678", "保养500元吗", "开了3个月", "开了一会儿就响", "跑了350天", "明天下午3点",
     # a service package, not the odometer: the mileage is still asked
     "车子要做个一万公里的保养", "下周五想来做个两万公里保养", "我想约一下4万公里的那个保养",
     "6万公里的大保养多少钱啊", "说是三千公里要做首保", "听说五千公里该做保养"],
)
def test_mileage_regex_leaves_prices_phones_and_durations(text):
    assert mileage_spans(text) == []


def test_normalize_or_none_returns_the_value_or_none():
    assert normalize_or_none(normalize_phone, "138 1234 5678") == "13812345678"
    assert normalize_or_none(normalize_phone, "12345") is None
    assert normalize_or_none(parse_mileage, "不知道") is None
    assert normalize_or_none(normalize_plate, None) is None


@pytest.mark.parametrize(
    ("given", "expected"),
    [("姓褚 衣字旁那个", "褚"), ("小卫就行", "卫"), ("老梁", "梁"), ("王先生", "王先生"), ("John Smith", "John Smith"),
     # "I" in the customer's own dialect before 姓 / 叫
     ("俺姓鞠", "鞠"), ("咱叫李强", "李强"), ("阿拉姓顾", "顾"), ("我免贵姓张", "张"),
     # how the customer would be called: the surname, with 哥 / 姐 kept
     ("张,哦车是我老婆的,登记她名字吧,林小红", "林小红"),  # booked under another's name
     ("名字登记我老婆的吧,周丽,车在她名下", "周丽"),
     ("喊我柯哥就行", "柯哥"), ("你就叫我李工吧", "李"), ("称呼我陈师傅", "陈"), ("欧阳老师", "欧阳")],
)
def test_a_name_as_customers_give_it(given, expected):
    from dealer.validation import normalize_name

    assert normalize_name(given) == expected


@pytest.mark.parametrize(
    ("said", "line"),
    [("帮忙洗个车", "洗个车"), ("顺便换个机油吧", "换个机油"), ("四轮定位", "四轮定位"), ("顺便洗车,谢谢", "洗车"),
     ("再做个保养", "做个保养"), ("洗", "洗"), ("首保能一起做吗", "首保能一起做吗"), ("就是洗个车", "洗个车"), ("要不顺便做个四轮定位", "做个四轮定位"),
     ("帮忙洗下车🙏", "洗下车"),
     # the item as the customer said it (把 … 一下 and all): the advisor reads their words
     ("顺便把车洗一下", "把车洗一下"), ("把雨刮片换了吧", "把雨刮片换了"), ("帮忙把空调滤芯也换了", "把空调滤芯也换了"),
     ("帮我把胎压也调一下", "把胎压也调一下")],
)
def test_an_extra_request_as_a_work_order_line(said, line):
    assert request_line(said) == line


@pytest.mark.parametrize(
    ("given", "expected"),
    [("四万五六吧,仪表上写的44870", 44870), ("两三万,具体是26315公里", 26315), ("差不多七八千 准的是7420", 7420),
     # A vague figure (几千 / 十几万) then the exact one: the exact one.
     ("六万几千吧，仪表显示六万一", 61000), ("十几万,表上是11万8千", 118000)],
)
def test_a_range_then_the_exact_figure_is_the_exact_figure(given, expected):
    assert parse_mileage(given) == expected


@pytest.mark.parametrize("given", ["三万几千", "十几万吧", "几万公里"])
def test_a_vague_figure_alone_is_ambiguous(given):
    with pytest.raises(InvalidValue):
        parse_mileage(given)


@pytest.mark.parametrize(
    ("given", "expected"),
    [("差三千到五万", 47000), ("还差500公里就2万了", 19500), ("离八万还差一千多点", 79000), ("离6万公里就差两千", 58000)],
)
def test_short_of_a_round_figure_is_that_figure_less_the_gap(given, expected):
    assert parse_mileage(given) == expected


@pytest.mark.parametrize(("given", "expected"), [("刚好八个万", 80000), ("12个万左右", 120000)])
def test_a_measure_word_before_wan_is_read_through(given, expected):
    assert parse_mileage(given) == expected


@pytest.mark.parametrize(
    ("text", "figure", "rough"),
    [("跑了四万多公里,还在保修期吗", None, "四万多公里"), ("哈弗H6快一万公里了 要做保养吧", "一万公里", "快一万公里"),
     ("三万左右", None, "三万公里左右"), ("差不多两万公里吧", None, "差不多两万公里"),
     ("跑了43000公里", None, None), ("四万三", None, None), ("约个保养,三万公里", "三万公里", None)],
)
def test_a_rough_mileage_is_told_apart_from_an_exact_one(text, figure, rough):
    from dealer.validation import rough_mileage

    assert rough_mileage(text, figure) == rough
