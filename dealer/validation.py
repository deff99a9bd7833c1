"""Normalising and checking what customers type: phone, plate, VIN, name, mileage.

Each check returns the normalised value or raises ``InvalidValue`` with a
reason code; the customer-facing sentence for each code is a response in
domain.yml (``utter_invalid_<field>``), so wording lives in one place.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TypeVar

from dealer.emoji import without_emoji

T = TypeVar("T")
PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_SEPARATORS = re.compile(r"[\s·•・.\-—_]")
_PHONE = re.compile(r"1[3-9]\d{9}")
# Ordinary plates: province, issuing-authority letter, 5 characters (no I/O).
# New-energy plates (GA 36-2018): 6 characters, D/F first (small cars) or last (large).
_PLATE_ORDINARY = re.compile(rf"[{PROVINCES}][A-HJ-NP-Z][A-HJ-NP-Z0-9]{{4}}[A-HJ-NP-Z0-9挂学警港澳]")
_PLATE_NEW_ENERGY = re.compile(
    rf"[{PROVINCES}][A-HJ-NP-Z](?:[DF][A-HJ-NP-Z0-9]\d{{4}}|\d{{5}}[DF])"
)
_VIN = re.compile(r"[A-HJ-NPR-Z0-9]{17}")
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
_VIN_VALUES = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9))),
    **dict(zip("JKLMN", range(1, 6))),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10))),
}


class InvalidValue(ValueError):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def normalize_or_none(normalizer: Callable[[str], T], text: str | None) -> T | None:
    """One normalise or None: the normalised value, or None if text is missing or invalid."""
    if text is None:
        return None
    try:
        return normalizer(text)
    except InvalidValue:
        return None


# The Chinese digits, as written and as read out on the phone (幺 and 洞 are how 1 and 0
# are said so that they are not misheard): one table for phones, plates, mileage and counts.
CN_DIGIT_VALUES = {"零": 0, "〇": 0, "洞": 0, "一": 1, "幺": 1, "二": 2, "两": 2, "三": 3, "四": 4,
                   "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
# A number read out digit by digit (一五零 二二三三 四四五五, 幺八七…).
_SPOKEN_DIGITS = str.maketrans({digit: str(value) for digit, value in CN_DIGIT_VALUES.items()})
# A number typed in its 3-4-4 groups with commas, slashes or 、 between (幺三九，零七一二，五八三六).
_PHONE_GROUPING = re.compile(r"(?<=\d)[,、/;](?=\d)")


def normalize_phone(text: str) -> str:
    spoken = unicodedata.normalize("NFKC", text.strip()).translate(_SPOKEN_DIGITS)
    digits = _SEPARATORS.sub("", _PHONE_GROUPING.sub("", spoken)).replace("(", "").replace(")", "")
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            digits = digits[len(prefix):]
            break
    if not _PHONE.fullmatch(digits):
        raise InvalidValue("phone", "not_mainland_mobile")
    return digits


# A province's other short name (黔 for 贵州, 滇 for 云南) written for the one its plates carry.
_PLATE_PROVINCE = {"黔": "贵", "滇": "云", "蜀": "川", "秦": "陕", "陇": "甘"}



def normalize_plate(text: str) -> str:
    plate = _SEPARATORS.sub("", unicodedata.normalize("NFKC", text).strip()).upper()
    plate = plate[:2] + plate[2:].translate(_SPOKEN_DIGITS)  # 沪A一二三四五
    if plate[:1] in _PLATE_PROVINCE:
        plate = _PLATE_PROVINCE[plate[0]] + plate[1:]
    if _PLATE_ORDINARY.fullmatch(plate) or _PLATE_NEW_ENERGY.fullmatch(plate):
        return plate
    # Eight characters with D/F third: a new-energy plate whose last four are not all digits.
    if len(plate) == 8 and plate[0] in PROVINCES and plate[2] in "DF":
        raise InvalidValue("plate", "new_energy_format")
    raise InvalidValue("plate", "bad_format")


def vin_check_digit(vin: str) -> str:
    total = sum(_VIN_VALUES[ch] * weight for ch, weight in zip(vin, _VIN_WEIGHTS))
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def normalize_vin(text: str) -> str:
    # ＬＳＶ… typed on a full-width keyboard is the same VIN (NFKC, as for the phone).
    vin = _SEPARATORS.sub("", unicodedata.normalize("NFKC", text).strip()).upper()
    if not _VIN.fullmatch(vin):
        raise InvalidValue("vin", "bad_format")
    if vin[8] != vin_check_digit(vin):
        raise InvalidValue("vin", "bad_check_digit")
    return vin


# 我姓 / 俺姓 / 咱叫 / 阿拉姓 (I, in the customer's own dialect), 免贵姓, 叫我, 本人: the asking
# words before the name. 性 for 姓: the same sound, and the first character a phone keyboard
# offers for xing.
_NAME_PREFIX = re.compile(r"^免贵[姓性]?|^(?:(?:我|俺|咱|偶|阿拉|鄙人)(?:免贵)?)?[姓性]|^(?:我|俺|咱|偶|阿拉)(?:叫|是)|^(?:你们?|您)?(?:就)?(?:叫|喊|称呼)我|^本人")
# The booking put under someone else's name (登记她名字吧,林小红 / 写我老公的名字:王强).
# (名字登记我老婆的吧,周丽: the name said first, whose after it.)
_SOMEONE_ELSE = r"(?:她|他|我老婆|我老公|我爱人|我媳妇|我先生|我太太|车主)"
_FOR_SOMEONE_ELSE = re.compile(
    rf"(?:登记|写|用|留|填){_SOMEONE_ELSE}的?(?:名字|姓名)(?:吧|啊|哈)?[,，:：\s]*(?:叫|是)?"
    rf"|(?:名字|姓名)(?:就)?(?:登记|写|用|留|填)(?:成|上)?{_SOMEONE_ELSE}的(?:吧|啊|哈)?[,，:：\s]*(?:叫|是)?"
)


def booked_under_another_name(text: str) -> bool:
    """The words put the booking under someone else's name and give it (登记她名字吧,林小红)."""
    found = _FOR_SOMEONE_ELSE.search(text)
    return bool(found and re.search(r"[\u4e00-\u9fff]", text[found.end():]))


# A surname told by the parts of its character (弓长张, 耳东陈, 木子李): the parts go.
_SURNAME_PARTS = ("弓长", "立早", "耳东", "木子", "口天", "古月", "双木", "草头", "言午", "人可", "禾口",
                  "关耳", "双口", "三横", "日月", "子小", "女昌", "走肖", "土圭", "之口", "小月", "文刀", "木易",
                  "禾呈", "三点水", "单人")


# Courtesy words said first (不好意思,… / 你好 / 稍等): no name.
_NOT_A_NAME = re.compile(r"不好意思|抱歉|对不起|你好|您好|谢谢|稍等|等一下|等下|麻烦|请问|那个|这个|不是|没有|不用|不要|对了|好的|是的|可以")
# A filler said before the answer, as its own clause (对了, / 嗯, / 好的,).
_FILLER_LEAD = re.compile(r"^(?:(?:对了|好的|好滴|好嘞|嗯+|哦+|噢|啊|那个|行|可以|ok|OK)[,，、\s~～!！。.…]+)+")


def normalize_name(text: str) -> str:
    """A customer's name as given: 王先生, 李女士, 刘洋 (surname + title is enough)."""
    # A Chinese name is the first word: 姓褚 衣字旁那个 → 褚 (the rest explains the character).
    said = unicodedata.normalize("NFKC", text).strip()  # full-width ,!; as ASCII
    other = _FOR_SOMEONE_ELSE.search(said)
    if other and re.search(r"[\u4e00-\u9fff]", said[other.end():]):
        said = said[other.end():]  # 张,哦车是我老婆的,登记她名字吧,林小红: the name to book under
    said = _FILLER_LEAD.sub("", said).strip()  # 对了,我姓汪 / 嗯,李强: the name after the filler
    said = _NAME_PREFIX.sub("", said, count=1).strip()  # 免贵 欧阳: the name after the courtesy
    words = [w for w in re.split(r"[\s,、。.!?~;]+", said) if w]
    name = words[0] if words and re.search(r"[\u4e00-\u9fff]", words[0]) else " ".join(words)
    name = _NAME_PREFIX.sub("", name, count=1)
    name = re.sub(r"(就行|就好|就可以|即可|吧|哈|呀|啊|(?:可以|行|好|对)(?:吗|么|不)|行不行|吗)$", "", name)
    name = re.sub(r"^([\u4e00-\u9fff]{1,2}?)(?:工|总|师傅|老师)$", r"\1", name)  # 李工 / 王总: the surname and a title
    for parts in _SURNAME_PARTS:
        if name.startswith(parts) and len(name) > len(parts):
            name = name[len(parts):].lstrip("的")
            break
    # 老梁 / 小卫 / 阿张: how the customer is called; the surname is what is recorded.
    if re.fullmatch(r"[老小阿][\u4e00-\u9fff]", name):
        name = name[1:]
    if _NOT_A_NAME.match(name) or not re.fullmatch(r"[\u4e00-\u9fff]{1,4}(先生|女士|小姐)?|[A-Za-z][A-Za-z ]{1,30}", name):
        raise InvalidValue("customer_name", "bad_format")
    return name


# An extra request as a work-order line, in the customer's words without the asking:
# 帮忙洗个车 → 洗个车, 帮我把胎压也调一下 → 把胎压也调一下 (the item as said, 一下 and all).
_REQUEST_LEAD = re.compile(r"^(?:就是|就|麻烦|请|帮忙|帮我们?|帮|给我|顺便|顺带|另外|再|也|还要|还想|还|想|要不然|要不|要|能不能|可以)+")
_REQUEST_TAIL = re.compile(r"(?:吧|呗|啊|呀|哈|就行|就好|谢谢|,|,|。|!|!)+$")


def request_line(text: str) -> str:
    """The work item the customer asks for, without the asking (the words if nothing is left);
    the item itself in the customer's words (洗个车 stays 洗个车, 把内饰清洗一下 stays so)."""
    said = re.sub(r"\s+", " ", without_emoji(text)).strip()  # 帮忙洗下车🙏: the advisor reads no faces
    line = _REQUEST_TAIL.sub("", _REQUEST_LEAD.sub("", said))
    return line if len(line) >= 2 else said


MAX_PLAUSIBLE_KM = 1_500_000

# Mileage as customers write it: 三万五, 3万5, 2万1千公里, 7.5w, 75k, 十来万, 8万多, 表上41230.
# The text is first normalised (NFKC, lower case, 公里/千米/km -> 公里, no thousands
# separators); then every number in it is a candidate unless a non-distance unit follows
# (3个月, 2019年, 500元, 3点) or precedes it (第3, 周三). Exactly one mileage must remain.
_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10_000, "w": 10_000, "k": 1000}
_CN_DIGIT = "零〇一二两三四五六七八九"
_NUMBER_RUN = re.compile(
    # Not inside a number (3.5: not from 5), but a number may follow dots: 嗯……一万四千九
    # (NFKC makes the ellipsis three dots) is 14900, not 4900.
    rf"(?<![0-9])(?<![0-9]\.)(?:[0-9]+(?:\.[0-9]+)?|[{_CN_DIGIT}十])"
    rf"(?:[0-9{_CN_DIGIT}十百千万]|\.(?=[0-9])|点(?=[{_CN_DIGIT}])"
    rf"|(?<=[0-9{_CN_DIGIT}十百千万])[wk](?![a-z])|(?<=[十百千])来(?=[万千]))*"
)
_NUMBER_TOKEN = re.compile(
    rf"(?P<arabic>[0-9]+(?:\.[0-9]+)?)|(?P<chinese>[{_CN_DIGIT}](?:点[{_CN_DIGIT}]+)?)|(?P<unit>[十百千万wk])|来"
)
_DISTANCE_AFTER = re.compile(r"(?:多|来|余|左右)?公里")
_NOT_DISTANCE_AFTER = re.compile(
    r"(?:多|来|余)?(?:年|月|日|号|天|周|星期|次|个|元|块|钱|岁|小时|分|秒|点|:|趟|遍|回|圈|辆|台|位|条|家"
    r"|%|折|米|英里|mile|系|代|款|升|l(?![a-z])|t(?![a-z]))"
)
_NOT_DISTANCE_BEFORE = re.compile(r"(?:第|周|星期|礼拜|[¥$€]|[0-9]:)$")
_VAGUE = re.compile(r"几[十百千万w]|[十百千]几|[十百千]多[万千w]")
# A vague figure as a whole run (四万几千, 七万几), taken out to look for an exact one.
_VAGUE_RUN = re.compile(rf"[0-9{_CN_DIGIT}十百千万wk]*(?:几[十百千万w]?|[十百千]几|[十百千]多[万千w])[0-9{_CN_DIGIT}十百千万wk几]*")
# Short of a round figure: 差两千到十万 / 还差2000就10万 / 离十万还差两千.
_NUM = rf"[0-9{_CN_DIGIT}十百千万wk.]+"
_SHORT_OF = re.compile(
    rf"差(?:个|不到)?(?P<gap>{_NUM})(?:公里)?(?:就|才)?(?:到|满|够)?(?P<target>{_NUM})(?:公里)?"
    rf"|离(?P<target2>{_NUM})(?:公里)?(?:还|就)?差(?:个)?(?P<gap2>{_NUM})"
)


class _Unreadable(Exception):
    """A number whose reading is not certain (两三万, 3万50, 3百2千)."""


@dataclass(frozen=True)
class _Numeral:
    value: Decimal
    digits: int  # integer digits as written (3万5000: 4), 0 for a filler 零
    fraction: bool


def _mileage_text(text: str) -> str:
    cleaned = unicodedata.normalize("NFKC", text).lower().replace("萬", "万").replace("兩", "两")
    cleaned = re.sub(r"(?<=[0-9])[,，](?=[0-9]{3}(?![0-9]))", "", cleaned)
    cleaned = re.sub(r"(?<=[0-9])\s+(?=[0-9])", "/", cleaned)  # 35 000: two numbers, not one
    cleaned = re.sub(r"\s+", "", cleaned)
    cleaned = re.sub(r"(?<=[万千wk])多(?:一)?点儿?", "多", cleaned)  # 一万多点: not 点 as o'clock
    cleaned = re.sub(r"(?<=[0-9零一二两三四五六七八九十])个(?=[万千w])", "", cleaned)  # 六个万, 17个万
    return re.sub(r"公里|千米|kms|kilometers?|km", "公里", cleaned)


def _numerals(run: str) -> list[_Numeral | int]:
    """A number run as numerals and units (ints); 来 in 十来万 is dropped."""
    tokens: list[_Numeral | int] = []
    for match in _NUMBER_TOKEN.finditer(run):
        if match["arabic"]:
            whole = match["arabic"].split(".")[0]
            tokens.append(_Numeral(Decimal(match["arabic"]), len(whole), "." in match["arabic"]))
        elif match["chinese"]:
            whole, _, fraction = match["chinese"].partition("点")
            digits = "".join(str(CN_DIGIT_VALUES[ch]) for ch in fraction)
            value = Decimal(f"{CN_DIGIT_VALUES[whole]}.{digits}" if digits else CN_DIGIT_VALUES[whole])
            filler = whole in "零〇" and not digits
            tokens.append(_Numeral(value, 0 if filler else 1, bool(digits)))
        elif match["unit"]:
            tokens.append(_UNITS[match["unit"]])
    return tokens


class _NumberReader:
    """Reads numerals and units left to right, the way a Chinese number is read."""

    def __init__(self) -> None:
        self.above_wan = Decimal(0)  # the part before 万, times 10,000
        self.section = Decimal(0)  # the part after the last 万 (or the whole, without 万)
        self.section_unit: int | None = None  # the smallest 十/百/千 so far in the section
        self.pending: _Numeral | None = None  # a numeral waiting for its unit
        self.last_unit: int | None = None
        self.after_zero = False  # a filler 零 came since the last unit: 三万零五百
        self.closed = False  # a fraction took its unit: nothing may follow 7.5万

    def numeral(self, numeral: _Numeral) -> None:
        if self.closed or self.pending is not None or (self.after_zero and numeral.digits == 0):
            raise _Unreadable  # two numerals in a row: 两三万, 35 5
        if numeral.digits == 0:
            self.after_zero = True
        else:
            self.pending = numeral

    def unit(self, unit: int) -> None:
        pending = self.pending
        if self.closed:
            raise _Unreadable
        if pending is not None and self.last_unit is not None and (pending.digits > 1 or pending.fraction):
            raise _Unreadable  # 3万50千, 3万0.5千
        count = pending.value if pending is not None else None
        if unit == 10_000:
            base = self.section + (count or 0)
            if self.above_wan or not base:
                raise _Unreadable  # 万 twice, or 万 alone
            self.above_wan, self.section, self.section_unit = base * unit, Decimal(0), None
        else:
            if self.section_unit is not None and unit >= self.section_unit:
                raise _Unreadable  # units out of order: 3百2千
            if count is None and unit != 10:
                raise _Unreadable  # 百 or 千 without a count
            self.section += (count if count is not None else 1) * unit
            self.section_unit = unit
        self.closed = pending is not None and pending.fraction
        self.pending, self.last_unit, self.after_zero = None, unit, False

    def value(self) -> Decimal:
        if self.pending is not None:
            self.section += self._trailing(self.pending)
        return self.above_wan + self.section

    def _trailing(self, numeral: _Numeral) -> Decimal:
        """The last numeral's worth: 3万5 -> 5000, 3万5000 -> 5000, 3万零5 -> 5."""
        unit = self.last_unit
        if unit is None:
            return numeral.value
        if numeral.fraction:
            raise _Unreadable  # 3万5.5
        if self.after_zero:
            if numeral.value >= unit // 10:
                raise _Unreadable
            return numeral.value
        if numeral.digits == 1:
            return numeral.value * (unit // 10)  # a digit after 万 counts thousands, after 千 hundreds
        if numeral.digits == len(str(unit)) - 1:
            return numeral.value  # 3万5000, 2千300
        raise _Unreadable  # 3万50


def _run_value(run: str) -> Decimal:
    """The value of one number run, or _Unreadable."""
    reader = _NumberReader()
    for token in _numerals(run):
        if isinstance(token, _Numeral):
            reader.numeral(token)
        else:
            reader.unit(token)
    return reader.value()


@dataclass(frozen=True)
class _Candidate:
    kilometres: int
    explicit: bool  # has 万/千/k/w or a distance unit: 3万, 5千, 500公里


def _candidates(cleaned: str) -> list[_Candidate]:
    """Every number in the text that may be the mileage. A figure that cannot be read for
    certain (一万七八, 两三万) makes the text ambiguous, unless an exact figure is also given
    (一万七八吧,准确的是17650): then the exact one is the mileage."""
    found = []
    unreadable = False
    for match in _NUMBER_RUN.finditer(cleaned):
        run, rest = match.group(), cleaned[match.end():]
        if len(run) == 1 and run in _CN_DIGIT and not _DISTANCE_AFTER.match(rest):
            continue  # 一直, 一点, 两次: a lone Chinese digit is not a mileage
        if _NOT_DISTANCE_AFTER.match(rest) or _NOT_DISTANCE_BEFORE.search(cleaned[: match.start()]):
            continue
        try:
            value = _run_value(run)
        except _Unreadable:
            unreadable = True
            continue
        explicit = bool(re.search("[万千wk]", run)) or bool(_DISTANCE_AFTER.match(rest))
        found.append(_Candidate(int(value.to_integral_value(ROUND_HALF_UP)), explicit))
    if unreadable and not (len(found) == 1 and found[0].kilometres >= 1000 and _granularity(found[0].kilometres) <= 100):
        raise InvalidValue("mileage", "ambiguous")
    return found


def rounds_to(exact: int, rough: int) -> bool:
    """The rough figure is the exact one rounded (39600 -> 4万, 61200 -> 6万): said later,
    it is the same mileage in fewer words (4万公里保养), not a new one."""
    step = _granularity(rough)
    return step > _granularity(exact) and abs(rough - exact) < step


def _granularity(kilometres: int) -> int:
    """How round a figure is: 60000 -> 10000, 18000 -> 1000, 61200 -> 100."""
    step = 1
    while kilometres and kilometres % (step * 10) == 0:
        step *= 10
    return step


def _one_reading(candidates: list[_Candidate]) -> _Candidate:
    """The mileage when the text holds several figures: a round one and the exact one it
    rounds (六万出头,准确的是61200; 两万不到,19000) give the exact one; figures that
    disagree (3万,不对,4万) are ambiguous."""
    exact = min(candidates, key=lambda candidate: _granularity(candidate.kilometres))
    for other in candidates:
        if abs(other.kilometres - exact.kilometres) >= _granularity(other.kilometres) and other != exact:
            raise InvalidValue("mileage", "ambiguous")
    return exact


# A figure taken back in the same answer (三万二,哦不对,看反了,是两万三 / 3万,说错了,4万 /
# 不是七万五,是八万一千二).
_TAKEN_BACK = re.compile(
    r"不对|不是不是|[说写看记打搞弄填报][错反]了?|(?:刚才|之前|前面)[说写报填][少多]了|[哦噢啊呃]不(?![是对])"
    # 三万七……刚看了下是三万九千二: looked again, the figure read then
    r"|(?:刚|刚刚|又)(?:看|查|瞄|瞅)了?(?:一)?(?:下|眼|一眼)(?:仪表盘?|表|里程表?)?(?:上)?"
    r"|(?<!是)不是[^,，。;；]{1,12}[,，\s]*(?:而|应该|其实)?是"  # 不是七万五,是八万一千二
)


# The figure taken back said after the right one (是五万三,不是三万五); not 是不是, which
# asks (倒车雷达是不是坏了).
_EMPTY_TAIL = re.compile(r"[\s,，。.!！~～…?？了啊哈呀吧哦嘛]+")
_NOT_THIS = re.compile(r"[,，\s]*(?:而)?(?<!是)不是[^,，。;；]{1,12}$")


# A figure said roughly (跑了四万多公里 / 快一万公里了 / 三万左右): the round number it gives
# is not what the odometer shows.
_ROUGH_LEAD = r"(?:快到?|将近|接近|差不多|大概|大约|约)"
_ROUGH_BEFORE = re.compile(rf"{_ROUGH_LEAD}$")
_ROUGH_INSIDE = re.compile(rf"多|(?<=[十百千万])来|左右|出头|上下|{_ROUGH_LEAD}")
# Where the words to repeat begin: the rough word or the figure (跑了快一万公里了 → 快一万公里).
_SAID_FROM = re.compile(rf"{_ROUGH_LEAD}?[\d零〇一二两三四五六七八九十百千万]")
_ROUGH_AFTER = re.compile(r"^(?:多|左右|出头|上下)")
_FIGURE = re.compile(r"[\d零〇一二两三四五六七八九十百千万.]+(?:[多来])?(?:[\d零〇一二两三四五六七八九十百千万]+)?(?:公里|千米|km)?")


def rough_mileage(text: str, figure: str | None = None) -> str | None:
    """The words of a mileage said roughly, as they can be repeated to the customer
    (跑了四万多公里 → 四万多公里, 哈弗H6快一万公里了 with the figure 一万公里 → 快一万公里);
    None for an exact figure. ``figure`` is the mileage the text was read as, when known."""
    found = re.search(re.escape(figure), text) if figure else None
    if found is None:
        found = next((m for m in _FIGURE.finditer(text) if re.search(r"[万千]|公里|km|\d{3}", m.group(0))), None)
    if found is None:
        return None
    before = _ROUGH_BEFORE.search(text[:found.start()])
    after = _ROUGH_AFTER.match(text[found.end():])
    words = found.group(0)
    if not (before or after or _ROUGH_INSIDE.search(words)):
        return None
    words = (before.group(0) if before else "") + words + (after.group(0) if after else "")
    start = _SAID_FROM.search(words)
    words = (words[start.start():] if start else words).rstrip("了啊吧呢 ")
    if re.search(r"公里|千米|km", words):
        return words
    around = re.fullmatch(r"(.*?)(左右|上下)", words)
    return f"{around[1]}公里{around[2]}" if around else f"{words}公里"


def after_taking_back(text: str) -> str | None:
    """The words after the last figure taken back, without a 不是… that follows them; None
    when nothing is taken back."""
    # (A mark with nothing after it explains the slip: 不对,是三万八,刚才看错了.)
    marks = [m for m in _TAKEN_BACK.finditer(text) if _EMPTY_TAIL.sub("", text[m.end():])] \
        or list(_TAKEN_BACK.finditer(text))
    if marks:
        return _NOT_THIS.sub("", text[marks[-1].end():])
    if _NOT_THIS.search(text) and "是" in _NOT_THIS.sub("", text):
        return _NOT_THIS.sub("", text)  # 里程是五万三,不是三万五
    return None


def parse_mileage(text: str) -> int:
    """Kilometres from what customers write: 三万五, 3万5, 2万1千公里, 7.5w, 8万多, 表上41230.

    Approximations (多, 左右, 出头, 快...了) count as the round number given; a figure taken
    back (三万二,哦不对,是两万三) gives way to the one said after it. Raises
    InvalidValue: not_a_number (很多, 不知道), ambiguous (两三万, 3到4万, 十几万, a bare 3
    that may mean 3万) or implausible (0, more than 1,500,000 km, a phone number).
    """
    corrected = after_taking_back(text)
    if corrected is not None:
        if _candidates(_mileage_text(corrected)):
            text = corrected  # the figure said after 不对 / 看错了 is the answer
        elif re.search(r"[\d零一二两三四五六七八九十百千万]", _mileage_text(text)):
            raise InvalidValue("mileage", "ambiguous")  # 3万,不对: taken back, nothing said instead
    cleaned = _mileage_text(text)
    short = _SHORT_OF.search(cleaned)
    if short:
        # 差两千到十万 / 离十万还差两千: the round figure less the gap.
        try:
            gap, target = _run_value(short["gap"] or short["gap2"]), _run_value(short["target"] or short["target2"])
        except _Unreadable:
            raise InvalidValue("mileage", "ambiguous") from None
        if not 0 < gap < target:
            raise InvalidValue("mileage", "ambiguous")
        return _plausible(int(target - gap))
    if _VAGUE.search(cleaned):
        # 四万几千,表上是四万三: a vague figure, then the exact one it hides.
        exact = [c for c in _candidates(_VAGUE_RUN.sub("/", cleaned)) if c.kilometres >= 1000]
        if len(exact) != 1 or _granularity(exact[0].kilometres) > 1000:
            raise InvalidValue("mileage", "ambiguous")
        return _plausible(exact[0].kilometres)
    candidates = _candidates(cleaned)
    if not candidates:
        raise InvalidValue("mileage", "not_a_number")
    candidate = _one_reading(candidates)
    if candidate.kilometres < 100 and not candidate.explicit and candidate.kilometres > 0:
        raise InvalidValue("mileage", "ambiguous")  # 3 or 35 alone: 3万? 35000?
    return _plausible(candidate.kilometres)


def _plausible(kilometres: int) -> int:
    if not 0 < kilometres <= MAX_PLAUSIBLE_KM:
        raise InvalidValue("mileage", "implausible")
    return kilometres
