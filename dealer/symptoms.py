"""The pre-arrival symptom interview (Chery steps 5-6): reading a complaint.

The customer's own words are kept; this module decides which of the six
questions a message already answers and with which of its words: `when` gets the
time phrase only (最近一周, 上周三开始), `where` the situation (刹车的时候, 冷车启动,
高速上120以上), `frequency`, `driving_impact` and `tried` their own phrases, and
`what` the complaint without greetings and the booking request. It also reads the
customer's reply to the restated complaint (agreement or a correction), tells a
repeated complaint from a new one, finds danger signs, tags parts and symptom
types, and scores completeness. Word lists live in data/entity_patterns/ (the
same files the spaCy entity_ruler is built from); the readings below do not need
a complaint to use a listed word (倒车影像黑屏了, 后备箱关不上).
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from dealer.emoji import without_emoji
from dealer.script import NOT_GIVEN, load_script, says_a_no_word
from dealer.settings import REPO_ROOT

PATTERN_DIR = REPO_ROOT / "data" / "entity_patterns"
QUESTIONS = ("when", "where", "what", "frequency", "driving_impact", "tried")

Span = tuple[int, int]
HAN = r"\u4e00-\u9fff"


def _lines(name: str, pattern_dir: Path = PATTERN_DIR) -> tuple[str, ...]:
    text = (pattern_dir / name).read_text(encoding="utf-8")
    return tuple(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


@dataclass(frozen=True)
class Vocabulary:
    parts: tuple[str, ...]
    symptoms: tuple[str, ...]
    danger: tuple[str, ...]
    not_danger: tuple[str, ...]  # phrases that contain a danger word but are harmless
    car_models: tuple[str, ...] = ()


@lru_cache
def vocabulary(pattern_dir: Path = PATTERN_DIR) -> Vocabulary:
    danger_file = _lines("danger.txt", pattern_dir)
    return Vocabulary(
        parts=_lines("parts.txt", pattern_dir),
        symptoms=_lines("symptoms.txt", pattern_dir),
        danger=tuple(w for w in danger_file if not w.startswith("!")),
        not_danger=tuple(w[1:] for w in danger_file if w.startswith("!")),
        car_models=_lines("car_models.txt", pattern_dir),
    )


def _alternation(words: Iterable[str]) -> str:
    """A regex alternation of literal words, the longest first."""
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


# --- splitting ---------------------------------------------------------------------------

# Clause breaks, half and full width (，。；！？、).
PUNCTUATION = ",\uff0c\u3002;\uff1b!\uff01?\uff1f\u3001\n"
# Pieces of a clause: spaces between Chinese words, and where a booking request was taken out.
SOFT_BREAK = re.compile(rf"\|+|(?<=[{HAN}])\s+(?=[{HAN}])")


# A colon opens a list (有两个毛病:…), unless it is a clock's (8:30).
COLON = r"(?<!\d)[:\uff1a]|[:\uff1a](?!\d)"


def clauses(text: str) -> list[str]:
    return [c.strip() for c in re.split(f"[{PUNCTUATION}]|{COLON}", text) if c.strip()]


def _pieces(clause: str) -> list[str]:
    """A clause's pieces: Chinese written with spaces for commas (你好 探岳 变速箱顿挫)."""
    return [p.strip() for p in SOFT_BREAK.split(clause) if p.strip()]


def _merge(spans: Iterable[Span], gap: int = 0) -> list[Span]:
    """Overlapping or touching spans (at most `gap` characters apart) as one."""
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1] + gap:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(start, end) for start, end in merged]


def _spans(pattern: re.Pattern[str], text: str) -> list[Span]:
    return [m.span() for m in pattern.finditer(text) if m.end() > m.start()]


def _overlaps(span: Span, spans: Iterable[Span]) -> bool:
    return any(start < span[1] and span[0] < end for start, end in spans)


def _inside(span: Span, spans: Iterable[Span]) -> bool:
    return any(start <= span[0] and span[1] <= end for start, end in spans)


def _unique(phrases: Iterable[str]) -> list[str]:
    seen: list[str] = []
    for phrase in phrases:
        if phrase and phrase not in seen:
            seen.append(phrase)
    return seen


# --- not the complaint: greetings and the booking request ----------------------------------

CN_DIGITS = "零〇一二两三四五六七八九十"
# Not a measure (一点都不凉快 / 有一点抖 / 快一点): no clock time there.
CLOCK = (
    rf"(?<![有差快慢早晚大小多少好])(?:[01]?\d|2[0-3]|[{CN_DIGITS}]{{1,3}})(?:点(?![都也儿点])|:|\uff1a)"
    rf"(?:半|一刻|三刻|[0-5]?\d分?|[{CN_DIGITS}]{{1,3}}分)?(?:钟)?(?:左右)?"
)
PART_OF_DAY = r"(?:早上|早晨|上午|中午|下午|傍晚|晚上|白天)"
DAY_AHEAD = (
    r"(?:明天|明儿|明早|明晚|大{0,3}后天|下周[一二三四五六日天末]?|下个?(?:星期|礼拜)[一二三四五六日天]?)"
)
BOOKING_DAY = (
    rf"(?:{DAY_AHEAD}|今天|今儿|(?:这|本)?(?:周|星期|礼拜)[一二三四五六日天末]|周末"
    r"|\d{1,2}月\d{1,2}[号日]|\d{1,2}[号日])"
)
BOOKING_TIME = rf"(?:{BOOKING_DAY}(?:的)?{PART_OF_DAY}?(?:{CLOCK})?|{PART_OF_DAY}(?:{CLOCK})?|{CLOCK})"
WANT = r"(?:想要|想|要|需要|打算|准备|希望|得)"
ASK = r"(?:能不能|能否|能|可不可以|可以|方便|要不要)"
HELP = r"(?:帮忙|帮我|给我|麻烦|请|帮)"
SERVICE = (
    r"(?:修车|修理|维修|修修|修|检查|检测|检修|查看|查查|查|看看|看|处理|保养|弄弄|弄|诊断|瞧瞧|瞅瞅|瞅|更换|换|补|清洗|做个?检查)"
    r"(?:一下|下)?"
)
GO = r"(?:过来|过去|(?:来|去|到|进)(?:你们)?(?:店里|店|那边|那里|那儿)|来|去)"
SHOP = r"(?:(?:来|去|到|进)(?:你们)?(?:店里|店|那边|那里|4S店))"
TAIL = r"(?:看看|看)?(?:吧|吗|么|呢|呗|哈|啊|可以吗|行吗|好吗|可以不|行不)?"
BOOKING_REQUEST = re.compile(
    "|".join(
        (
            # 想约明天上午八点半修一下 / 能约个检查吗 / 预约明天下午 / 约个时间处理
            rf"(?:我们?)?(?:也|还)?{WANT}?{ASK}?{HELP}?(?<![大节制邀契])(?:预约|预定|约|订|安排)"
            rf"(?:一?个|一下|下)?(?:时间)?(?:{BOOKING_TIME})?(?:的)?(?:时间)?(?:{GO})?(?:做个?|做一?下)?(?:{SERVICE})?{TAIL}",
            # 帮我看看 / 麻烦检查一下
            rf"(?:帮忙|帮我|给我|麻烦|帮){SERVICE}(?:我的车|车子|一下)?{TAIL}",
            # 想去店里看看 / 想找时间去店里检查下
            rf"(?:我们?)?{WANT}(?:找个?时间)?{GO}(?:{SERVICE})?{TAIL}",
            # 明天下午能过来修吗
            rf"{BOOKING_TIME}{ASK}?{GO}(?:{SERVICE})?{TAIL}",
            # 去店里看看 / 想修一下
            rf"{SHOP}(?:{SERVICE})?{TAIL}",
            rf"(?:我们?)?(?:{ASK}|{WANT})(?:一起|顺便|顺带|一块儿?|都)?{SERVICE}{TAIL}",
            # a time left on its own: 明天上午十点 / 周五下午3点半
            rf"{DAY_AHEAD}(?:的)?{PART_OF_DAY}?(?:{CLOCK})?|(?:{BOOKING_DAY})?(?:的)?{PART_OF_DAY}?{CLOCK}",
        )
    )
)
GREETING = re.compile(
    r"^(?:你好|您好|你们好|恁好|侬好|雷猴|在吗|在么|在不在|喂|哈喽|哈啰|哈罗|嗨|嘿|(?:hello|hi|hey)(?![a-z])|早上好|上午好|下午好|晚上好"
    rf"|师傅|老板|客服|美女|帅哥|小姐姐|老铁|哥们儿?|亲(?=[\s{PUNCTUATION}])|那个(?=[\s{PUNCTUATION}])|嗯+|呃|哎呀|哎|唉|诶|请问|打扰(?:一下|了)|(?:我)?想?(?:问|咨询)(?:一)?下|谢谢)"
    rf"[\s啊呀呢哈~\uff5e{PUNCTUATION}.]*",
    re.IGNORECASE,
)
# Reactions and questions around a complaint (咋整 / 怎么回事啊 / 吓死我了): not its words.
REACTION = re.compile(
    r"(?:咋整|咋办|怎么办|怎么整|咋个?回事|怎么回事|啥子?情况|什么情况|这是啥意思|这是什么意思|啥意思|什么意思|吓死(?:我|人)了?|烦死了"
    r"|咋个办|咋个整|怎么搞的|咋搞的|咋个搞起的|急死了|郁闷|好奇怪|奇了怪了|会不会有事|这正常[么吗]|正常[么吗]|哈{2,8}|呵{2,8}"
    r"|也?不知道(?:是)?(?:咋回事|怎么回事|咋了|怎么了|为啥|为什么))[啊呀吗呢吧么哦嘛哇噻]*"
    # a question to the shop at the end of a clause (坏了给免费修不 / 能保修吗): not the symptom
    # pointing back at words told before (就是刚才讲的 / 前面说了): the complaint is what follows
    r"|(?:就是|还是|也是|就|是)?我?(?:刚才|刚刚|前面|上面|之前|先前|开头)(?:跟你们?|和你们?)?(?:讲|说|提)(?:过|了)?的?(?:那个)?(?:问题|毛病|情况|事)?[啊呀嘛哈]*"
    r"|(?:给|能|可以|能不能|可不可以|会不会|是不是)(?:免费|保修|质保|包|白)?(?:修|换|处理|管|赔|保)(?:一下|下)?(?:吗|么|嘛|不|没|没有)(?=$|[?？\s])"
    # what it costs, asked at the end of a clause (电瓶坏了换新的要钱吗 / 修一下多少钱): not the symptom
    r"|(?:(?:换|修|弄|处理)[^,，。?？!！\s]{0,4}?)?(?:要钱|要收费|收费|花钱|多少钱|要多少)(?:吗|么|嘛|不|没|啊|呀)?(?=$|[?？\s])"
    # how long the work takes, asked at the end of a clause (查个漏油要多长时间啊): not the symptom
    r"|(?:大概|大约|差不多|一般)?(?:要|得|需要)?(?:多长时间|多少时间|多久)(?:能好|能修好|能弄好)?(?:吗|么|嘛|啊|呀|呢)?(?=$|[?？\s])"
)
CONNECTORS = re.compile(r"(?:另外|还有|而且|然后|所以|那|就|再)+")
EDGE_WORDS = re.compile(rf"^(?:所以|然后|麻烦|[{PUNCTUATION}\s])+|(?:所以|因此|然后|麻烦|想|要|请|[{PUNCTUATION}\s])+$")


# A VIN, phone or plate told with the complaint (车架号 LFV3A24F7N3012480): a fact of the
# booking, never words of the complaint.
IDENTIFIER = re.compile(
    r"(?:车架号|车辆识别号|识别码|VIN码?)?[:：\s]*[A-HJ-NPR-Z0-9]{17}(?![A-Z0-9])"
    r"|(?:手机号?|电话|号码)?[:：\s]*(?<!\d)1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}(?!\d)"
    r"|(?:车牌号?)?[:：\s]*[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼][A-HJ-NP-Z][·.\s]?[A-HJ-NP-Z0-9]{5,6}",
    re.IGNORECASE,
)


def without_request(text: str) -> str:
    """The words left when greetings, the booking request and the booking time are taken out."""
    rest = IDENTIFIER.sub("|", text.strip()).strip("|")
    while (greeting := GREETING.match(rest)) and greeting.end() > 0:
        rest = rest[greeting.end():]
    pieces = REACTION.sub("|", BOOKING_REQUEST.sub("|", rest)).split("|")
    if len(pieces) == 1:
        return rest
    pieces = [EDGE_WORDS.sub("", piece) for piece in pieces]
    return "|".join("" if CONNECTORS.fullmatch(piece) else piece for piece in pieces)


# Sound-alike characters typed for a symptom word (发动机斗的厉害, 咔咔想, 打不找火): read as meant.
TYPOS = (
    (re.compile(rf"(?<=[{HAN}])斗(?=的|得|动|个不停|一下|了|起来)|(?<=[{HAN}])陡(?![坡峭])"), "抖"),
    (re.compile(r"(?<=[咔吱嗡咚哒咯噔哐嘎嗒])想|(?<!奇)异想(?!天开)"), lambda m: m.group().replace("想", "响")),
    (re.compile(r"[打大]不[找照](?=火|车)"), "打不着"),
    (re.compile(r"发动鸡"), "发动机"),
    (re.compile(r"(?<=有)一响"), "异响"),
    (re.compile(r"时侯"), "时候"),
)


def typos_read(text: str) -> str:
    for pattern, meant in TYPOS:
        text = pattern.sub(meant, text)
    return text


def _units(text: str) -> list[list[str]]:
    """Each clause's pieces, greetings and the booking request taken out."""
    units = []
    for clause in clauses(typos_read(without_emoji(text))):
        pieces = [p for p in _pieces(without_request(clause)) if p]
        if pieces:
            units.append(pieces)
    return units


# --- when: the time phrase ------------------------------------------------------------------

NUM = rf"(?:\d{{1,4}}|好几|好些|十几|一两|两三|三四|[{CN_DIGITS}百几半些]{{1,4}})"  # bounded: no backtracking runs
COUNT_NEXT = rf"(?:都|就|有|能|要|会|得)?[{HAN}]{{0,3}}?第?(?:好几|几|[{CN_DIGITS}]{{1,4}}|\d{{1,4}})[次回遍]"
DAY_PAST = (
    r"(?:今天|今早|今儿|昨天|昨晚|昨儿|前天|大前天|上上?个?(?:周|星期|礼拜)[一二三四五六日天末]?|上上?个?月|去年|前年"
    r"|年初|年前|年后|年底|月初|月底|(?:这|本)个?(?:周|星期|礼拜)|(?:这|本)个?月|今年|刚才(?![讲说提])"
    r"|\d{1,2}月份?(?:\d{1,2}[号日])?|[一二三四五六七八九十]{1,3}月份|春节|过年|国庆)"
    r"(?:早上|早晨|上午|中午|下午|傍晚|晚上|夜里|半夜|凌晨|下班路上|上班路上|回家路上)?"
)
DURATION = (
    # not 每天 / 隔几天 (how often), 开了三年 / 开了好些年 (the car's age), 半天 (a while), 修了没几天 (soon after), 第二天 (the next day)
    # nor 停两天就打不着火 / 放了一周 (the condition it happens in)
    rf"(?<![每隔停放买提好没第])(?<!开了)(?<!用了)(?<!买了)(?<!跑了)(?<!停了)(?<!放了)(?:有|快|都|已经)?(?:最近|近|这|前|过去|头)?(?:的)?"
    rf"(?!半天){NUM}个?多?(?:天|日|周|星期|礼拜|月|年)(?:多|半)?"
    r"(?:了|前|之前|以前|以来|左右|多了)?"
)
EVENT = (
    r"(?:自从|从)?(?:入冬|入夏|入秋|开春|立冬|降温|天冷了?|天热了?|买车|买了车|提车|新车|刚买|刚提|换完|换了|修完|修了|做完|做了"
    r"|保养完|保养了|保养|洗完|加完|加了|装完|装了|贴完|贴了|撞了|刮了|升级完?了?|刷完|补完|补了|拆完|拆了"
    r"|下(?:过|了|完)?(?:一场|几场)?(?:大|小|暴)?[雨雪])"
    rf"[{HAN}\d]{{0,8}}?(?:以后|之后|以来|开始|后(?![轮门窗座备视面边排盖]))"
)
TIME_CORE = re.compile(rf"(?:{DAY_PAST}|{DURATION})(?!{COUNT_NEXT})|{EVENT}")
VAGUE_TIME = re.compile(
    r"最近|近来|近期|这阵子|这阵儿|前阵子|前阵儿|这段时间|前段时间|这些日子|有段时间了?|一段时间|好久了?|很久了?|一阵子|一直以来"
)
TIME_WRAP = re.compile(r"自从|从|打|大概|大约|差不多|估计|起(?![步来动])|开始的?|以来|以后|之后|就开始了?|那会儿?")


OPENING_WRAP = re.compile(r"(?:自从|从|打)$")


# The car's year (2023年的哈弗H6, 19年买的, 2020款): when it was made or bought, not when
# the problem began.
BARE_YEAR = re.compile(rf"(?:\d{{2}}|\d{{4}}|[{CN_DIGITS}〇零]{{2,4}})年")
# 三年质保 / 6年10万公里保修: the warranty's term, not when the problem began.
WARRANTY_TERM_NEXT = re.compile(r"(?:的)?(?:[0-9一二两三四五六七八九十]+万?公里)?(?:的)?(?:质保|保修|三包)")
CAR_YEAR_NEXT = re.compile(r"的(?!时候|那会|冬天|夏天|春天|秋天|年底|年初)|款|买|提|上的?牌|产|出厂|生产")


# 新车买了不到一年 / 提车才三个月: the car's age (a word between the verb and the duration).
CAR_AGE_BEFORE = re.compile(
    r"(?:(?:买了|买来|买|提车|提了|开了|用了|落地|新车|车龄)(?:还|才|刚|快|不到|没到|没有|没|将近|差不多|有|也就|就)+(?:开|用)?了?"
    r"|车子?(?:还|才|刚|不到|没到|也就)+(?:开|用)?了?"  # 车才一年多 (车有一个月没开 is no age)
    # 新买的星越L才三个月: the car named between
    r"|(?:新买的|刚买的|新提的|刚提的)[^,，。!！?？\s]{0,10}?(?:还|才|刚|不到|没到|也就)+(?:开|用)?了?"
    r"|(?:买了?|买来|提车了?|提了|落地|车龄))$"  # 才提车四个月: the car's age, not when it began (开了半小时 is)
)


CAR_AGE = re.compile(
    rf"(?:(?:俺|我|我的|我这|我家|咱|咱家|阿拉|新|这)?车子?)?(?:(?:新|刚)?(?:买了|买|提车|提了)|开了|用了|新车|车龄)(?:还|才|刚|快|不到|没到|将近|差不多|有|也就|就)*"
    rf"(?:开|用|买|提)?了?{NUM}个?多?(?:天|周|星期|礼拜|月|年)(?:多|半)?(?:了|吧|啊)?"  # 新车才开半年
)
# After a time, the car's purchase (上个月才提的 / 去年刚买的车): the car's age, not when it began.
CAR_BOUGHT_AFTER = re.compile(r"(?:才|刚|刚刚|新)*(?:提车|提的|提了|买的|买了|落地|上牌|上的牌|刚到手)")


ASKING_HOW_LONG = ("是", "保", "修", "要", "得")


def _time_spans(piece: str) -> list[Span]:
    """Spans of time phrases: each holds a date, a duration or an event (最近 alone does not)."""
    cores = [(start, end) for start, end in _spans(TIME_CORE, piece)
             if not (piece.startswith("几", start) and piece[start - 1:start] in ASKING_HOW_LONG)  # 质保是几年
             and not (BARE_YEAR.fullmatch(piece[start:end]) and CAR_YEAR_NEXT.match(piece, end))
             and not WARRANTY_TERM_NEXT.match(piece, end) and not CAR_AGE_BEFORE.search(piece, 0, start)
             and not CAR_BOUGHT_AFTER.match(piece, end)]
    starts = {start for start, _ in cores}
    leading = [span for span in _spans(VAGUE_TIME, piece) if span[1] in starts]  # 最近 + 一周
    merged = _merge([*cores, *leading, *_spans(TIME_WRAP, piece)])
    spans = [span for span in merged if any(_inside(core, [span]) for core in cores)]
    # A wrap that opens the next phrase (上周|从外地回来…) is not this one's.
    return [(start, end - len(m.group())) if (m := OPENING_WRAP.search(piece[start:end])) else (start, end)
            for start, end in spans]


def _all_time_spans(piece: str) -> list[Span]:
    """Time phrases with or without a date (最近 too): the bounds of other phrases."""
    return _merge([*_time_spans(piece), *_spans(VAGUE_TIME, piece)])


# A service done before (上个月在你们这换的水泵 / 才修完半个月): its time is when the work
# was done, not when the problem began, unless the words say it began then (修完以后开始).
PAST_SERVICE = re.compile(r"(?:修|换|做|保养|弄|处理|装|补|喷|贴)(?:的|完|好)|在你们(?:这|那|店)")
BEGAN = re.compile(r"开始|以后|之后|以来|后")


# The time told of the work itself (上个月在你们这修的异响又出来了): when it was done.
DONE_AT = re.compile(
    r"(?:刚刚|刚|才)?(?:在?你们(?:这|那|店)?里?|在店里|来)?(?:刚|才|给我|帮我)?(?:修|换|做|保养|弄|处理|装|补|喷|贴)(?:的|完|好|过)"
)


def when_phrases(piece: str) -> list[str]:
    spans = _time_spans(piece)
    if PAST_SERVICE.search(piece) and not _complaint_spans(piece):
        spans = [(start, end) for start, end in spans if BEGAN.search(piece, start, end + 3)]
    spans = [(start, end) for start, end in spans
             if not DONE_AT.match(piece, end) or BEGAN.search(piece, start, end + 3)]
    return [piece[start:end] for start, end in spans]


# --- frequency ------------------------------------------------------------------------------

FREQUENCY = re.compile(
    "|".join(
        (
            # (每次开都有 / 每次都这样: said whole, as the customer said it)
            rf"每[次回](?:[^都就也会总的时{PUNCTUATION}\s]{{1,6}}?(?=都|就|也|会|总))?(?:都(?:会|是)?(?:有|这样|出现|碰到|遇到|[响亮抖漏卡顿])|都)?",
            rf"(?:每)?隔(?:{NUM})个?(?:天|周|星期|礼拜|月|公里)(?:左右)?",
            r"每(?:天|周|个?月|个?星期|趟)|几乎每次|次次|回回|(?<![几两三前后每这那雨雪晴阴])天天|经常|偶尔|偶而|一直(?:都(?:是)?这样|都有|是这样|这样|[亮响闪漏抖]着?)?|总是|老是|时不时|有时候?|有的时候"
            r"|隔三差五|三天两头|时好时坏|时有时无|间歇性?|反复|频繁|断断续续|一阵一阵|不定时|时常|常常|动不动|很少|有辰光",
            r"(?<![过第])(?:(?:一天|每天|一周|每周|一个?星期|这周|这个?星期|这个?月|一个?月|每个?月|一年|半年)(?:内|里)?)?"
            # not 要打好几次 / 拧了三下: attempts to start, not how often
            # nor 头一回打火的时候 / 我就坐过那一回: which time, not how often
            rf"(?:都|就|能|会|要|有|出现过?|发生过?|响过?|亮过?)?(?<![打拧试踩点按摁插拔拍头那])(?<![打拧试踩点按摁插拔拍]好)这?(?:好几|几|[{CN_DIGITS}]{{1,4}}|\d{{1,4}})[次回](?!才)(?:了|左右)?",
            # 这个月第三次了 (not 第一次来)
            r"(?:已经是)?(?:这个?月|这周|这个?星期|今年|今天)?的?第[二三四五六七八九十几\d]{1,4}[次回]了?",
        )
    )
)


# How often in a word that does not say how often (老是, 时不时): worth asking (大概多久一次?).
VAGUE_FREQUENCY = re.compile(
    r"(?:经常|偶尔|偶而|老是|总是|时不时|有时候?|有的时候|有辰光|时常|常常|动不动|频繁|很少|反复|间歇性?|断断续续|不定时)"
)


# 这两天 / 这几天: a recent stretch, as vague as 最近 (worth asking since when exactly); 前两天
# and 昨天 name a time.
VAGUE_PERIOD = re.compile(r"(?:就|也就|大概)?(?:这|近|最近)(?:两|几|些|两三)天(?:了|吧|啊)?")


def is_vague_time(words: str) -> bool:
    return bool(VAGUE_PERIOD.fullmatch(words.strip()))


def is_vague_frequency(words: str) -> bool:
    """Every phrase read as the frequency is only an adverb of how often (老是 / 时不时)."""
    phrases = [p for p in re.split(f"[{PUNCTUATION}]", words) if p]
    return bool(phrases) and all(VAGUE_FREQUENCY.fullmatch(p) or ONCE.fullmatch(p) for p in phrases)


# 又来了一回 / 出现过一次: it happened once more, not how often it happens (一共几回 is asked).
ONCE = re.compile(r"(?:又|再)?(?:来了|出现过?|发生过?|碰到过?|有过)?[一1][次回](?:了)?")


def _frequency_spans(piece: str) -> list[Span]:
    return _merge(_spans(FREQUENCY, piece))


def frequency_phrases(piece: str) -> list[str]:
    """How often, not how often it was repaired (在你们那修了两回了: what was tried), nor a bare
    一直 said of something else (那几天一直在下雨; 一直不出风 is the fault's)."""
    tried = _tried_spans(piece)
    complaint = _complaint_spans(piece)
    return [piece[start:end] for start, end in _frequency_spans(piece) if not _inside((start, end), tried)
            and not (piece[start:end] == "一直" and not any(end <= at < end + 8 for at, _ in complaint))]


# Said of the repairs (这都第二次了,能不能给我弄好): the ordinal counts them, not the fault.
REPAIR_DEMAND = re.compile(r"弄好|修好|修了|修过|没修好|彻底|又坏|返修|返厂")


# --- driving impact -------------------------------------------------------------------------

IMPACT = re.compile(
    "|".join(
        (
            r"(?:不|没|没有|没什么|没啥)(?:太|怎么|什么|啥)?影响(?:开车|驾驶|行驶|行车|使用|开)?",
            r"(?:有|有点|有些|挺|很|比较|严重|非常)?影响(?:开车|驾驶|行驶|行车|安全|使用)?(?:很大|挺大|不大|不小)?",
            rf"(?:还|也|都|照样|勉强)?(?<!不)(?:能|可以)(?:正常)?(?:开车|开|跑|行驶|上路)(?![始关门锁发票单据证窗灯箱盖{CN_DIGITS}\d])",  # not 能开发票
            r"不(?:太|怎么)?敢(?:开车|开|上路|上高速|跑高速|开快)了?",
            r"(?:(?<!能)不能|没法|没办法)(?:正常)?(?:开车|开|走|上路|行驶|跑)了?",
            r"(?:(?<![门窗箱盖锁调])开不了|开不动|走不了|(?<![启发])动不了|跑不起来)了?",
            # (not 在市区正常开着 / 正常开就会亮: how the car was being driven when it shows)
            r"正常(?:开|行驶|使用)(?!着|就|的时候|时|也会|会)|开(?:着|起来)(?:没|没什么|没啥)感觉"
            # 晚上开着吓人: when driving is hard is part of the answer
            r"|(?:晚上|夜里|夜间|白天|高速上|上高速|下雨天?|雨天)?开(?:着|起来)(?:很|有点|挺)?(?:难受|不舒服|吓人|危险|费劲|吃力)",
        )
    )
)


# 还能开吗? / 能不能开啊: a question about driving, not an answer to how it drives.
ASKED_AFTER = re.compile(r"(?:了)?(?:吗|么|嘛|(?:不|没)(?=$|[?？,，。!！\s啊呀]))|(?:呢|啊|呀)?[?？]")


def _impact_spans(piece: str) -> list[Span]:
    return _merge(span for span in _spans(IMPACT, piece) if not ASKED_AFTER.match(piece, span[1]))


def impact_phrases(piece: str) -> list[str]:
    return [piece[start:end] for start, end in _impact_spans(piece)]


# --- what the customer tried ----------------------------------------------------------------

TRY_VERB = (
    r"(?:试|换|加|修|检查|检修|查|看|做|补|打|充|搭|拆|洗|清洗|清理|调|紧|喷|贴|升级|重启|拔|插|复位|清|刷|送|去|处理|弄|拍|敲"
    r"|保养|更换|维修|拧|装|测)"
)
# Who, when and where before what was tried (自己 / 之前在你们店): a bounded prefix, no backtracking runs.
TRY_BY = (
    r"(?:都|也|已经|自己|刚|之前|上次|前几天|没有?|还没){0,3}"
    rf"(?:(?:在|去(?!年)|到)[{HAN}]{{1,6}}?)?(?:没有?|还没)?"
)
RESULT = r"(?:还是|也|但是?|可是|没用|没好|不行|照样|依然|仍然)"
TRIED = re.compile(
    "|".join(
        (
            rf"{TRY_BY}{TRY_VERB}过[{HAN}\dA-Za-z]{{0,10}}",
            rf"{TRY_BY}{TRY_VERB}了(?:一下|下|一次|几次)?[{HAN}]{{0,8}}?{RESULT}[{HAN}]{{0,6}}",
            # 在你们那修了两回了 / 换了三次: repaired that many times (not 响了两回: no verb of work)
            # (not 打了好几次才着: attempts before it starts)
            rf"{TRY_BY}{TRY_VERB}了(?:好几|几|[{CN_DIGITS}]{{1,3}}|\d{{1,2}})[次回遍](?!才)(?:了)?",
            rf"试了(?:试|一下|下)[{HAN}]{{0,8}}",
            r"(?:没有?|还没有?|都没|什么都没|啥都没|没怎么)(?:处理|弄|管|修|试|动(?![静力]))过?",
        )
    )
)
# 我自己重启了 is something tried; 中控屏自己重启了 is the complaint.
TRIED_MYSELF = re.compile(rf"(?:已经|自己|刚){{1,3}}{TRY_VERB}了[{HAN}]{{0,8}}")


def _tried_spans(piece: str) -> list[Span]:
    spans = _spans(TRIED, piece)
    for start, end in _spans(TRIED_MYSELF, piece):
        if not _subject(piece[:start]):
            spans.append((start, end))
    return _merge(spans)


# Attempts and nothing else (试了三四次 / 打了好几次才着 / 试了三次都不行): how the fault shows
# when the customer uses the car, not something done about it.
ATTEMPTS_ONLY = re.compile(
    rf"(?:都|也|已经|又)?(?:试|打|拧|按|点|启动|充|踩)了?(?:好几|几|[{CN_DIGITS}]{{1,3}}|\d{{1,2}})[次回下遍](?:了)?"
    r"(?:才[一-鿿]{0,3}|(?:都|也|还是)?(?:不行|没用|没反应|不着|没着|充不进去?|打不着)了?)?"
)


def tried_phrases(piece: str) -> list[str]:
    phrases = (piece[start:end] for start, end in _tried_spans(piece))
    return [phrase for phrase in phrases if not ATTEMPTS_ONLY.fullmatch(phrase)]


# --- what: the complaint --------------------------------------------------------------------

# States and complaints said of a part or system, whatever it is called (后备箱关不上,
# 倒车影像黑屏了, 油耗突然高了好多): they need a subject before them (每次都响 has none).
COMPLAINT_STATE = re.compile(
    "|".join(
        (
            # lights and messages
            r"亮了|亮着|亮起|常亮|一直亮|闪烁|乱闪|一直闪|在闪|闪个不停|闪屏|报警|报错|报故障|报码|提示",
            r"(?<=灯)[^,，。;；]{0,6}?(?:就|又|老是|总是|经常|会|老|总)亮(?![度光点])",  # 胎压灯隔三差五就亮
            r"报(?:个|了|了个|一个)?[黄红橙]?色?的?(?:灯|标|图标)",  # 一启动就报个黄灯
            # broken, not working, can't
            r"坏了|坏掉|损坏|故障|失灵|失效|异常|不够用?|(?<!能)不能(?!开|走|上路|行驶|跑|不)[\u4e00-\u9fff]",
            r"不(?:太|怎么|够|大|是很)?(?:好使|管用|灵敏|灵|工作|转|动|响|准|显示|充电|回位|回弹|凉|冷|热|制冷|制热|稳|顺|正常|通"
            r"|喷水|吸|亮|出(?:风|水|热风|冷风))",
            r"没(?:有)?(?:反应|声音|声|画面|显示|信号|冷风|暖风|热风|风|电|油|气|劲|力|动力)|无反应|(?:出|吹|是|只有)热风",
            r"没(?:关|锁|盖|合|插)(?:严|紧|好|上)|难(?:启动|打火|着车)|启动困难|不好(?:启动|打火)",
            # 打火有点难 / 启动比较费劲
            r"(?:打火|启动|发动|着车|点火)(?:有点|有些|比较|很|特别|老是|总是|越来越)?(?:难|费劲|困难|吃力)",
            # starts only after tries (点火要打好几下才能着 / 拧了半天才着车)
            r"才(?:能|会|可以)?(?:打?着(?:火|车)?|启动(?:得了)?|发动(?:得了)?|点着)(?![急想])",
            # screens and electronics
            r"(?<=[屏控机表像])[^,，。;；]{0,4}?黑(?:着|了|掉)|(?<=升级|更新)[^,，。;；]{0,4}?失败|"  # 屏幕一直黑着
            r"乱叫|乱响|乱报|瞎叫|瞎响|叫个不停|响个不停|黑屏|花屏|白屏|蓝屏|死机|卡死|卡住|卡在|卡顿|很卡|有点卡|卡卡的|重启|闪退|乱跳|失真|断连|断开|掉线|连不上|搜不到|延迟",
            # readings: too high, too low, changing
            r"(?:变|偏|太|很|挺|好|特别|突然|有点)?(?:高|低|大|小)了|偏高|偏低|过高|过低|太高|太低|很高|很低|变高|变低|升高"
            r"|忽高忽低|忽大忽小|时高时低|时好时坏|时有时无|飙升|暴涨|到红线|红线|爆表|往上(?:走|窜|跑|涨|升)"
            r"|(?:飙|冲|窜|蹿|涨|升|打)到(?:头|顶|最高|最上面)",
            r"(?:水温|油温|温度|转速|油耗|胎压)[就又还也都很太偏]*(?:高|低)|(?:明显|比[\u4e00-\u9fff]{1,4})(?:高|低)"
            r"|(?:很|太|特别|变|越来越)差|起雾|变少|减少|少了|少得|掉得(?:厉害|很快|快|多|狠)|缩水",
            # how it drives
            r"(?:很|特别|有点|变|太|越来越)(?:重|沉)(?!要)|发沉|沉重|发飘|飘|软(?!件|管)|[震抖]",
            r"(?:有点|有些|很|往前|一)冲|闯动|发闯|前窜|窜车|耸车|[顿闯卡窜耸抖]一?下|跳[到档挡]|一会儿?[\u4e00-\u9fff]一会儿?[\u4e00-\u9fff]",
            r"一(?P<beat>[\u4e00-\u9fff])一(?P=beat)",  # 一顿一顿 / 一卡一卡 / 一闪一闪
            # noises
            r"(?:声音|噪音|噪声|胎噪|风噪|动静)(?:很|特别|有点|太|越来越|比较|好|变|非常)?(?:大|响|吵)|(?:很|特别|太|好)吵",
            r"(?<![大小出发吭说])(?:声音|噪音|杂音|噪声|风噪|胎噪|声)(?![明称望誉])|(?<![说讲叫问喊吭])一声",
            r"(?P<sound>[^\W\d哈呵嘿嘻对好是嗯啊不谢的了有一我你他她它])(?P=sound)(?P=sound)",  # 哒哒哒 / 咚咚咚
            r"(?<![影音反])响(?!应)",
            r"[咯咔哐咣嘎咚哒嘣砰叮噔当铛吱啪嗒]{2}(?:的|地)?(?:一下|一声|几下|两下)",  # 挂挡的时候咯噔一下
            # leaks, damage, heat, smoke, smells
            r"[漏渗滴][\u4e00-\u9fff]{0,4}?[油水液气]|漏(?:风|电)?|渗|进水|有水|积[了]?[\u4e00-\u9fff]{0,3}水|湿(?:透)?了|湿透|积水",
            # what the leak left under the car (停一晚上地上有一摊油 / 车底下一滩绿色的水)
            r"一[摊滩片][\u4e00-\u9fff]{0,3}?[油水液]|[油水]渍|油迹",
            r"缺(?:气|油|水|电|液|氟|冷媒)|亏(?:气|电)|跑气|掉气|烧(?:机油|油)|吃(?:机油|油)|耗(?:机油|油)|生锈|锈了|裂了|裂开|裂纹|开裂|碎了|掉了|脱落|松了|松动|(?<![干])瘪(?:了|的)?|扎(?:了|到|进)?(?:个|一个|颗|一颗)?(?:钉子?|螺丝|玻璃)|扎胎|有(?:一?[条道个块处]|些|点)?(?:裂缝|裂口|裂痕|划痕|划印|刮痕|擦痕|凹坑|凹痕|缝)|灌风|透风|透光",
            # charging (新能源): 快充老跳枪 / 充几分钟就断 / 一插就跳闸
            r"跳枪|跳闸|断充|自动断开|(?<=[就老总])断(?:开|了)?|掉电快|掉电",
            # moves by itself or stops half way (尾门关到一半就自己弹开 / 车窗自己降下来)
            r"(?:自己|自动)?弹(?:开|回来?|起来)|(?:关|升|降|开|合|收)到一半|自己(?:升|降|开|关|动)(?:起来|下来|上去|开|了)?",
            r"歪了|变形|鼓包|起泡|掉漆|凹了|凹陷|磨损|偏磨|吃胎|发烫|很烫|烫手|过热|发热|打滑|空转",
            r"[冒喷][\u4e00-\u9fff]?[烟气水泡]|晃|往[左右一边]{1,2}边?[跑拉偏歪拽]",
            r"有(?:股|一股|点|些|很大的?|很重的?)?[\u4e00-\u9fff]{0,6}?(?:味道|气味|味)|发出[\u4e00-\u9fff]{0,6}?(?:声|音|响|味)",
            # 关不上 / 打不开 / 充不进去 / 刹不住 / 门开不了 (not 说不上来, 记不清, 车开不了)
            r"(?:(?<=[门窗箱盖锁调])开|(?![说记想搞分讲认叫顾来去差对怪舍忍靠信保少免比恨离开])[\u4e00-\u9fff])[不勿]"
            r"(?:上去|下去|进去|出来|起来|下来|回来|上|开|了|动|着|进|出|住|严|紧|牢|下|回|掉|灭|亮|响|干净|清楚|清|准|稳|到|去)",
        )
    )
)
NEGATED = re.compile(r"(?:没|没有|无|不|没什么|没啥|别)$")
FILLER = re.compile(
    r"我的|我们的|我|它|这个|那个|这样|那样|这|那|的|了|也|都|就|还是|也是|是|还|又|总是|老是|一直|经常|偶尔|突然|忽然|好像"
    r"|感觉|觉得|有点|有些|有时候|有时|每次|每回|时不时|现在|然后|而且|还有|另外|就是|会|很|特别|非常|比较|太|自己|自动"
    r"|莫名其妙|动不动|一|再|才|刚|开始|总|老|偶|[\s\d]"
)


def _subject(before: str) -> str:
    """What is left of the words before a state once the filler words are taken out."""
    return FILLER.sub("", before)


SUBJECT_WINDOW = 12  # a state's subject is among the words just before it


# Subjects that are the customer, not the car (我年纪大了不太会弄这个, 眼睛不好).
PERSON_SUBJECT = re.compile(r"(?:年纪|岁数|年龄|眼神|眼睛|腿脚|身体|孩子|小孩|娃)[也都还]?$")


def _said_of_something(piece: str, state: re.Match[str], times: list[Span]) -> bool:
    """A state with a subject before it (后备箱 | 关不上), not negated (没有异常) nor asked (开不开),
    nor said of the customer (年纪大了)."""
    start = max(0, state.start() - SUBJECT_WINDOW)
    before = piece[start: state.start()]
    if PERSON_SUBJECT.search(before):
        return False
    if NEGATED.search(before) and not state.group().startswith(("不", "没")):
        return False
    if re.fullmatch(r"(.)不\1", state.group()):
        return False
    before = "".join(ch for i, ch in enumerate(before, start) if not _overlaps((i, i + 1), times))
    return bool(re.search(rf"[{HAN}A-Za-z]", _subject(before)))


def _state_spans(piece: str) -> list[Span]:
    """Complaint states said of something, not of what was tried (重启过还是亮) or of driving (开不了)."""
    other_answers = [*_tried_spans(piece), *_impact_spans(piece)]
    times = _all_time_spans(piece)
    return [
        m.span()
        for m in COMPLAINT_STATE.finditer(piece)
        if not _inside(m.span(), other_answers)
        and (_said_of_something(piece, m, times) or _with_its_object(piece, m))
    ]


# What a verb 不 … cannot get in (充不进电 / 挂不上挡 / 加不进油): the fault with its object after it.
OBJECT_AFTER = re.compile(r"[电油水气挡档]")


def _with_its_object(piece: str, state: re.Match[str]) -> bool:
    return "不" in state.group() and bool(OBJECT_AFTER.match(piece, state.end()))


QUESTION_TAG = re.compile(
    r"(.)不\1|(?:行|好|可以|能|成|对|是)不(?=[吗呢啊么嘛?？,，。!！\s]|$)"
    r"|有没有?(?=问题|毛病|事|坏)"  # 刹车啥的有没问题: asked, not said to be so
    r"|能[\u4e00-\u9fff]不(?=[吗呢啊么嘛?？,，。!！\s]|$)"  # 刹车片还能用不
)

# After a part, words that say how it is (空调风有点小, 发动机声音变得很粗, 空调不行了).
PART_STATE = re.compile(r"有点|有些|很|太|特别|非常|挺|越来越|变得|得厉害|严重|增多|变多|升高|变少|减少|不|没|出(?:了)?(?:点|些)?(?:问题|毛病|故障)")


@lru_cache
def _listed_symptoms() -> re.Pattern[str]:
    vocab = vocabulary()
    return re.compile("|".join((_alternation(vocab.symptoms), *sorted(vocab.danger, key=len, reverse=True))))


@lru_cache
def _listed_parts() -> re.Pattern[str]:
    return re.compile(_alternation(vocabulary().parts))


def _part_state_spans(piece: str) -> list[Span]:
    """A listed part and words after it that say how it is (not when, how often, ... nor 要不要)."""
    part = _listed_parts().search(piece)
    if not part:
        return []
    answers = [*_all_time_spans(piece), *_frequency_spans(piece), *_impact_spans(piece), *_tried_spans(piece)]
    # 要不要 / 好不好 / 换个机油行不: a question, not how the part is.
    rest = QUESTION_TAG.sub(lambda m: " " * len(m.group()), piece)
    for m in PART_STATE.finditer(rest, part.end()):
        if not _overlaps(m.span(), answers):
            return [(part.start(), m.end())]
    return []


def _complaint_spans(piece: str) -> list[Span]:
    return _merge([*_spans(_listed_symptoms(), piece), *_state_spans(piece), *_part_state_spans(piece)])


def _answers_another_question(piece: str) -> bool:
    return bool(_time_spans(piece) or _frequency_spans(piece) or _impact_spans(piece) or _tried_spans(piece))


GLUED_PIECE = 4  # 探岳 变速箱顿挫 → 探岳变速箱顿挫; longer pieces keep a comma between them


# A piece that tells nothing of the fault: the car (我的车 / 俺这车), a particle left when the
# request was taken out (要保养了 → 了), or an exclamation (搞么斯哦 / 咋回事).
FILLER_PIECE = re.compile(
    r"^(?:(?:我|俺|阿拉|我们|咱|咱们)(?:的|这|那|家|额|屋里)?)?(?:车子?|爱车)?[了啊呀哦吧嘛的]*$"
    r"|^(?:这是|这)?(?:搞么斯|搞么子|搞啥子?|搞什么|咋回事|怎么回事|啥情况|什么情况|咋整|咋办|怎么办)[了啊呀哦吧嘛呢]*$"
)


# A question whether the work is covered (能走质保吗 / 这个算保修不): no words of the fault.
WARRANTY_QUESTION_PIECE = re.compile(
    r"^(?:这个|这|那)?(?:能|可以|可不可以|能不能|是不是|算不算|还)?(?:走|用|算|在)?(?:保修|质保|三包|保险|索赔)"
    r"(?:期内|范围内?)?(?:吗|不|么|嘛|没|吧)?[吗呢啊吧?？]*$"
)


LEAD_IN_PIECE = re.compile(r"^(?:还有就是|再就是|另外就是|另外|对了)[,，]?")


def _complaint_in(pieces: list[str]) -> str:
    """A clause's complaint: its pieces without those that only say when, how often, ..."""
    if not any(_complaint_spans(piece) for piece in pieces):
        return ""
    kept = [p for p in pieces if _complaint_spans(p)
            or not (_answers_another_question(p) or FILLER_PIECE.match(p) or WARRANTY_QUESTION_PIECE.match(p))]
    kept = [LEAD_IN_PIECE.sub("", p) or p for p in kept]
    words = kept[0]
    for before, piece in zip(kept, kept[1:]):
        glued = len(before) <= GLUED_PIECE and not _complaint_spans(before)
        words += ("" if glued else ",") + piece
    return words


# The customer's guess or ignorance of the cause (不知道哪里漏水, 也不清楚是不是变速箱):
# not what they observed, which another clause tells (副驾驶脚垫老是湿的).
UNSURE = re.compile(
    r"^(?:我|也|还|就是|但是?|可是|又|都)*(?:不知道|不清楚|搞不清楚?|弄不清楚?|说不清楚?|不晓得|不确定|不懂)"
    r"(?:是|到底|具体)*(?:哪|什么|怎么|咋|啥|为啥|为什么|是不是|有没有|啥原因|原因)"
)


# A guess at the source (应该是我车漏的 / 估计是水管的问题) beside what was seen (地上一滩油).
GUESS = re.compile(r"^(?:我|也|就|但是?|可是)*(?:觉得|感觉|猜|看)?(?:(?:应该|估计|可能|怕|多半|八成|大概|恐怕)是|是不是)")


def _observed(pieces: list[str]) -> list[str]:
    """The pieces that tell what was observed, when the customer's words also hold a guess
    at the cause; every piece otherwise."""
    sure = [piece for piece in pieces if not UNSURE.match(piece) and not GUESS.match(piece)]
    told = [piece for piece in sure if len(_subject(_without_other_answers(piece))) >= 2]
    return told if told and len(sure) < len(pieces) else pieces


def _without_other_answers(piece: str) -> str:
    """The piece without what answers when, how often, the effect or what was tried."""
    spans = [*_all_time_spans(piece), *_frequency_spans(piece), *_impact_spans(piece), *_tried_spans(piece)]
    return _without_spans(piece, spans)


def complaint_words(text: str) -> str:
    """The complaint in the customer's words, without greetings and the booking request;
    what was observed rather than a guess at the cause (see UNSURE)."""
    units = _units(text)
    flat = [piece for unit in units for piece in unit]
    observed = _observed(flat)
    if observed is not flat:
        units = [[piece] for piece in observed]
    found = _unique(_complaint_in(pieces) for pieces in units)
    if any(found) or observed is flat:
        return ",".join(found)
    # What was observed, in words no complaint pattern knows (地上有一滩油); not that the car
    # is under warranty (车还在质保期), which says what the booking is, not what is wrong.
    return ",".join(_unique(EDGE_WORDS.sub("", piece) for pieces in units for piece in pieces
                            if not WARRANTY_STATE_PIECE.search(piece)))


WARRANTY_STATE_PIECE = re.compile(
    r"^(?:车|车子|新车|我的车|这车)?(?:还|也)?(?:在|是)?(?:保修|质保|三包|延保)(?:期)?(?:内|里|之内|范围内)?(?:呢|的|吧|啊)?$"
    r"|^(?:车|车子)?(?:还|也)?在(?:保修|质保|三包|延保)"
)


# --- where: the situation or the place ------------------------------------------------------

SPEED = rf"(?:\d{{2,3}}|[{CN_DIGITS}百]{{2,5}})(?:公里|码|迈|km/?h|KM/?H)?(?:每小时)?(?:以上|左右|往上|多)?"
ROAD = r"(?:过?坑洼(?:路)?|颠簸(?:路段?)?|烂路|碎石路|土路|搓板路|山路)(?:面)?上?"
# On the road: the road itself, its slope, the traffic, the speed (also where, see names_a_place).
ON_THE_ROAD = (
    rf"(?:一?上了?|跑|走|开上了?)?高速(?:公路)?上?(?:(?:跑|开)?(?:到|超过)?{SPEED})?",
    rf"(?:车速|时速|速度)(?:在|到|超过|达到|上了?|一过|过)?{SPEED}",
    rf"(?:\d{{2,3}}|[{CN_DIGITS}百]{{2,5}})(?:码|迈|公里每小时|km/?h|KM/?H)(?:以上|左右|往上)?",
    rf"{ROAD}|过(?:减速带|坎|坑|桥|铁轨|沟)|减速带",
    r"上坡|下坡|爬坡|坡道|堵车|等红灯",
)
CONDITION = re.compile(
    "|".join(
        (
            r"冷车(?:启动|起步|发动|着车|打火)?|热车(?:以后|之后|后)?|冷启动|怠速|低速|中速",
            *ON_THE_ROAD,
            r"下雨天|雨天|(?<![要快])下雨|雨后|下雪天?|雪天|大风天|雾天",
            r"停车(?:以后|之后|后)|开着空调|空调开着|开空调|开暖风",
            # 速度越快越响 / 开得越快抖得越厉害: how it changes with speed or load
            rf"(?:速度|车速|转速|油门踩得?|油门|跑得?|开得?)越[快高大深猛重][^{PUNCTUATION}\s]{{0,3}}?越[{HAN}]{{1,3}}",
        )
    )
)
# 左前轮那里 / 副驾那边 (not 往右边跑: a direction)
POSITION = re.compile(
    r"(?<![往向朝])(?:左前|右前|左后|右后|左侧|右侧|左边|右边|前排|后排|主驾驶?|副驾驶?|驾驶位|驾驶座|后座)"
    r"(?:轮胎|轮毂|轮|车门|门|车窗|窗户|窗|座椅|座位|大灯|尾灯|翼子板|叶子板|悬挂|减震|底盘|刹车|玻璃|后视镜|边|侧)?"
    r"(?:那里|那边|那块|那儿|这里|这边|附近|位置)?"
)
# Markers after a situation or a place: 刹车的时候 / 过减速带时 / 热车以后 / 发动机下面那块.
SITUATION_MARK = re.compile(
    r"的时候|的话|那会儿|(?<![小有不平同及当按准临暂随那这定几何多到届实时工么好坏无高低大])时(?![候不间刻速好坏有无])"
    r"|以后|之后"
)
PLACE_MARK = re.compile(r"那里|那边|那一块|那块|那儿|这里|这边|这块|附近")
EVERY_TIME = re.compile(rf"每[次回]([^都就也会总的时{PUNCTUATION}\s]{{1,6}}?)(?=都|就|也|会|总)")
ONCE_THEN = re.compile(
    rf"一(?![直般点下会次天周个些样起共定向旦半])([^一就{PUNCTUATION}\s]{{1,6}}?)(?:车子|(?<![刹倒停开起下上])车)?就"
)
# The car, connectives and adverbs before a situation (我的车 | 刹车的时候), not part of it.
CAR_SUBJECT = r"(?:(?:我们?家?的?|这|那)(?:个|台|辆)?(?:车子|爱车|车)|车子|爱车|车(?=在|一|每|只要|只有))(?![速身内里头尾门窗灯机顶漆]|底(?!盘))"
LEAD_WORDS = (
    "就是", "然后", "而且", "还有", "另外", "一般是", "一般", "基本上", "基本", "主要是", "尤其是", "尤其", "特别是", "只要",
    "只有", "只是", "都是", "都", "也", "就", "在", "当", "从", "每次", "每回", "经常", "偶尔", "有时候", "有时", "总是",
    "老是", "一直", "这样", "那样", "好像是", "好像", "应该是", "估计是", "感觉是", "感觉", "我的", "我",
)
MAX_SITUATION = 10
MAX_PLACE = 8


@lru_cache
def _lead_words() -> re.Pattern[str]:
    words = _alternation(LEAD_WORDS + vocabulary().car_models)
    return re.compile(rf"(?:{CAR_SUBJECT}|{words})+")


def _situation_start(piece: str, mark: int, bounds: list[Span], longest: int) -> int:
    """Where the words before a marker start: after the complaint, time or frequency words."""
    start = max([0, mark - longest, *(end for _, end in bounds if end <= mark)])
    lead = _lead_words().match(piece, start)
    return lead.end() if lead else start


def _marked(piece: str, marks: re.Pattern[str], longest: int, bounds: list[Span], times: list[Span]) -> list[Span]:
    """Spans of the words before each marker and the marker (刹车 + 的时候), unless they tell a time."""
    found: list[Span] = []
    for m in marks.finditer(piece):
        start = _situation_start(piece, m.start(), bounds + found, longest)
        said = piece[start:m.start()]
        if said and _subject(said) and not _overlaps((start, m.end()), times):
            found.append((start, m.end()))
    return found


def _place_start(piece: str, span: Span) -> Span:
    """水从A柱那里 → A柱那里: a place starts after 从/在/到."""
    start, end = span
    cut = max(piece.rfind(word, start, end) for word in "从在到")
    return (cut + 1, end) if cut >= start else span


def _group_spans(pattern: re.Pattern[str], piece: str, prefix: int = 0) -> list[Span]:
    return [(m.start(1) - prefix, m.end(1)) for m in pattern.finditer(piece)]


def _place_spans(piece: str) -> list[Span]:
    """Places on the car told before a moment (左前轮那里 | 过减速带的时候): the moment starts after them."""
    return [*_spans(POSITION, piece), *_spans(PLACE_MARK, piece)]


def _without_its_subject(piece: str, span: Span) -> Span:
    """一上高速方向盘就抖: the road (上高速) is the situation; the part before 就 is what shakes."""
    start, end = span
    part = max((p for p in vocabulary().parts if piece.endswith(p, start, end)), key=len, default="")
    if part and CONDITION.search(piece, start, end - len(part)):
        return (start, end - len(part))
    return span


def _where_spans(piece: str) -> list[Span]:
    times = _all_time_spans(piece)
    bounds = [*_complaint_spans(piece), *times, *_frequency_spans(piece)]
    situations = _marked(piece, SITUATION_MARK, MAX_SITUATION, bounds + _place_spans(piece), times)
    # 冷车启动发动机那里: the place starts after the condition told before it.
    conditions = _spans(CONDITION, piece)
    places = [_place_start(piece, span)
              for span in _marked(piece, PLACE_MARK, MAX_PLACE, bounds + situations + conditions, times)]
    spans = [
        *situations,
        *places,
        # 前几天下雨以后开始的: the rain tells when it began there, not where it happens
        *(span for span in _spans(CONDITION, piece) if not _inside(span, _time_spans(piece))),
        *_spans(POSITION, piece),
        *_group_spans(EVERY_TIME, piece),
        *(_without_its_subject(piece, span) for span in _group_spans(ONCE_THEN, piece, prefix=1)),
    ]
    return _merge(spans, gap=-1)  # 停车以后 | 车头那边: two answers, not one


# Where on the car or on the road (the 问诊单's 何处: 部位, 路况), as opposed to a moment
# (刹车的时候, 充电的时候), the weather or the engine's state, which leave the question open.
ROAD_OR_TRAFFIC = re.compile(
    "|".join((*ON_THE_ROAD, r"高架|快速路|市区|城区|小区|车库|停车场|隧道|桥上|国道|省道|路口|红绿灯"))
)


def names_a_place(words: str) -> bool:
    """The where-words say where on the car or on which road, not only when (刹车的时候)."""
    return bool(POSITION.search(words) or PLACE_MARK.search(words) or ROAD_OR_TRAFFIC.search(words))


# "If …" about the booking, not the car (修车的话 / 一刻没有的话 / 明天不行的话): no situation.
BOOKING_CONDITION = re.compile(r"(?:修车|修的|预约|约|有空|没空|不行|没有|可以|方便|来不了|过来|时间)的话")


def where_phrases(piece: str) -> list[str]:
    """The situation (刹车的时候, 冷车启动, 高速上120以上) or the place (左前轮那里); a part alone is neither."""
    phrases = (_car_models().sub("", piece[start:end]).strip() for start, end in _where_spans(piece))
    return [p for p in phrases if len(p) >= 2 and not BOOKING_CONDITION.search(p)]


# --- the six questions ----------------------------------------------------------------------

PHRASE_READERS = {
    "when": when_phrases,
    "where": where_phrases,
    "frequency": frequency_phrases,
    "driving_impact": impact_phrases,
    "tried": tried_phrases,
}


def _phrases(units: list[list[str]], reader) -> str:
    return ",".join(_unique(phrase for pieces in units for piece in pieces for phrase in reader(piece)))


# Names of what the customer asks for (钣金车门凹了 / 能保修不): the request, not the symptom.
SERVICE_NAMES = re.compile(
    r"(?:能不能|可不可以|能否|能|可以)?(?:走|用|算|申请|办|给)?"
    r"(?:(?:保修|质保|三包)期(?:内|里|之内)?的?|保修|质保|索赔|三包|钣金|喷漆|钣喷)(?![过了])(?:吗|么|嘛|不|没)?"
)


def _without_spans(piece: str, spans: list[Span]) -> str:
    return "".join(ch for i, ch in enumerate(piece) if not any(start <= i < end for start, end in spans))


TRAILING_FILLER = re.compile(r"(?:那块|那边|那里|这块)+$")
# 我车底下漏油: 车底下 is where, not the owner's car (车 kept before a place on the car).
OWNER = re.compile(r"^(?:我的|我(?:那|这)?(?:个|台|辆|部)?|我家|我)(?:车子|爱车|车(?!底(?!盘)|[头尾内里顶门身窗灯轮前后上下]))?(?=..)")
BARE_YES = re.compile(r"(?:对|是|嗯|好|没错|对头|系|係)+(?:的|啊|呀|哦|嘞|呢|哈)*")
OWNER_ONLY = re.compile(r"(?:我的|我(?:那|这)?(?:个|台|辆|部)?|我家|我们?家?的?|这|那)?(?:个|台|辆|部)?(?:车子|爱车|车)")
LEAD_CONNECTOR = re.compile(
    r"^(?:还有就是|还有|另外|而且|然后|再就是|(?:另)?一个是|[一二三四]是|第[一二三四1-4]个?(?:是|就是)?|[1-4][.、)）])"
)


# The check asked for before the fault (查个漏油 / 看下异响): the request, not the fault's words.
CHECK_LEAD = re.compile(r"^(?:帮我|给我)?(?:查|看|检查|检测|修|弄)(?:个|一下|下)(?=..)")
# How the customer came to see it (下来看了一下左后胎有点瘪 / 一看发现…): not the fault's words.
LOOKED_LEAD = re.compile(
    r"^(?:下车|下来|停车|回家|早上|后来)?(?:一看|看了一?下|看了看|瞅了一?眼|瞄了一?眼)(?:才)?(?:发现)?(?=..)|^(?:才|后来)?发现(?=..)"
)
# The customer's hedge inside the fault (发动机底下好像漏油): the fault is noted as seen; the
# technician finds whether it is so.
UNSURE_WORD = re.compile(rf"(?<=[{HAN}]{{2}})(?:好像|好象|貌似|似乎)(?:是)?(?=[{HAN}]{{2}})")


def _phenomenon_in(piece: str) -> str:
    """A piece's symptom: without the words that say when or how often it happens or what
    was tried (they answer their own questions), the car's name and the service asked for.
    The moment and the place stay (怠速的时候方向盘抖 / 过减速带的时候右前轮那里咯噔响): they are
    how the customer tells the fault, and the where question, always asked, may be answered
    with other words (等红灯停着的时候), which had left 怠速 nowhere in the draft."""
    rest = _car_models().sub("", SERVICE_NAMES.sub("", piece)).lstrip("的 ")  # 大狗的中控屏老死机
    complaint = _complaint_spans(rest)
    if not complaint:
        return ""
    # How often said inside the phrase (中控屏动不动就黑屏) stays with it: taken out, the words
    # no longer read.
    often = [span for span in _frequency_spans(rest) if not _inside_the_phrase(span, rest, complaint)]
    timing = [*_all_time_spans(rest), *often, *_tried_spans(rest)]
    keep = [span for span in _merge(timing) if not _overlaps(span, complaint)]
    words = TRAILING_FILLER.sub("", _without_trailing_de(EDGE_WORDS.sub("", _without_spans(rest, keep)).strip(" 就也都")))
    kept = UNSURE_WORD.sub("", CHECK_LEAD.sub("", LOOKED_LEAD.sub("", OWNER.sub("", LEAD_CONNECTOR.sub("", words)))))
    return kept if len(kept) >= 2 and _complaint_spans(kept) else rest


def _without_trailing_de(words: str) -> str:
    """A trailing 的 taken off (有点异响的 → 有点异响), not after a doubled word, where it is
    part of the description (刹车踩下去软绵绵的)."""
    words = words.strip(" 就也都")
    while words.endswith("的") and not re.search(r"(.)\1的$|(..)\2的$", words):  # 软绵绵的 / 一闪一闪的
        words = words[:-1].strip(" 就也都")
    return words


def _inside_the_phrase(span: Span, piece: str, complaint: list[Span]) -> bool:
    """The span sits between what the phrase is about (中控屏) and the symptom (黑屏)."""
    start, end = span
    before = _subject(NOTE_LEAD.sub("", piece[:start]))
    return len(before) >= 2 and any(begin >= end for begin, _ in complaint)


@lru_cache
def _car_models() -> re.Pattern[str]:
    return re.compile(_alternation(_lines("car_models.txt")) or r"(?!)")


# The fault's own words, without the frame they were said in: the car as subject (车子 /
# 阿拉车子 / 我架车), a lead word (主要是) or the dashboard a light is on (仪表盘上有个…灯).
NOTE_LEAD = re.compile(
    r"^(?:(?:(?:阿拉|俺们?|侬|咱们?|我嘅|我哋|我地|屋里|屋头|我屋里)(?:的|嘅|额|家)?(?:个|台|辆|架|部)?(?:车子|车)?"
    r"|我?架车|(?:嘞|这个|那个|这|那)(?:个|台|辆)?(?:车子|车)|新车)(?![速身内里头尾门窗灯机顶漆]|底(?!盘))|那个[…。.]+|嗯[…。.]+"
    rf"|{CAR_SUBJECT}|主要是|就是|问题是|仪表盘?(?:上面?|里)?(?:有个|有一个)?(?=[^,亮]{{2,8}}灯)|仪表盘?(?:上面?|里)?(?:有个|有一个)(?=[^,]{{1,10}}灯))+"
)


def advisor_note(words: str) -> str:
    """The fault as an advisor writes it down (车子怠速的时候抖得厉害 → 怠速的时候抖得厉害)."""
    note = ",".join(NOTE_LEAD.sub("", phrase) for phrase in words.split(","))
    return note if all(len(_subject(phrase)) >= 2 for phrase in note.split(",")) else words


def _only_car_age(piece: str) -> bool:
    """新车才半年 / 新买不到一年的汉兰达: the piece says the car's age and nothing wrong."""
    age = CAR_AGE.match(piece)
    rest = piece[age.end():] if age else None
    return rest is not None and (not rest or (rest.startswith("的") and not _complaint_spans(rest)))


def _without_car_age(piece: str) -> str:
    """新车才半年天窗就漏水 → 天窗就漏水: the car's age said first is no part of the fault."""
    age = CAR_AGE.match(piece)
    rest = piece[age.end():].lstrip("，,就") if age else piece
    return rest if len(rest) >= 2 else piece


MAX_PART_PIECE = 10


def _names_only_a_part(piece: str) -> bool:
    """刹车 / 就是发动机那块 / 司机那边的车窗: a part or a place on the car, nothing said of it."""
    return (len(piece) <= MAX_PART_PIECE and not _complaint_spans(piece) and not _answers_another_question(piece)
            and bool(_listed_parts().search(piece) or names_a_place_on_the_car(piece)))


PART_PIECE_LEAD = re.compile(r"^(?:就是|也就是|现在|是)")


def _part_glued(pieces: list[str]) -> list[str]:
    """A piece naming only a part, then the symptom without a part of its own (刹车 吱吱响 /
    司机那边的车窗 升上去又自己降下来 / 空调 不凉了): one piece, as the part is what the
    symptom is of."""
    glued: list[str] = []
    for piece in pieces:
        if (glued and _names_only_a_part(glued[-1]) and not _listed_parts().search(piece)
                and _complaint_spans(glued[-1] + piece)):
            glued[-1] = PART_PIECE_LEAD.sub("", glued[-1]) + piece
        else:
            glued.append(piece)
    return glued


def phenomenon(text: str) -> str:
    """What is wrong (the 问诊单's 现象或症状), in the customer's words: the pieces that
    describe the symptom, each without its time or frequency (and its situation when the
    symptom names its part); the car, plates, names and the service asked for (能保修不) are
    left out, and so is a piece that mainly says how often (每次过都响) when another holds
    the symptom. Falls back to the complaint."""
    all_pieces = [_without_car_age(piece) for unit in _units(text) for piece in _part_glued(unit)
                  if not _only_car_age(piece)]
    pieces = _observed(all_pieces)
    found = [(piece, words) for piece in pieces if (words := _phenomenon_in(piece))]
    main = [words for piece, words in found
            if (not _answers_another_question(piece) or _names_the_fault(words)) and not _only_condition(piece)]
    main = _with_its_details(main, found, pieces)
    if pieces is not all_pieces and not found:
        main = [OWNER.sub("", EDGE_WORDS.sub("", piece)) for piece in pieces]  # 停车位地上有一滩油
    main = _main_symptoms(_unique(main or [words for _, words in found]))
    if main:
        # 发动机有异响 | 哒哒哒的; 亮了个黄灯 | 像个茶壶一样的: how it sounds or looks
        main += [piece for piece in pieces if SOUND_ONLY.fullmatch(piece) or LIKENESS.fullmatch(piece)
                 or COLOUR_ONLY.fullmatch(piece)]  # 车底下滴水 | 绿色的
    if main and any("no_start" in _kinds(words) for words in main):
        main += [EDGE_WORDS.sub("", piece) for piece in pieces if ATTEMPTS.fullmatch(piece)]  # 打不着 | 要打好几次
    return advisor_note(",".join(_unique(main)) or complaint_words(text))


MAX_DETAIL_PIECE = 10
QUESTION_END = re.compile(r"(?:吗|么|嘛|呢|不|没)?[?？]?$")


def _tells_more_of_the_fault(piece: str) -> bool:
    """往右跑 / 充到一半就跳了 after 有点跑偏 / 充电充不进去: how the fault shows, in words no
    complaint pattern knows, and nothing else (not when, how often, where, the car, a
    question or filler)."""
    return (2 <= len(_subject(piece)) and len(piece) <= MAX_DETAIL_PIECE and not _complaint_spans(piece)
            and not _answers_another_question(piece) and not _where_spans(piece) and not _spans(CONDITION, piece)
            and not FILLER_PIECE.match(piece) and not WARRANTY_QUESTION_PIECE.match(piece)
            and not _car_models().search(piece) and not CAR_AGE.search(piece) and not ANNOUNCED.search(piece)
            and not SOUND_ONLY.fullmatch(piece) and not LIKENESS.fullmatch(piece) and not COLOUR_ONLY.fullmatch(piece)
            and not STILL.search(piece) and not WET_RESULT.search(piece) and not NOT_A_DETAIL.search(piece))


# A question, a request, a denial (没有关严 may answer anything), the customer's name, the
# cause (被人开门磕的), the car's age or the warranty: not how the fault shows.
NOT_A_DETAIL = re.compile(
    rf"^(?:没|不|别)|[吗么嘛呢?？]$|想|要|约|帮|麻烦|请|谢|姓|被|保修|质保|三包|索赔|保险|过保|保养|钱|价"
    rf"|{NUM}个?多?(?:天|周|星期|礼拜|月|年)"
)


def _with_its_details(main: list[str], found: list[tuple[str, str]], pieces: list[str]) -> list[str]:
    """Each fault phrase followed by the detail piece told right after it (see
    _tells_more_of_the_fault)."""
    said = dict(found)
    details: dict[str, list[str]] = {}
    last = None  # the fault phrase of the piece before
    for piece in pieces:
        words = said.get(piece)
        if words in main:
            last = words
        elif last is not None and _tells_more_of_the_fault(piece):
            details.setdefault(last, []).append(EDGE_WORDS.sub("", piece))
        else:
            last = None
    return [",".join([words, *details.get(words, [])]) for words in main]


# Attempts before the engine starts (要打好几次 / 得拧三四下才着): part of a hard start.
ATTEMPTS = re.compile(
    rf"(?:每次|早上|冷车)?(?:都)?(?:要|得|需要)?(?:打|拧|启动|点火|按)了?(?:好几|几|[{CN_DIGITS}]{{1,3}}|\d{{1,2}})[次回下遍]"
    rf"(?:才[{HAN}]{{0,4}})?(?:了)?"
)
# The colour of what leaks or lights (绿色的 / 红色的油): how it shows, kept with it.
COLOUR_ONLY = re.compile(r"(?:是|有点|像是)?(?:[红黄绿蓝白黑紫粉棕褐灰橙]|粉红|淡黄|深绿)色?的?(?:水|油|液体?|灯)?")
# What a light or a sound is like (像个茶壶一样的 / 跟放鞭炮似的): how it shows, kept with it.
LIKENESS = re.compile(rf"(?:就是|好像)?(?:像|跟|和)(?:个|一个)?[{HAN}A-Za-z]{{1,8}}?(?:一样|似的|那样|一般)的?")
# The sound itself told after the noise (哒哒哒的 / 咯噔咯噔的): how it sounds, kept with it.
SOUND_ONLY = re.compile(r"(?![哈呵嘿嘻嗯啊哦呀好对是谢])(?:(?P<one>[^\W\d])(?P=one){1,3}|(?P<two>[^\W\d]{2})(?P=two){1,2})(?:的|地|声|响|的声音|响的)?")


def _names_the_fault(words: str) -> bool:
    """Words that still name a listed symptom once when / how often are cut (今早 | 车打不着火了):
    the fault itself, not a piece that mainly says how often (每次过都响)."""
    return bool(_listed_symptoms().search(words)) and len(_subject(words)) >= 3


# A symptom told for the moment that sets it off (一拧钥匙就咔咔响): beside a fault told on its
# own (车打不着火了) it says how that shows, not another symptom (下雨的时候漏水 is one).
CONDITIONAL = re.compile(rf"一[{HAN}]{{1,6}}?就")
# The picture on a warning light (打滑那种图标 / 像个茶壶的标): which light it is, told before.
ICON = re.compile(r"(?:图标|标志|标识|符号|图案|标)(?:的|那种|那个)?$")
# What a leak did (脚垫都湿了 / 地上全是水): a detail of the leak before it.
WET_RESULT = re.compile(r"[都全](?:湿|是水|积水|泡)")
# Still so after trying (开了半天还是热风): a detail of the symptom before it.
STILL = re.compile(r"还是|依然|仍然|照样|照旧|始终")


def _main_symptoms(phrases: list[str]) -> list[str]:
    """The phrases that tell the fault: not one told only for its moment beside a fault told on
    its own, nor a 'still so' detail without a part of its own, nor the same part told twice
    (座椅加热坏了 … 主驾座椅加热不热了: the later, the customer's closer words)."""
    if len(phrases) < 2:
        return phrases
    plain = [p for p in phrases if not CONDITIONAL.search(p)]
    if len(plain) < len(phrases) and any(_listed_symptoms().search(p) for p in plain):
        phrases = plain  # 车打不着火了 | 一拧钥匙就咔咔响 (but 车窗关不严 | 下雨的时候漏水: two)
    kept: list[str] = []
    for phrase in phrases:
        parts = _parts_in(phrase)
        if kept and not parts and STILL.search(phrase) and _parts_in(kept[-1]):
            continue
        if kept and WET_RESULT.search(phrase) and "leak" in _kinds(kept[-1]):
            continue  # 天窗滴水 | 顶棚都湿了一块: what the leak did
        if kept and ICON.search(phrase) and "warning_light" in _kinds(kept[-1]):
            continue  # ESP灯亮了 | 黄色的一个车子打滑那种图标: the light named, its picture told
        kinds = _kinds(phrase)
        if kept and not parts and kinds and not _parts_in(kept[-1]) and kinds <= _kinds(kept[-1]):
            continue  # 打火打不着 | 早上好几次才着: the same fault told again in other words
        same = [k for k in kept if parts and _parts_in(k) == parts
                and (not _kinds(k) or not _kinds(phrase) or _kinds(k) & _kinds(phrase))]
        kept = [k for k in kept if k not in same] + [phrase]
    return kept


def told_symptom(text: str) -> str:
    """The answer to 具体出现了什么问题 in the customer's own words, without what is said
    around the symptom: greetings and address terms (师傅), the booking request, reactions
    and questions (啥情况 / 能保修不), words pointing back (就是刚才讲的), the owner's
    filler (我那个车子), a guess at the cause beside what was seen, and a bare 是的."""
    pieces = _observed([piece for unit in _units(text) for piece in unit])
    pieces = [piece for piece in pieces if not OWNER_ONLY.fullmatch(piece) and not BARE_YES.fullmatch(piece)
              and not (ANNOUNCED.search(piece) and not _complaint_spans(piece))]  # 我的车 / 有两个毛病
    words = [OWNER.sub("", LEAD_CONNECTOR.sub("", EDGE_WORDS.sub("", piece))).strip() for piece in pieces]
    return ",".join(_unique(w for w in words if _subject(w)))


def phenomenon_of(told: str, answer: str) -> str:
    """The phenomenon (Chery step 6, 现象) once asked of the complaint told (step 5, 客户陈述,
    kept beside it): the customer's answer in their own words (一踩刹车前轮那里就吱吱响); the
    complaint with what the answer adds when it only tells how it sounds or looks (刹车有异响,
    吱吱的); the complaint told when it adds nothing (就是刚才说的)."""
    words = told_symptom(answer)
    if not words:
        return told
    if (SOUND_ONLY.fullmatch(words) or LIKENESS.fullmatch(words) or COLOUR_ONLY.fullmatch(words)
            or len(_subject(words)) < 3):
        return f"{told},{words}"
    return words


def _only_condition(piece: str) -> bool:
    """The piece's symptom words lie within a condition (速度越快越响): how the symptom told
    in another piece varies, not a symptom of its own."""
    conditions = _spans(CONDITION, piece)
    complaint = _complaint_spans(piece)
    return bool(conditions and complaint) and all(_inside(span, conditions) for span in complaint)


def restatement(what: object, where: object) -> str:
    """The complaint as restated to the customer: the symptom with the moment it happens
    (刹车的时候 + 前面有摩擦声), which the stored symptom leaves to 何时何处."""
    what_words, where_words = str(what or ""), str(where or "")
    moment = next((piece for piece in clauses(where_words) if SITUATION_MARK.search(piece)), "")
    mark = SITUATION_MARK.search(moment)
    if mark and not SITUATION_MARK.search(moment[mark.end():]):
        moment = moment[:mark.end()]  # 爬坡的时候最明显: the moment is 爬坡的时候
    if not what_words or not moment or len(moment) > MAX_SITUATION + 2 or moment in what_words:
        return what_words
    if SITUATION_MARK.search(what_words):
        return what_words  # 起步的时候一顿一顿 has its moment already: one is enough
    if _parts_in(moment) & _parts_in(what_words):
        return what_words  # 开空调的时候 + 空调也不太凉: the moment adds nothing
    return f"{moment}{what_words}"


def answers_in(text: str) -> dict[str, str]:
    """Which of the six questions this text already answers, each with the words that answer it."""
    units = _units(text)
    found = {question: _phrases(units, reader) for question, reader in PHRASE_READERS.items()}
    if REPAIR_DEMAND.search(text) and "第" in found["frequency"]:
        found["frequency"] = ""  # 这都第二次了,能不能给我弄好: the ordinal counts the repairs
    found["where"] = _without_repeated_situations(found["where"], found["frequency"])
    found["what"] = phenomenon(text)
    return {question: found[question] for question in QUESTIONS if found[question]}


def _without_repeated_situations(where: str, frequency: str) -> str:
    """左前轮那里,过减速带的时候 + 每次过坎都响: the 过坎 of how often says the moment again."""
    phrases = [p for p in where.split(",") if p]
    kept = [p for p in phrases if p not in frequency]
    return ",".join(kept) if kept and len(kept) < len(phrases) else where


# 副驾 / 左后 alone (副驾脚垫湿了): the side, not yet where on the car.
BARE_SIDE = re.compile(r"(?:左前|右前|左后|右后|左侧|右侧|左边|右边|前排|后排|主驾驶?|副驾驶?|驾驶位|驾驶座|后座)")


def names_a_place_on_the_car(words: str) -> bool:
    """左前轮那里 / 副驾那边: where on the car, not a road (烂路) or a moment."""
    return bool(POSITION.search(words) or PLACE_MARK.search(words))


def with_the_part(where: str, what: str, text: str) -> str:
    """A road condition (过减速带) with the part the complaint names (底盘咯噔响): 何处 asks
    for both, and the road alone leaves out where on the car."""
    if not where or POSITION.search(where) or _parts_in(where) or not ROAD_OR_TRAFFIC.search(where):
        return where
    parts = sorted(_parts_in(what), key=lambda p: (text.find(p), p))
    if len(parts) != 1:
        return where
    words = [where, parts[0]]
    return ",".join(sorted(words, key=lambda w: text.find(w) if w in text else len(text)))


# --- danger, tags, completeness -------------------------------------------------------------


@lru_cache
def _danger_signs() -> re.Pattern[str]:
    """danger.txt's lines are patterns (冒[白黑蓝]?烟): a sign told with a word between."""
    return re.compile("|".join(sorted(vocabulary().danger, key=len, reverse=True)))


def is_dangerous(text: str) -> bool:
    vocab = vocabulary()
    for harmless in vocab.not_danger:
        text = text.replace(harmless, "")
    return bool(_danger_signs().search(text))


def tags(text: str) -> dict[str, list[str]]:
    """Part and symptom types named in the text, for advisors to filter and count."""
    vocab = vocabulary()
    return {
        "parts": sorted({p for p in vocab.parts if p in text}),
        "symptoms": sorted({s for s in vocab.symptoms if s in text} | {m.group() for m in _danger_signs().finditer(text)}),
    }


def completeness(symptoms: dict[str, object] | None) -> int:
    """How many of the six questions have a real answer (不清楚 does not count)."""
    if not symptoms:
        return 0
    script = load_script()
    return sum(
        1
        for q in QUESTIONS
        if symptoms.get(q) not in (None, "", NOT_GIVEN) and not script.means_no_answer(str(symptoms[q]))
    )


# --- the restated complaint and further complaints ------------------------------------------


@dataclass(frozen=True)
class RestatementReply:
    """The customer's reply to the restated complaint (您反映的问题是“…”,这样对吗?)."""

    agrees: bool | None  # True: 对/是的; False: 不是/不对; None: neither word
    correction: str | None  # the complaint in the customer's corrected words, if they gave any


def _without_prefix(text: str, words: tuple[str, ...]) -> str:
    for word in sorted(words, key=len, reverse=True):
        if text.startswith(word):
            return text[len(word):]
    return text


# About the customer's own words, not the car: 我刚说错了 / 打错字了 / 不好意思.
SPEECH_SLIP = re.compile(r"(?:我|刚才|刚刚|刚|之前|前面)*(?:说|打|写|讲|搞)错(?:字)?了?|不好意思|抱歉|sorry")


def read_restatement_reply(text: str) -> RestatementReply:
    """对 / 不是,是方向盘抖 / 不是异响,是抖动 / 方向盘抖动 (a plain restatement) / 不对."""
    script = load_script()
    if text.startswith("/"):
        return RestatementReply(agrees=None, correction=None)  # a button payload: its intent decides
    yes_words, no_words = script.yes_no_words["symptom_confirmed"]
    parts = clauses(text)
    joined = "".join(clauses(script.standardised(text)))  # 可不是嘛 → 是的: a yes, though it holds 不是
    denies = says_a_no_word(joined, yes_words, no_words)
    if not denies and any(word in joined for word in yes_words) and not answers_in(text).get("what"):
        return RestatementReply(agrees=True, correction=None)
    parts = [part for part in parts if not SPEECH_SLIP.fullmatch(part.strip())]
    if denies and parts:
        parts[0] = _without_prefix(parts[0], no_words)
    # 不是X,是Y: the correction starts at the clause introduced by 是/应该是 ...
    later = [i for i, part in enumerate(parts) if i > 0 and _without_prefix(part, script.correction_lead_ins) != part]
    if denies and later:
        parts = parts[later[0]:]
    if parts:
        parts[0] = _without_prefix(parts[0].lstrip(",\uff0c"), script.correction_lead_ins)
    words = ",".join(p.strip() for p in parts if p.strip())
    vague = words.startswith(("这", "那")) and not answers_in(words).get("what")
    # 系呀 / 嗯呐: a short word that names neither a symptom nor a part is a reply, not new words
    vague = vague or (len(_compact(words)) <= 3 and not names_a_problem(words) and not names_a_place(words))
    if len(words) < 2 or vague or script.means_no_answer(words):
        words = ""
    return RestatementReply(agrees=False if denies else None, correction=words or None)


NOTHING_ELSE = re.compile(
    r"(?:没有?|没什么|无)(?:别的|其他的?|其它的?)?(?:了|的)?(?:问题|毛病)?了?"
    r"|(?:别的|其他的?|其它的?)(?:问题|毛病)?(?:都|就|也)?(?:没有?|没什么|无)了?(?:问题|毛病)?了?"  # 别的没了
)


def _pieces_of(text: str) -> list[str]:
    return [piece for clause in clauses(text) for piece in _pieces(clause)]


def says_nothing_else(text: str) -> bool:
    """没别的 / 别的没了 said as a piece of its own (没别的 就是早上那个咔咔响)."""
    return any(NOTHING_ELSE.fullmatch(piece) for piece in _pieces_of(text))


def further_complaint(text: str) -> str:
    """A further complaint without its lead-in (有,空调不凉 / 还有空调不制冷 → 空调不制冷)."""
    script = load_script()
    yes_words, _ = script.yes_no_words["symptom_more"]
    parts = _pieces_of(text)
    if parts and parts[0] in yes_words:
        parts = parts[1:]
    if len(parts) > 1:
        # 没别的,就跑偏 / 就是蓝牙连不上 别的没了: what is left points back at what was told
        parts = [p for p in parts if not NOTHING_ELSE.fullmatch(p)] or parts
    if parts:
        parts[0] = _without_prefix(parts[0], script.complaint_lead_ins).lstrip(",\uff0c")
    return ",".join(p for p in parts if p)


# Words that make what follows a worry, not a fault the car has: 免得上线过不了, 怕路上抛锚.
HEDGE = re.compile(r"免得|以免|省得|怕|担心|万一|防止|预防|避免")


# The car telling that its maintenance is due (保养灯亮了 / 保养提示): a service asked for, not a fault.
# A clause saying only that the dashboard told it (仪表上提示的 / 车上有提示): beside a
# maintenance-due clause, the reminder itself.
REMINDER_ONLY = re.compile(r"(?:现在|刚刚?|今天|最近|这两天)?(?:是|就是)?(?:仪表盘?|中控|屏幕|车上|车机)?(?:上|里)?(?:有|也)?(?:提示|提醒|显示)(?:的|了|过)?(?:吧|呢|啊)?")
MAINTENANCE_DUE = re.compile(
    r"保养(?:灯|指示灯|提示灯?|提醒|图标|标志|里程)[^,，。!！?？ ]{0,6}?(?:亮|显示|提示|跳|出来|到)[了啦]?"
    r"|(?:该|要|需要)(?:做|去做)?保养了"
)


# A fault told without saying what (车有点毛病,说不上来 / 车子不太对劲 / 车出问题了): a
# repair whose symptom the interview asks. Not 有个问题想问一下 (a question).
VAGUE_FAULT = re.compile(
    r"(?<![没无])(?<!没有)(?<!没啥)(?<!没什么)毛病|不[太大]?对劲|怪怪的"
    r"|(?:车|车子)[^,,。!!??]{0,4}(?:有点|有些|有个|出了?|有)小?(?:问题|状况)(?!想问|要问|请教|咨询|问一下|问下)"
)


def tells_a_vague_fault(text: str) -> bool:
    return bool(VAGUE_FAULT.search(text))


# After a part, words that say nothing of what it does (刹车那块有点问题 / 发动机好像不太行).
SAYS_NOTHING_OF_THE_PART = re.compile(
    r"有点|有些|有个|有|出了?|小?(?:问题|毛病|状况|故障)|不[太大]?(?:对劲|正常|行|好使|舒服)|怪怪的|那块|那里|那儿|这块|这里"
    r"|那边|这边|方面|系统|部分|这个|那个|好像|感觉|可能|应该|似乎|也|又|还|就|是|会|总|老|[的了吧啊呢呀哦]")


def tells_what_the_part_does(text: str) -> bool:
    """A part told with what it does, in words no list holds (刹车会尖叫 / 大灯雾蒙蒙的):
    not a vague answer, though no symptom word is in it."""
    for clause in clauses(text):
        for part in _parts_in(clause):
            after = clause[clause.find(part) + len(part):]
            said = SAYS_NOTHING_OF_THE_PART.sub("", re.sub(rf"[^{HAN}]", "", after))
            if len(said) >= 2:
                return True
    return False


def only_that_a_part_is_wrong(text: str) -> bool:
    """A part named with nothing of what it does (暖风出问题了 / 刹车那块有点毛病): what is
    wrong is still to be asked."""
    if not names_a_part(text) or tells_what_the_part_does(text) or _spans(_listed_symptoms(), text):
        return False
    left = [SAYS_NOTHING_OF_THE_PART.sub("", _listed_parts().sub("", re.sub(rf"[^{HAN}]", "", clause)))
            for clause in clauses(text)]
    return not any(left)


def tells_a_fault(text: str, check_asked: bool) -> bool:
    """The car has a fault the customer tells: a symptom said (not as a worry: 免得上线过不了),
    or a part named when no check is asked for (修刹车; but 检查一遍刹车和轮胎 is a check),
    or a fault without saying what (车有点毛病)."""
    text = typos_read(text)  # 打不找火 / 打不燃: read as meant
    if MAINTENANCE_DUE.search(text):
        # 该保养了吧,仪表上提示的: the prompt is the maintenance reminder, not a warning.
        # (Pieces too: 现在仪表上提示要保养了 我也不太懂 is written with spaces for commas.)
        text = ",".join(piece for c in clauses(MAINTENANCE_DUE.sub("", text)) for piece in _pieces(c)
                        if not REMINDER_ONLY.fullmatch(piece))
    if not check_asked and tells_a_vague_fault(text):
        return True
    for clause in clauses(text):
        hedge = HEDGE.search(clause)
        if any(hedge is None or start < hedge.start() for start, _ in _complaint_spans(clause)):
            return True
    return not check_asked and names_a_part(text)


def names_a_part(text: str) -> bool:
    """A part of the car is named (能修空调不: the air conditioning)."""
    return any(part in text for part in vocabulary().parts)


def names_a_problem(text: str) -> bool:
    """A symptom or a part is named (空调也不太凉): not a vague answer."""
    return bool(answers_in(text).get("what")) or names_a_part(text)


# Kinds of symptom, to tell 就是刹车响 (the recorded 刹车的时候有异响 again) from a new complaint.
SYMPTOM_KINDS = {
    "noise": r"(?<!影)响|声|咯吱|吱吱|咔咔|嗡嗡|咯噔|哐|噪|嘎",
    "shake": r"抖|晃|震",
    "pull": r"跑偏|往[左右一边]",
    "leak": r"漏|渗|滴",
    "smoke": r"冒[\u4e00-\u9fff]?烟",
    "smell": r"味",
    "warning_light": r"灯.{0,3}亮|亮灯|故障灯|报警",
    "no_start": r"打不着|打不燃|点不燃|启动不了|着不了|点不着|发动不了|打不了火|启动困难|难启动|不好启动|打好几次|打几次"
                r"|才(?:能|会|可以)?(?:打?着|启动|发动|点着)",
    "stall": r"熄火",
    "jerk": r"顿挫|闯|冲|卡顿",
    "power": r"没劲|动力|无力|提速慢|加速慢",
    "cooling": r"制冷|不凉|不冷|冷风|不出风",
    "heating": r"暖风|不热|制热",
    "soft_brake": r"软|踩不住|刹不住|失灵",
    "overheating": r"水温|开锅|温度",
    "screen": r"黑屏|花屏|死机|重启|屏",
    "fuel": r"油耗",
    "battery": r"没电|亏电",
}
# 还是刚才那个 / 就是刚才说的 / 同一个问题: the complaint already told.
SAME_AGAIN = re.compile(
    r"^(?:还是|就是|也是|是)?(?:刚才|刚刚|之前|前面|上面|先前)(?:说的|讲的|提的|那个|那|的)|同一个|同样的"
    r"|^(?:还是|就是)(?:那个|这个)(?:问题|毛病)?$|^(?:还是|就是|也是)?一样的"
    # 还是那个充电的问题 / 就是那个滴水,我怕是水箱漏了: pointing back (not 就是那个…也…, a new one)
    r"|^(?:还是|就是|也是)(?:那个|这个)(?!.*(?:也|还有|另外|又|以及))"
)
REPEAT_LEAD = re.compile(r"^(?:最主要的?是|主要就是|主要是|主要|还是|就是|也是|就|还)")
# 胎压灯那个,刚才说了 / 后备箱那个,刚说了的 / 还有尾门那个: a part pointed back at, told before.
BACK_REFERENCE = re.compile(
    r"(?:刚才|刚刚|刚|之前|前面|上面|已经|都)(?:都|也)?(?:说|讲|提|讲|聊)(?:过|了)(?:的|了)*"
    r"|(?:说|提|讲)过(?:了|的)+|那个(?:问题|毛病|事儿?)?$"
)


def _kinds(text: str) -> set[str]:
    return {kind for kind, pattern in SYMPTOM_KINDS.items() if re.search(pattern, text)}


def _parts_in(text: str) -> set[str]:
    named = {p for p in vocabulary().parts if p in text}
    return {p for p in named if not any(p != q and p in q for q in named)}  # 刹车片, not also 刹车


def _compact(text: str) -> str:
    return re.sub(rf"[^{HAN}A-Za-z0-9]", "", text)


def _repeats(said: str, restating: bool, recorded: str) -> bool:
    """Whether these words tell the recorded complaint: its words, or its part and kind of symptom."""
    parts, kinds = _parts_in(said), _kinds(said)
    # One part by a shorter or longer name (雨刮 / 雨刮器) is the same part.
    same_parts = {p for p in parts if any(p in q or q in p for q in _parts_in(recorded))}
    if parts - same_parts:
        return False  # another part: a new complaint
    if len(said) >= 2 and (said in recorded or recorded in said):
        return True
    same_kinds = kinds & _kinds(recorded)
    if any(len(rest) >= 2 and rest in recorded for p in same_parts for rest in [said.split(p, 1)[-1]]):
        return True  # 雨刮刮不干净 / 雨刮器刮不干净: the same part doing the same
    if same_parts and same_kinds:
        return True  # 刹车响 / 刹车的时候有异响
    return restating and bool(same_kinds or same_parts) and not (parts and kinds)  # 就是异响 / 还是刹车


def same_complaint(text: str, recorded: list[str]) -> bool:
    """At 还有其他的吗: True when the customer tells a recorded complaint again, not a new one."""
    told = _compact(further_complaint(text) or text)
    recorded = [words for words in (_compact(r or "") for r in recorded) if words]
    if not told or not recorded:
        return False
    if SAME_AGAIN.search(told):
        return True
    pointed_back = BACK_REFERENCE.sub("", told)
    said = REPEAT_LEAD.sub("", pointed_back)
    # After 没别的 the rest is a restatement, led in by 就是 or not (没了 早上那个咔咔响).
    restating = said != told or says_nothing_else(text)
    return bool(said) and any(_repeats(said, restating, words) for words in recorded)


def symptom_text(symptoms: dict[str, Any] | None) -> str:
    """Every complaint's words in a draft's symptoms (the first and each further interview)."""
    if not symptoms:
        return ""
    words: list[Any] = [symptoms.get(q) for q in QUESTIONS]
    for interview in symptoms.get("further_interviews") or []:
        words += [interview.get("complaint"), *(interview.get(q) for q in QUESTIONS)]
    if not symptoms.get("further_interviews"):
        words += symptoms.get("further_complaints") or []
    return " ".join(str(w) for w in words if w and w != NOT_GIVEN)


def symptom_tags(symptoms: dict[str, Any] | None) -> dict[str, list[str]] | None:
    """Part and symptom tags over all complaints of a draft (None without an interview)."""
    return tags(symptom_text(symptoms)) if symptoms else None


# --- several problems in one message ----------------------------------------------------------

# 一个是…,另一个是… / 一是…二是… / 第一…第二… / 1.… 2.…: each marker opens a problem.
ENUMERATED = re.compile(r"^(?:(?:另外|还有)?(?:另)?一个是|[一二三四]是|第[一二三四1-4]个?(?:是|就是)?|[1-4](?:[.、)）]|是))")
# A clause that only says another problem follows (还有个问题 / 另外一个毛病是).
ANOTHER_PROBLEM = re.compile(
    r"(?:另外|还有|而且|然后|再)*(?:还|也)?(?:有)?(?:另)?(?:一个|个|一)?(?:问题|毛病|事儿?|情况|地方)(?:是|就是)?(?:啊|呀)?"
)
# Lead-in words said as a clause of their own (另外还有,冷气开咗有异味 / 然后呢,…).
LEAD_IN_ALONE = re.compile(r"(?:另外|还有|仲有|然后|再就是|此外|对了|同时)+(?:就是|呢|啊|嘛)?")
# A preface that only announces them (车子有两个问题 / 有几个毛病).
ANNOUNCED = re.compile(r"(?:两|三|几|俩|仨|[2-4])(?:个|处)?(?:问题|毛病|地方|故障)")
# 还有个 / 还有一个问题 / 有个事儿: one more complaint announced, not told yet.
ANNOUNCING_ONE = re.compile(
    r"(?:另外|还有就是|还有|还|有)+(?:一|1)?(?:个|件|处)(?:小)?(?:事儿?|问题|毛病|地方|情况|故障)?(?:哈|啊|呢|哦|的|呀)*")


def announces_one_more(text: str) -> bool:
    """At 还有其他的吗: a further complaint announced (还有个), to be asked what it is."""
    return bool(ANNOUNCING_ONE.fullmatch(_compact(text)))


def _new_subject(said: str, told: str) -> bool:
    """A clause led in by 还有/另外 says its state of something not named before (还有就是
    右后门关不严 after 方向盘抖; 另外油耗高了): another problem, listed part or not; 还有点抖
    (no subject) is a detail of the same one, and so is what 而且 adds (漏油,而且加速没劲)."""
    first = min(start for start, _ in _complaint_spans(said))
    subject = _subject(said[:first])
    if subject:
        return len(subject) >= 2 and subject not in told
    # The subject inside the matched words (油耗高了, 胎噪变大了): two characters, then a state.
    words = re.sub(r"^(?:有点|有些|点|些)", "", said)
    return len(words) >= 4 and words[:2] not in told and bool(COMPLAINT_STATE.search(words, 2))


LOOK_REQUEST_AT_END = re.compile(r"[,，\s]*(?:一起|顺便|帮忙|帮我|给我|都)?(?:看看|看一下|看下|瞧瞧|检查一下|查查|弄一下)(?:吧|呗)?$")
ALSO_ANOTHER_PART = re.compile(r"^[^,，。也]{1,8}也(?!跟着|随着|一起|连带)")


def separate_complaints(text: str) -> list[str]:
    """The problems of a message that tells several (车子有两个问题:一个是怠速抖,一个是后备箱
    漏水 / 刹车异响,另外空调不凉), each with the words told about it (when, where ...) and
    without the preface that announces them; [] when it tells one (刹车异响,还有点抖:
    a further clause without another part is a detail of the same problem)."""
    lead_ins = load_script().complaint_lead_ins
    groups: list[list[str]] = []
    enumerated = announced = False
    for clause in clauses(re.sub(r"[:：]", ",", text)):
        if not groups and ANNOUNCED.search(clause) and not _complaint_spans(ANNOUNCED.sub("", clause)):
            enumerated = True  # 有两个毛病想修: the preface is no problem, and what follows are
            continue
        if groups and (ANOTHER_PROBLEM.fullmatch(clause) or LEAD_IN_ALONE.fullmatch(clause)):
            announced = enumerated = True  # 还有个问题: what follows is another problem
            continue
        marker = ENUMERATED.match(clause)
        if marker:
            enumerated = True
            clause = clause[marker.end():]
        said = _without_prefix(clause, lead_ins)
        told = groups and "".join(groups[-1])
        new_part = said != clause and told and bool(_complaint_spans(said)) and (
            bool(_parts_in(said) - _parts_in(told)) or (not clause.startswith("而且") and _new_subject(said, told))
        )
        # 底盘咚咚响,右前大灯也不太亮了: another part "also" at fault is another problem
        # (车身也跟着抖 is the same one, felt elsewhere).
        also = ALSO_ANOTHER_PART.match(clause)
        if also and told and not new_part and _complaint_spans(clause) and _parts_in(also.group()) - _parts_in(told):
            new_part = True
            said = clause
        if not groups or marker or announced or new_part:
            groups.append([said if new_part else clause])
        else:
            groups[-1].append(clause)
        announced = False
    # Each problem's words without greetings and the booking request (约大后天上午九点半).
    told = [",".join(" ".join(pieces) for pieces in _units(",".join(group))) for group in groups]
    told = [LOOK_REQUEST_AT_END.sub("", said) for said in told]  # …,一起看看: the request, not the problem
    words = [(said, complaint_words(said)) for said in told]
    problems = [said for said, complaint in words if complaint and not ANNOUNCED.search(complaint)]
    if len(problems) < 2 or (not enumerated and len(problems) != sum(bool(complaint) for _, complaint in words)):
        return []
    return problems


# What is left of a piece that only names the work asked for (喷个漆 / 补一下漆 / 钣金喷漆).
BARE_JOB = re.compile(r"(?:想|要|需要|得|帮我|给我|做|喷|补|钣金|个|一下|下|点|的|了|漆|修|整|弄|处理|吧|啊)+")


def job_words(text: str, marks: Iterable[str]) -> str:
    """A job told in the customer's words (body work: 左后门被划了一道,后杠撞裂了): the pieces
    holding one of the marks or naming where on the car, without greetings, the booking
    request, an identifier, or a piece that only names the work (喷个漆)."""
    marks = tuple(marks)
    pieces = (EDGE_WORDS.sub("", IDENTIFIER.sub("", piece)) for unit in _units(text) for piece in unit)
    return ",".join(_unique(
        piece for piece in pieces
        if (any(mark in piece for mark in marks) or names_a_place(piece)) and not BARE_JOB.fullmatch(piece)
    ))
