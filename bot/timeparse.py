"""Chinese date/time extraction for booking service appointments.

``parse_time(text, reference)`` finds the first booking time in a customer message
and resolves it in Asia/Shanghai against ``reference``:

    >>> ref = datetime(2026, 11, 26, 15, 0, tzinfo=SHANGHAI)        # a Thursday
    >>> parse_time("我想明天下午三点过来做保养", ref).value
    datetime.datetime(2026, 11, 27, 15, 0, tzinfo=zoneinfo.ZoneInfo(key='Asia/Shanghai'))

Why hand-written rules and no library
-------------------------------------
``benchmarks/timeparse_libs.py`` runs jionlp 1.5.31 (``jionlp.ner.extract_time``) and
Duckling (pyduckling-native-phihos 0.3.0) raw on the 322 phrasings of
``tests/bot/timeparse_cases.yml`` at three reference times.  Exact-match accuracy
(966 resolutions; per reference Mon 09:00 / Thu 15:00 / Sun 20:00), re-measured after
the 101 phrasings for digit dates, ranges, holidays, month thirds, traditional
characters and decimals were added:

    raw jionlp      46.9 %   (53.4 / 46.3 / 41.0)   date alone right: 62.1 %
    raw duckling    41.4 %   (44.4 / 40.4 / 39.4)   date alone right: 64.7 %
    this module    100.0 %   (100 / 100 / 100)      0.06 ms a call (median)
    held-out set    98.5 %   (67 phrasings written after the first version of this
                             module, scored once; not re-run since)

The phrasings added to the case file since (a date with its weekday, 元月/X月份, lunar
months, ``dated``) are not in these figures; the libraries were not re-run on them.

The libraries fail on the dealer's conventions (3点 = 15:00, a past weekday or 3号 = the
next one, 明早 = tomorrow, dealer day-part windows), split or mis-read compound phrases
(下周二上午十点, 下下周), and do not parse 越快越好/月底前/这两天.  Fixing that up needed a
second reading of the text anyway, so the rules below do the whole job; a jionlp
fallback for what they miss fixed nothing and added 39 false times on the 156
resolutions of messages without one.  Neither library is imported; see
``benchmarks/timeparse.md`` (its figures are from the 221-phrasing file).

Conventions (a dealer's, see the brief in the project notes)
-----------------------------------------------------------
* A bare hour 1-7 点 (no 凌晨/早上/上午 before it) is afternoon: 3点 -> 15:00.
* 明早/明儿/明天早上 are tomorrow; 今早/今晚/明晚 likewise; 大后天 +3 days, 大大后天 +4.
* A bare weekday (周一, 星期三, 礼拜天) is the next such day, today included: said on a
  Thursday, 周一 is next Monday and 周四 is today.
* 这周X/本周X/这周的周X is this calendar week's X, even if past (the caller rejects
  past times).
* 下周X/下礼拜X/下星期X/下周周X/下礼拜的周X is next calendar week's X (weeks start on
  Monday), 下下周X the week after.  The 下 of 一下 is not a second 下 (安排一下下周).
* 3号 / 12月3号 / 12月3 / 2/15 / 09-01 / 12.24 already past is the next such date (next
  month / next year); with a year (2027年1月3号, 2026-12-05) it is that date.  A digit
  date right after a price or quantity word (油耗8.8, 减3.5) or before a unit (3.5万,
  1.5T, 1-2天, 2-4点) is not a date; H.MM after a day or a day part is a clock time
  (明天10.30, 下午2.30).  元月 is January and X月份 is X月 (元月20号, 一月份下旬).
* A date said with its weekday is the date: 19号周六, 周六19号上午, 12月24日(周四),
  下周三也就是16号, 19号，周六 -- also when the weekday disagrees (20号周六, the 20th a
  Sunday): customers mistype a weekday more often than the date they read off a
  calendar.  A weekday and a date given as two options (周六、19号都行) stay two.
* Holidays are the next such day, today included: 元旦, 情人节, 妇女节, 劳动节/五一,
  儿童节, 国庆(节)/十一假期, 双十一, 双十二, 平安夜, 圣诞(节) by their fixed dates;
  母亲节, 父亲节 as the second Sunday of May, the third of June;
  春节, 除夕/大年三十, 大年初X/正月初X, 元宵, 清明, 端午, 中秋 from TABLE_HOLIDAYS
  (2026-2028).  国庆前: now .. the eve.  圣诞树/中秋快乐 are not days.
* Day-part windows: 上午 08:30-12:00, 下午 13:00-17:30, 中午 / 晌午 11:30-13:30, 吃完午饭 13:00-15:00,
  早上 08:00-10:00, 晚上 18:00-22:00 (value None, grain "part_of_day").
* A time of day without a date (两点半, 下午) is today's, or tomorrow's when today's
  has already passed.
* Ranges are windows (value None, grain "range"): 两点到四点, 9~12点半, 下午2-4点,
  12:00—14:00, 上午10-12, 两三点 (14:00-15:00); 10号到12号 / 1-3号 (whole days).
* A digit after 点 is a decimal (减八点八, 二十点六, 八点五个): no time.  一刻/1刻 is :15,
  三刻/3刻 :45 (20时1刻 -> 20:15); 时 is 点 (下午三时).
* 越快越好/尽快/最早: now .. now + 7 days; 这两天: now .. now + 2 days; 过两天/过几天:
  tomorrow .. +3 days; 月底前 / 下个月底前: now .. end of that month; 这周内 and 这周/
  这礼拜/本周 alone: now .. Sunday; 下周 / 下下周: that Monday .. Sunday; 下个月: its
  1st .. last day; 上旬/月初 1st-10th, 中旬/月中 11th-20th, 下旬/月底/月末 21st-end
  (this month's unless over; 12月下旬 / 下个月中旬 name the month).
* Whole days end at 23:59:59.  An exact time has earliest == latest == value.
* ``TimeMention.dated`` says whether the text named the day (明天, 周六, 19号, 下周, 国庆,
  越快越好, 后天吧，上午九点): False only for a time of day or day part alone (9点半,
  那8点半吧, 下午, 两点到四点), whose day is the default above.
* When a message has several mentions, a day followed shortly by a bare time of day is
  merged (后天吧，上午九点); a window day followed by one stays the window (下周下午三点,
  月中下午: not today); then the first mention that is neither refused (今天没空，明天下午吧
  / 不是明天，是后天) nor wholly past (上周五来过，想约明天) wins, else the first one.
* A day the rules cannot place (腊八, 小年, 七夕, 重阳, 感恩节, 国庆后, 节后, 年前, 改天,
  那天, 周几, 几号, lunar dates 腊月二十/正月十五/农历十月初八, a table holiday past its
  last year): a time of day without a day in that message is not taken for today's, so
  腊八下午三点 gets no time (the bot asks again); another day in the message
  (腊八不行，明天下午) still counts.
* Not a time: 便宜一点/早一点 (a lone 一点), 有两点问题, 第二点, 2号线/3号楼, long digit runs
  (phone numbers, plates, order numbers), 晚上12点 (midnight, no booking).
* ``parse_time(text, reference, tz)`` resolves in another zone when asked; a naive
  reference is wall-clock time in that zone.  Full-width digits and punctuation (：～－／．)
  and the traditional 號/週/點/後/兩/鐘/禮/個/時/過/這/幾/國/慶/節/內/盡 (and the others in
  NORMALISE) are read as their simplified forms.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Callable, Optional
from zoneinfo import ZoneInfo

__all__ = ["SHANGHAI", "TimeMention", "parse_time"]

SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class TimeMention:
    text: str  # the substring of the message that was recognised
    start: int  # char offsets in the message
    end: int
    value: Optional[datetime]  # exact start when a date AND a time of day are known
    earliest: datetime  # the window the customer means
    latest: datetime
    grain: str  # "minute" | "hour" | "part_of_day" | "day" | "range"
    # Whether the text named the day (明天, 周六, 19号, 下周, 国庆, 越快越好 ...).  False
    # for a bare time of day or day part (9点半, 那8点半吧, 下午, 九点一刻), whose day is
    # only the default: today's, or tomorrow's when today's has passed.
    dated: bool


# --------------------------------------------------------------------------- tables

# Relative day words: word -> (days from today, implied day part or None).
RELATIVE_DAYS = {
    "大前天": (-3, None), "前天": (-2, None), "昨天": (-1, None),  # past: the caller rejects
    "昨晚": (-1, "晚上"),
    "今天": (0, None), "今儿个": (0, None), "今儿": (0, None), "今日": (0, None),
    "今早": (0, "早上"), "今早上": (0, "早上"), "今晚": (0, "晚上"),
    "明天": (1, None), "明儿个": (1, None), "明儿": (1, None), "明日": (1, None),
    "明早": (1, "早上"), "明早上": (1, "早上"), "明晚": (1, "晚上"),
    "后天": (2, None), "后儿个": (2, None), "后儿": (2, None), "后日": (2, None),
    "大后天": (3, None), "大大后天": (4, None), "大后儿个": (3, None), "大后儿": (3, None),
    # Cantonese: 听日 tomorrow, 琴日/寻日 yesterday, 大后日 in three days.
    "听日": (1, None), "琴日": (-1, None), "寻日": (-1, None), "大后日": (3, None),
    # Wu (Shanghai, Zhejiang): 今朝 today, 明朝 tomorrow, 后朝 the day after.
    "今朝": (0, None), "明朝": (1, None), "后朝": (2, None),
}

# Day parts: word -> (window start, window end, how a bare hour is read).
#   "am": hour as said; "pm": hour < 12 gets +12; "noon": 1-5 get +12.
PARTS = {
    "凌晨": (time(0, 0), time(6, 0), "am"),
    "早上": (time(8, 0), time(10, 0), "am"),
    "早晨": (time(8, 0), time(10, 0), "am"),
    "清早": (time(8, 0), time(10, 0), "am"),
    "一早": (time(8, 0), time(10, 0), "am"),
    "一大早": (time(8, 0), time(10, 0), "am"),
    "大清早": (time(8, 0), time(10, 0), "am"),
    "早": (time(8, 0), time(10, 0), "am"),  # only before a clock time (早8点)
    "上午": (time(8, 30), time(12, 0), "am"),
    "中午": (time(11, 30), time(13, 30), "noon"),
    "晌午": (time(11, 30), time(13, 30), "noon"),  # northern: midday, not the morning
    # After lunch (后天吃完午饭过去): the early afternoon.
    "吃完午饭": (time(13, 0), time(15, 0), "pm"),
    "吃过午饭": (time(13, 0), time(15, 0), "pm"),
    "午饭后": (time(13, 0), time(15, 0), "pm"),
    "下午": (time(13, 0), time(17, 30), "pm"),
    "午后": (time(13, 0), time(17, 30), "pm"),
    "傍晚": (time(17, 0), time(19, 0), "pm"),
    "晚上": (time(18, 0), time(22, 0), "pm"),
    "晚": (time(18, 0), time(22, 0), "pm"),  # only before a clock time (晚7点)
    # Cantonese: 朝早 morning, 上昼 forenoon, 晏昼 midday into the afternoon, 下昼 afternoon.
    "朝早": (time(8, 0), time(10, 0), "am"),
    "上昼": (time(8, 30), time(12, 0), "am"),
    "晏昼": (time(12, 0), time(15, 0), "noon"),
    "下昼": (time(13, 0), time(17, 30), "pm"),
    # Wu and northern: 上半天 / 前半晌 morning, 下半天 / 后半晌 / 后晌 afternoon.
    "上半天": (time(8, 30), time(12, 0), "am"),
    "前半晌": (time(8, 30), time(12, 0), "am"),
    "下半天": (time(13, 0), time(17, 30), "pm"),
    "后半晌": (time(13, 0), time(17, 30), "pm"),
    "后晌": (time(13, 0), time(17, 30), "pm"),
    # Northern (Shandong, Henan, Hebei): 头午 / 头晌 / 上晌 / 前晌 morning, 下晌 / 过晌 / 过午 afternoon.
    "头午": (time(8, 30), time(12, 0), "am"),
    "头晌": (time(8, 30), time(12, 0), "am"),
    "上晌": (time(8, 30), time(12, 0), "am"),
    "前晌": (time(8, 30), time(12, 0), "am"),
    "下晌": (time(13, 0), time(17, 30), "pm"),
    "过晌": (time(13, 0), time(17, 30), "pm"),
    "过午": (time(13, 0), time(17, 30), "pm"),
}

WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6,
            "1": 0, "2": 1, "3": 2, "4": 3, "5": 4, "6": 5, "7": 6}

CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
             "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}

# Holidays on a fixed Gregorian date: word -> (month, day).
FIXED_HOLIDAYS = {
    "元旦": (1, 1), "元旦节": (1, 1), "情人节": (2, 14), "妇女节": (3, 8),
    "劳动节": (5, 1), "五一": (5, 1), "儿童节": (6, 1),
    "国庆": (10, 1), "国庆节": (10, 1), "十一": (10, 1),
    "双十一": (11, 11), "双11": (11, 11), "双十二": (12, 12), "双12": (12, 12),
    "平安夜": (12, 24), "圣诞": (12, 25), "圣诞节": (12, 25),
}

# Holidays on the nth Sunday of a month: word -> (month, n).
SUNDAY_HOLIDAYS = {"母亲节": (5, 2), "父亲节": (6, 3)}

# Holidays of the lunar calendar (and 清明, a solar term): their Gregorian dates for
# 2026-2028 (checked against jionlp.lunar2solar; add a year at a time).  A holiday past
# the last entry is not resolved: the message then gets no time rather than a guess.
TABLE_HOLIDAYS = {
    "除夕": (date(2026, 2, 16), date(2027, 2, 5), date(2028, 1, 25)),
    "春节": (date(2026, 2, 17), date(2027, 2, 6), date(2028, 1, 26)),
    "元宵": (date(2026, 3, 3), date(2027, 2, 20), date(2028, 2, 9)),
    "清明": (date(2026, 4, 5), date(2027, 4, 5), date(2028, 4, 4)),
    "端午": (date(2026, 6, 19), date(2027, 6, 9), date(2028, 5, 28)),
    "中秋": (date(2026, 9, 25), date(2027, 9, 15), date(2028, 10, 3)),
}
HOLIDAY_ALIASES = {"大年三十": "除夕", "年三十": "除夕", "元宵节": "元宵", "清明节": "清明",
                   "端午节": "端午", "中秋节": "中秋"}

# A mention followed by one of these is a refusal (今天没空) when another mention exists.
REFUSALS = ("不行", "没空", "没时间", "不方便", "不可以", "来不了", "不太行", "不太方便", "排满",
            "到不了", "赶不上", "去不了", "过不去", "有事", "赶不过来", "赶不及", "来不及", "过不来", "走不开")
# Who is refused before the refusal itself: 九点我到不了 / 那天我们有事.
REFUSING_SUBJECT = re.compile(r"^(?:我们|我|那天|那会儿|那时候|那个点|可能|估计|怕是|实在|临时|突然|又)+")
# A mention after one of these replaces what came before it (九点我到不了,改成十点半吧).
CHANGED_TO = re.compile(r"(?:改成|改到|改为|换成|换到|调到|调成|挪到|推到|改)$")
# So does one after a time taken back (周四上午9点,哦不对,9点半 / 明天三点,说错了,四点).
# 明天下午三点吧…算了明天有事,还是周日下午三点: 算了 and the reason, then the time instead.
TAKEN_BACK_BEFORE = re.compile(
    r"(?:不对|说错了?|记错了?|[哦噢啊呃]不|不是不是|算了[^,，。;；]{0,8})[\s,，。.!！~…]*(?:是|应该是|改成|那就|还是)?$"
    # 下周三上午,呃,还是下周四上午吧: a pause, then 还是 (or rather) before the time instead
    r"|[,，。…\s]+(?:[呃嗯额哦噢啊]+[,，。…\s]*)?还是(?:改成|换成|定在)?$"
)

# A mention after one of these is refused too (不是这周，是下周).
NEGATIONS_BEFORE = ("不是", "不要", "除了", "并非")

# "两点" followed by these is a count ("有两点问题"), not a clock time.
NOT_A_CLOCK_AFTER = ("问题", "要求", "建议", "意见", "疑问", "需要", "注意", "事情", "原因", "不同",
                     "半会", "水")  # 一时半会儿; 两点水 (the radical 冫: 两点水的冯)

# A number followed by one of these is a quantity (3.5万, 8.8折, 1-2天), not a date.
UNITS = ("元", "块", "万", "千", "百", "公里", "公斤", "里", "升", "米", "折", "倍", "个", "次",
         "分", "秒", "度", "斤", "吨", "寸", "年", "岁", "天", "月", "小时", "点", "时", "%", "‰")

# A digit date (8.8, 1/2) right after one of these is a quantity (油耗8.8, 减3.5).
QUANTITY_BEFORE = re.compile(
    r"(?:油耗|价|钱|费|花了?|付|贵|便宜|减|优惠|里程|跑了|开了|排量|胎压|预算|报价|多少|"
    r"售价|首付|月供|利率|版本|系统|升级|评分|分数|涨|降|共|总|第)\s*$"
)

# Full-width forms, traditional characters and colloquial 俩 (下午俩点), mapped one to one
# (offsets stay valid).
NORMALISE = str.maketrans(
    "０１２３４５６７８９：～〜－—–／．"
    "號週點後兩鐘禮個時過這幾國慶節聖誕勞動臘陽線樓門車庫櫃樁碼臺廳師機內盡儘沒間來滿問題議見萬塊錢價費貴兒淩俩倆",
    "0123456789:~~---/."
    "号周点后两钟礼个时过这几国庆节圣诞劳动腊阳线楼门车库柜桩码台厅师机内尽尽没间来满问题议见万块钱价费贵儿凌两两",
)


def _alternation(words) -> str:
    """A regex alternation, longest words first so that 大后天 wins over 后天."""
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


# --------------------------------------------------------------------------- patterns

# A number 0-99 in digits or Chinese (not the 二 of 第二点).
NUM = r"(?:(?<![0-9.])[0-9]{1,2}(?![0-9])|(?<![第几])[零〇一二两三四五六七八九十]{1,3})"
# A Gregorian month number: 12, 十二, or the 元 of 元月 (January; not the 元 of 3000元月供
# or 单元).  Always followed by 月 in the patterns; 月份 is 月 (一月份20号).
MONTH_NUM = rf"(?:{NUM}|(?<![0-9零〇一二两三四五六七八九十百千万亿单美欧日韩港块])元)"
# Minutes after 点: 15, 二十, 零五, 四十五分, 五分 -- but not the 一 of 3点一起.
MINUTES = r"(?:[0-9]{1,2}(?![0-9])分?|[零〇一二三四五六七八九十]{2,3}分?|[一二三四五六七八九十]分)"
# After 点: a decimal digit (减八点八, 二十点六, 八点五个), so the 点 is a decimal point.
DECIMAL = (r"(?:[二三四五六七八九](?![十分刻钟])"
           r"|[一零〇](?=$|[^\u4e00-\u9fff]|[个万千百元块折倍度升米次公斤吨]))")
NOT_A_DATE_AFTER = r"线|楼|门|位|车|口|店|机|库|房|柜|窗|桩|码|台|厅|技师|工位"
DAY_SUFFIX = r"(?:那天|当天|那日|当日)?"
RELATIVE_DAY = rf"(?P<rel>{_alternation(RELATIVE_DAYS)})"
WEEK = r"(?:周|星期|礼拜)"
# Before 下: not a second 下 (下下周), unless that is the 下 of 一下 (安排一下下周的保养).
NEXT = r"(?:(?<![一下])|(?<=一下))"
WEEKDAY = (  # 周六, 下周六, 下周周六, 下礼拜的周三
    rf"(?:(?P<wprefix>{NEXT}(?:下下个?|下个?)|上上个?|上个?|这个?|本){WEEK}(?:[的\s]*+{WEEK})?|{WEEK})"
    r"(?P<wday>[一二三四五六日天1-7])"
)
DATE = (  # 3号, 12月3号, 12月3, 下个月5号, 2027年1月3日
    rf"(?:(?P<mprefix>下个?月|上个?月|这个?月|本月)[的\s]*+"
    rf"|(?:(?P<year>(?<![0-9])20[0-9]{{2}})年)?(?P<month>{MONTH_NUM})月份?[的\s]*+)?"
    rf"(?P<dom>{NUM})(?(month)(?:号|日|(?![0-9零〇一二两三四五六七八九十:]|{_alternation(UNITS)}))|(?:号|日))"
    rf"(?!{NOT_A_DATE_AFTER})"
)
NUMERIC_DATE = (  # 2/15, 09-01, 12.24, 2026-12-05 (but not 3.5万, 1.5T, 2-4点, 1-3号)
    r"(?<![0-9A-Za-z.:/\-¥￥$])(?:(?P<nyear>20[0-9]{2})(?P<ysep>[-/.]))?"
    r"(?P<nmonth>1[0-2]|0?[1-9])(?P<nsep>(?(ysep)(?P=ysep)|[-/.]))(?P<ndom>3[01]|[12][0-9]|0?[1-9])"
    r"(?:(?<!-[0-9])(?<!-[0-9]{2})[号日])?"  # 12.24号, but 1-3号 is the 1st to the 3rd
    rf"(?![0-9A-Za-z.:/\-号日]|{_alternation(UNITS)}|周(?![一二三四五六日天1-7])|{NOT_A_DATE_AFTER})"
)
# 五一 and 十一 are numbers too: only standing alone (五一) or before 假期 (十一假期).
GUARDED_HOLIDAYS = (
    r"(?<![0-9零〇一二两三四五六七八九十周期拜第])五一(?![0-9零〇一二两三四五六七八九十点时号日月刻分])"
    r"|(?<![0-9零〇一二两三四五六七八九十周期拜第双])十一(?=假期|长假|黄金周|期间|放假|那天|当天)"
)
SHIFT_DAYS = "一|两|二|三|1|2|3"
HOLIDAY_SHIFT_NEXT = rf"(?!(?:{SHIFT_DAYS})天)"
HOLIDAY_WORD = _alternation(
    w for w in [*FIXED_HOLIDAYS, *SUNDAY_HOLIDAYS, *TABLE_HOLIDAYS, *HOLIDAY_ALIASES] if w not in ("五一", "十一")
)
HOLIDAY = (
    rf"(?:(?P<holiday>{HOLIDAY_WORD}|{GUARDED_HOLIDAYS})|(?:大年|正月)初(?P<chu>[一二三四五六七八九十]))"
    r"(?!树|老人|礼物|帽|歌|装饰|袜|贺卡|快乐|联欢|晚会|红包|祝福)(?:假期|期间|长假|当天|那天)?"
    # 国庆前一天 / 中秋节后两天: that many days before or after the holiday
    rf"(?:的?(?P<hdir>前|后)(?P<hdays>{SHIFT_DAYS})天)?"
)
PART = (
    rf"(?P<part>{_alternation(w for w in PARTS if len(w) > 1)}"
    rf"|[早晚](?={NUM}(?:点|时|[:：])))"
)
RANGE_SEP = r"(?:到|至|~+|-+)"


def _clock(suffix: str = "") -> str:
    """Clock time: 10点, 十点半, 十点一刻, 20时1刻, 九点四十五分, 三点钟, 10:30.  Named
    groups get ``suffix`` so the pattern can be used twice (a range 两点到四点).  The
    start of a range may be a bare hour (9~12点半, 下午2-4点); its end may be a bare
    hour after a day or a day part (上午10-12, 明天9-10)."""
    s = suffix
    bare_end = rf"(?![0-9]|{_alternation(UNITS)})"
    bare = (rf"(?P<bare>)(?=[的\s]*+{RANGE_SEP}[的\s]*+{NUM})" if not s
            else rf"(?(part){bare_end}|(?(day){bare_end}|(?!)))")
    return (
        rf"(?:(?P<hh{s}>(?<![0-9])[0-9]{{1,2}})(?:[:：]|(?(day)\.|(?(part)\.|(?!))))"
        rf"(?P<mm{s}>[0-5][0-9])(?![0-9])"
        rf"|(?P<hour{s}>{NUM})(?:(?:点|时)(?!{_alternation(NOT_A_CLOCK_AFTER)}|{DECIMAL})"
        rf"(?:(?P<half{s}>半)|(?P<quarter{s}>[一1三3]刻)|(?P<minute{s}>{MINUTES}))?"
        rf"(?P<zhong{s}>钟)?|{bare}))"
    )


# Possessive, and only after something (a run of 的 must not cost quadratic time).
SEP = r"[的\s]*+"
DAY = rf"(?:(?:{RELATIVE_DAY}|{WEEKDAY}|{HOLIDAY}|{NUMERIC_DATE}|{DATE}){DAY_SUFFIX})"
RANGE_TAIL = (rf"(?:{SEP}{RANGE_SEP}{SEP}"
              rf"(?:(?P<part2>{_alternation(w for w in PARTS if len(w) > 1)}){SEP})?{_clock('2')})")
MENTION_RE = re.compile(
    rf"(?P<day>{DAY})?(?:(?(day){SEP}){PART})?"
    rf"(?:(?(day){SEP}|(?(part){SEP}))(?P<clock>{_clock()})(?:{RANGE_TAIL}|(?(bare)(?!))))?"
)


# --------------------------------------------------------------------------- helpers

def _cn_number(s: str) -> Optional[int]:
    """'10' -> 10, '十' -> 10, '十一' -> 11, '二十三' -> 23, '两' -> 2, '零五' -> 5."""
    if s.isdigit():
        return int(s)
    if "十" in s:
        tens, _, units = s.partition("十")
        if "十" in units or len(tens) > 1 or len(units) > 1:
            return None
        t = CN_DIGITS.get(tens, -1) if tens else 1
        u = CN_DIGITS.get(units, -1) if units else 0
        return None if t < 1 or u < 0 else t * 10 + u
    if len(s) == 1:
        return CN_DIGITS.get(s)
    if len(s) == 2 and s[0] in "零〇":
        return CN_DIGITS.get(s[1])
    return None


def _month_number(s: str) -> Optional[int]:
    """'12' / '十二' -> 12, '元' (元月) -> 1."""
    return 1 if s == "元" else _cn_number(s)


def _monday(d: date) -> date:
    return d - timedelta(days=d.weekday())


# Resolution works on naive wall-clock times of the target zone; parse_time attaches
# the zone to the result.
def _start_of_day(d: date) -> datetime:
    return datetime.combine(d, time(0, 0))


def _end_of_day(d: date) -> datetime:
    return datetime.combine(d, time(23, 59, 59))


def _at(d: date, t: time) -> datetime:
    return datetime.combine(d, t)


def _safe_date(year: int, month: int, day: int) -> Optional[date]:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _add_months(year: int, month: int, shift: int) -> tuple[int, int]:
    y, m = divmod(month - 1 + shift, 12)
    return year + y, m + 1


def _last_day(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def _this_or_next_year(today: date, month: int, day: int) -> Optional[date]:
    """The next month/day, today included (12月3号, 2/15, 元旦)."""
    d = _safe_date(today.year, month, day)
    if d is None:
        return None
    return d if d >= today else _safe_date(today.year + 1, month, day)


# --------------------------------------------------------------------------- window phrases

# Phrases that stand for a window by themselves: (pattern, resolver(ref, match) ->
# (earliest, latest), or None when the day cannot be resolved).
Window = Optional[tuple[datetime, datetime]]


# 最近有空的时间 / 最近哪天有位置: the nearest free slot, as 尽快.
ASAP = re.compile(
    r"越快越好|越早越好|尽快|尽早|最早|最快"
    r"|最近(?:的)?(?:哪天|什么时候|啥时候)?(?:有空|空闲|有位置?|能约|可以约|可约|有时间)(?:的)?(?:时间|时段|空位|位置)?"
)


def _asap(ref: datetime, m: re.Match) -> Window:
    return ref, ref + timedelta(days=7)


def _next_two_days(ref: datetime, m: re.Match) -> Window:
    return ref, ref + timedelta(days=2)


def _in_a_few_days(ref: datetime, m: re.Match) -> Window:
    """过两天 / 过几天: not today; tomorrow .. three days out."""
    today = ref.date()
    return _start_of_day(today + timedelta(days=1)), _end_of_day(today + timedelta(days=3))


def _until_week_end(ref: datetime, m: re.Match) -> Window:
    return ref, _end_of_day(_monday(ref.date()) + timedelta(days=6))


def _weeks_ahead(m: re.Match) -> int:
    weeks = m["weeks"] or ""
    return 2 if weeks.startswith("下下") else 1 if weeks.startswith("下") else 0


def _week(ref: datetime, m: re.Match) -> Window:
    """下周 / 下下周: that calendar week, Monday .. Sunday."""
    monday = _monday(ref.date()) + timedelta(days=7 * _weeks_ahead(m))
    return _start_of_day(monday), _end_of_day(monday + timedelta(days=6))


def _weekend(ref: datetime, m: re.Match) -> Window:
    saturday = _monday(ref.date()) + timedelta(days=5 + 7 * _weeks_ahead(m))
    return _start_of_day(saturday), _end_of_day(saturday + timedelta(days=1))


# Thirds of a month: 上旬/月初 1st-10th, 中旬/月中 11th-20th, 下旬/月底/月末 21st-end.
MONTH_THIRDS = {"上旬": 1, "初": 1, "中旬": 11, "中": 11, "下旬": 21, "底": 21, "末": 21}


def _target_month(m: re.Match, today: date, last_needed: Callable[[int, int], int]) -> tuple[int, int]:
    """The month a month phrase names: 下个月 / 12月 (next year's when over) / none
    (this month's, or next month's when the part meant is over).  ``last_needed(year,
    month)`` is the last day of the month the phrase needs."""
    prefix, number = m["mprefix"], m["mnum"]
    if prefix:
        return _add_months(today.year, today.month, prefix.count("下"))
    if number:
        month = _month_number(number)
        year = today.year
        if month is None or not 1 <= month <= 12:
            raise ValueError(number)
        if date(year, month, last_needed(year, month)) < today:
            year += 1
        return year, month
    year, month = today.year, today.month
    if date(year, month, last_needed(year, month)) < today:
        year, month = _add_months(year, month, 1)
    return year, month


def _month_third(ref: datetime, m: re.Match) -> Window:
    """月中 -> the 11th-20th, 下旬 -> the 21st-end, 下个月初 -> next month's 1st-10th."""
    first = MONTH_THIRDS[m["third"]]

    def last(year: int, month: int) -> int:
        return _last_day(year, month) if first == 21 else first + 9

    try:
        year, month = _target_month(m, ref.date(), last)
    except ValueError:
        return None
    return _start_of_day(date(year, month, first)), _end_of_day(date(year, month, last(year, month)))


def _until_month_end(ref: datetime, m: re.Match) -> Window:
    """月底前 / 下个月底前: now .. the end of that month."""
    try:
        year, month = _target_month(m, ref.date(), _last_day)
    except ValueError:
        return None
    return ref, _end_of_day(date(year, month, _last_day(year, month)))


def _month(ref: datetime, m: re.Match) -> Window:
    """下个月 / 下下个月: its first .. last day."""
    year, month = _add_months(ref.year, ref.month, m["mprefix"].count("下"))
    return _start_of_day(date(year, month, 1)), _end_of_day(date(year, month, _last_day(year, month)))


def _until_holiday(ref: datetime, m: re.Match) -> Window:
    """国庆前: now .. the end of the day before the holiday."""
    day = _holiday_date(m["holiday"], m["chu"], ref.date())
    return None if day is None else (ref, _end_of_day(day - timedelta(days=1)))


def _days_of_month(ref: datetime, m: re.Match) -> Window:
    """10号到12号 / 12月1-3号 / 30号到2号: the first day (as 10号 or 12月1号 alone) ..
    the last (in the next month when it is smaller)."""
    first, last = _cn_number(m["d1"]), _cn_number(m["d2"])
    if first is None or last is None or not (1 <= first <= 31 and 1 <= last <= 31) or first == last:
        return None
    today = ref.date()
    month = _month_number(m["month"]) if m["month"] else None
    if month is not None and not 1 <= month <= 12:
        return None
    start = _this_or_next_year(today, month, first) if month else _next_day_of_month(today, first)
    if start is None:
        return None
    end = _safe_date(*_add_months(start.year, start.month, int(last < first)), last)
    return None if end is None else (_start_of_day(start), _end_of_day(end))


MONTH_WORD = (rf"(?:(?P<mprefix>下下个?|下个?|这个?|本)月|(?P<mnum>{MONTH_NUM})月份?"
              r"|(?<![0-9零〇一二两三四五六七八九十个这本下上])月)")
THIS_WEEK = rf"(?:这个?|本){WEEK}"

WINDOW_PHRASES: list[tuple[re.Pattern, Callable[[datetime, re.Match], Window]]] = [
    (ASAP, _asap),
    (re.compile(r"这两天"), _next_two_days),
    (re.compile(r"再?过(?:个)?(?:一两|两三|三两|两|几|些)天"), _in_a_few_days),
    (re.compile(rf"{MONTH_WORD}底(?:之前|以前|前)"), _until_month_end),
    (re.compile(rf"{MONTH_WORD}?(?P<third>[上中下]旬|(?:(?<=月)|(?<=月份))(?:初|中(?![午心间])|底|末))"),
     _month_third),
    (re.compile(rf"{NEXT}(?P<mprefix>下下个?|下个?)月"), _month),
    (re.compile(rf"{THIS_WEEK}(?:之内|以内|内)"), _until_week_end),
    (re.compile(rf"{THIS_WEEK}(?![一二三四五六日天1-7末])"), _until_week_end),
    (re.compile(rf"{NEXT}(?P<weeks>下下|下)个?{WEEK}末"), _weekend),
    (re.compile(rf"(?P<weeks>这个?|本)?{WEEK}末"), _weekend),
    (re.compile(rf"{NEXT}(?P<weeks>下下|下)个?{WEEK}(?![一二三四五六日天1-7末])"), _week),
    (re.compile(rf"{HOLIDAY}(?:之前|以前|前)(?!后){HOLIDAY_SHIFT_NEXT}"), _until_holiday),
    (re.compile(rf"(?:(?P<month>{MONTH_NUM})月份?)?(?P<d1>{NUM})[号日]?[的\s]*+{RANGE_SEP}[的\s]*+(?P<d2>{NUM})[号日]"
                rf"(?!{NOT_A_DATE_AFTER})"), _days_of_month),
]
# Windows a following time of day cannot be placed in (下周下午三点 is not today 15:00).
MERGING_WINDOWS = {_next_two_days, _in_a_few_days, _until_month_end, _month_third, _month,
                   _until_week_end, _weekend, _week, _until_holiday, _days_of_month}

# Words naming a day the rules cannot place (腊八, 节后, 改天, 周几): a time of day in
# the same message is not put on today; the message gets no time instead.
UNKNOWN_DAY_RE = re.compile(
    rf"腊八|小年(?!轻)|七夕|重阳|冬至|寒食|感恩节|{HOLIDAY}(?:之后|以后|过后|前后|后|左右){HOLIDAY_SHIFT_NEXT}"
    r"|(?<![0-9零〇一二两三四五六七八九十几多去前半今明后])年(?:前|后|底|末|初)|过完?年|节前|节后|节假日|假期"
    r"|改天|(?<!随便)(?<!任何)[哪那某]一?天(?![都也])|过段时间|过阵子|过一阵|(?:周|星期|礼拜)几|几号"
    # Lunar months and dates (腊月二十, 农历十月初八, 正月十五; 正月初X is a HOLIDAY):
    # not guessed.  The day after the month is part of the word, so 腊月二十号 is not
    # the 20th of this month.
    rf"|(?:农历|阴历)?(?:腊|冬|正(?!月初))月(?:[的\s]*+初?{NUM}[号日]?)?"
    rf"|(?:农历|阴历)(?:{NUM}月)?(?:初?{NUM}[号日]?)?"
)


# --------------------------------------------------------------------------- day resolution

def _weekday_date(prefix: Optional[str], wday: str, today: date) -> date:
    target = WEEKDAYS[wday]
    monday = _monday(today)
    if prefix is None:  # bare weekday: the next one, today included
        return today + timedelta(days=(target - today.weekday()) % 7)
    weeks = {"这": 0, "这个": 0, "本": 0, "下": 1, "下个": 1, "下下": 2, "下下个": 2,
             "上": -1, "上个": -1, "上上": -2, "上上个": -2}[prefix]
    return monday + timedelta(days=7 * weeks + target)


def _month_day_date(m: re.Match, today: date) -> Optional[date]:
    dom = _cn_number(m["dom"])
    if dom is None or not 1 <= dom <= 31:
        return None
    if m["month"]:  # 12月3号: this year's, or next year's when already past
        month = _month_number(m["month"])
        if month is None or not 1 <= month <= 12:
            return None
        if m["year"]:
            return _safe_date(int(m["year"]), month, dom)
        return _this_or_next_year(today, month, dom)
    if m["mprefix"]:  # 下个月5号 / 这个月15号 / 上个月5号
        shift = {"下": 1, "上": -1}.get(m["mprefix"][0], 0)
        year, month = _add_months(today.year, today.month, shift)
        return _safe_date(year, month, dom)
    return _next_day_of_month(today, dom)


def _next_day_of_month(today: date, dom: int) -> Optional[date]:
    """3号: this month's, or the next month that has that day."""
    for shift in range(0, 4):
        d = _safe_date(*_add_months(today.year, today.month, shift), dom)
        if d is not None and d >= today:
            return d
    return None


def _numeric_date(m: re.Match, today: date) -> Optional[date]:
    """2/15, 09-01, 12.24 (the next one), 2026-12-05 (as written)."""
    month, dom = int(m["nmonth"]), int(m["ndom"])
    if m["nyear"]:
        return _safe_date(int(m["nyear"]), month, dom)
    return _this_or_next_year(today, month, dom)


def _holiday_date(word: Optional[str], chu: Optional[str], today: date) -> Optional[date]:
    """The next such holiday, today included; None past the end of TABLE_HOLIDAYS."""
    if chu:  # 大年初三: the third day of the Spring Festival
        offset, key = CN_DIGITS.get(chu, 10) - 1, "春节"
    else:
        offset, key = 0, HOLIDAY_ALIASES.get(word, word)
    if key in FIXED_HOLIDAYS:
        return _this_or_next_year(today, *FIXED_HOLIDAYS[key])
    if key in SUNDAY_HOLIDAYS:
        this_year = _nth_sunday(today.year, *SUNDAY_HOLIDAYS[key])
        return this_year if this_year >= today else _nth_sunday(today.year + 1, *SUNDAY_HOLIDAYS[key])
    return next((d + timedelta(days=offset) for d in TABLE_HOLIDAYS[key]
                 if d + timedelta(days=offset) >= today), None)


def _nth_sunday(year: int, month: int, n: int) -> date:
    """母亲节 (the second Sunday of May), 父亲节 (the third of June)."""
    first = date(year, month, 1)
    return first + timedelta(days=(6 - first.weekday()) % 7 + 7 * (n - 1))


def _shifted_holiday(m: re.Match, today: date) -> Optional[date]:
    """The holiday's date, or the day so many days before or after it (国庆前一天)."""
    if not m["hdir"]:
        return _holiday_date(m["holiday"], m["chu"], today)
    shift = CN_DIGITS.get(m["hdays"]) or int(m["hdays"])
    shift = -shift if m["hdir"] == "前" else shift
    # The next holiday whose shifted day is still to come (国庆前一天 on 10-01 is next year's).
    day = _holiday_date(m["holiday"], m["chu"], today - timedelta(days=shift))
    return day + timedelta(days=shift) if day else None


def _resolve_day(m: re.Match, today: date) -> tuple[Optional[date], Optional[str], bool]:
    """(date or None, implied day part, whether a day expression was present)."""
    if m["rel"]:
        offset, part = RELATIVE_DAYS[m["rel"]]
        return today + timedelta(days=offset), part, True
    if m["wday"]:
        return _weekday_date(m["wprefix"], m["wday"], today), None, True
    if m["holiday"] or m["chu"]:
        return _shifted_holiday(m, today), None, True
    if m["nmonth"]:
        return _numeric_date(m, today), None, True
    if m["dom"]:
        return _month_day_date(m, today), None, True
    return None, None, False


def _is_quantity(text: str, m: re.Match) -> bool:
    """油耗8.8 / 减3.5: a digit date right after a price or quantity word."""
    return bool(m["nmonth"]) and QUANTITY_BEFORE.search(text[max(0, m.start() - 4):m.start()]) is not None


# --------------------------------------------------------------------------- clock resolution

def _hour_pair(s: Optional[str]) -> Optional[tuple[int, int]]:
    """两三 -> (2, 3), 七八 -> (7, 8), 十一二 -> (11, 12): "two or three o'clock"."""
    if not s or len(s) < 2 or s.isdigit() or s[-2] == "十":
        return None
    first, second = _cn_number(s[:-1]), CN_DIGITS.get(s[-1])
    if first is None or second is None or second != first % 10 + 1:
        return None
    return first, first - first % 10 + second


def _clock_time(m: re.Match, part: Optional[str], s: str = "",
                hour: Optional[int] = None) -> Optional[tuple[time, str]]:
    """The clock time of a match (groups with suffix ``s``) read with the day part;
    ``hour`` overrides the hour said."""
    if m["hh" + s]:
        hour, minute, grain = int(m["hh" + s]), int(m["mm" + s]), "minute"
    else:
        hour = _cn_number(m["hour" + s]) if hour is None else hour
        if hour is None:
            return None
        if m["half" + s]:
            minute = 30
        elif m["quarter" + s]:
            minute = 15 if m["quarter" + s][0] in "一1" else 45
        elif m["minute" + s]:
            minute = _cn_number(m["minute" + s].rstrip("分"))
        else:
            minute = 0
        grain = "hour" if not (m["half" + s] or m["quarter" + s] or m["minute" + s]) else "minute"
    if minute is None or minute > 59:
        return None
    hour = _with_day_part(hour, part)
    if not 0 <= hour <= 23:
        return None
    return time(hour, minute), grain


def _with_day_part(hour: int, part: Optional[str]) -> int:
    rule = PARTS[part][2] if part else None
    if part in ("晚上", "晚") and hour == 12:
        return 24  # midnight: not a booking time, rejected by the caller
    if rule == "pm" and hour < 12:
        return hour + 12
    if rule == "noon" and 1 <= hour <= 5:
        return hour + 12
    if rule is None and 1 <= hour <= 7:  # the dealer's convention: 3点 is 15:00
        return hour + 12
    return hour


def _is_not_a_clock(m: re.Match, has_day: bool, part: Optional[str]) -> bool:
    """便宜一点 / 早一点 / 明天早一点: a lone 一点 is a quantity, not 01:00 or 13:00."""
    return (
        m["hour"] == "一"
        and not (m["half"] or m["quarter"] or m["minute"] or m["zhong"] or m["hour2"] or m["hh2"])
        and ((part is None and not has_day) or (part is not None and len(part) == 1))
    )


# --------------------------------------------------------------------------- mentions

@dataclass
class _Candidate:
    start: int
    end: int
    match: Optional[re.Match] = None  # MENTION_RE, WINDOW_PHRASES or UNKNOWN_DAY_RE match
    window: Optional[Callable] = None  # WINDOW_PHRASES resolver
    unknown: bool = False  # a day the rules cannot place (腊八)
    has_day: bool = False
    has_part: bool = False
    has_clock: bool = False
    # 19号周六 / 周六19号 / 12月24日(周四) / 下周三也就是16号: this candidate is the date
    # and ``weekday`` the weekday said with it; the date gives the day, whichever of the
    # two has a day part or clock time gives the time.
    weekday: Optional["_Candidate"] = None

    @property
    def time_match(self) -> Optional[re.Match]:
        """The match holding this candidate's day part / clock time."""
        if self.weekday is not None and not (self.match["part"] or self.match["clock"]):
            return self.weekday.match
        return self.match

    @property
    def is_time_of_day(self) -> bool:
        """下午 / 三点 / 下午三点: a time of day without a day."""
        return self.window is None and not self.unknown and not self.has_day


# Resolution failed because the day could not be placed (a holiday past the table).
UNKNOWN_DAY = object()


def _candidates(text: str) -> list[_Candidate]:
    found = []
    for m in MENTION_RE.finditer(text):
        if m.end() > m.start() and (m["day"] or m["part"] or m["clock"]) and not _is_quantity(text, m):
            found.append(_Candidate(m.start(), m.end(), match=m, has_day=bool(m["day"]),
                                    has_part=bool(m["part"]), has_clock=bool(m["clock"])))
    for pattern, resolver in WINDOW_PHRASES:
        for m in pattern.finditer(text):
            found.append(_Candidate(m.start(), m.end(), match=m, window=resolver, has_day=True))
    for m in UNKNOWN_DAY_RE.finditer(text):
        found.append(_Candidate(m.start(), m.end(), match=m, unknown=True, has_day=True))
    # Overlaps: keep the longer one (the earlier one on a tie).
    found.sort(key=lambda c: (c.start, -(c.end - c.start)))
    kept: list[_Candidate] = []
    for c in found:
        if kept and c.start < kept[-1].end:
            if c.end - c.start > kept[-1].end - kept[-1].start:
                kept[-1] = c
            continue
        kept.append(c)
    return _pair_dates_with_weekdays(text, kept)


# Between a date and the weekday said with it: 19号周六, 12月5号 周六, 12月24日(周四),
# 19号，周六, 下周三也就是16号, 周六是19号.  Not 、 (周六、19号都行: two options).
DATE_WEEKDAY_GAP = re.compile(r"[\s的]*+(?:[(（\[【]|[,，]?\s*(?:也就是说?|就是|也即|即|是)?)\s*")
CLOSING_BRACKETS = {"(": ")", "（": "）", "[": "]", "【": "】"}


def _kind_of_day(c: _Candidate) -> Optional[str]:
    """'date' (19号, 12月24日, 12/24), 'weekday' (周六, 下周三) or None."""
    if c.window is not None or c.unknown or not c.has_day:
        return None
    m = c.match
    return "date" if (m["dom"] or m["nmonth"]) else "weekday" if m["wday"] else None


def _pair_dates_with_weekdays(text: str, candidates: list[_Candidate]) -> list[_Candidate]:
    """Join a date and the weekday said right before or after it into one candidate
    whose day is the date's.  The date wins even when the weekday disagrees with it
    (20号周六 when the 20th is a Sunday): customers read the date off a calendar and
    mistype the weekday more often than the date, and the bot reads the booked day
    back to them, so a wrong guess is caught either way."""
    out: list[_Candidate] = []
    i = 0
    while i < len(candidates):
        c = candidates[i]
        nxt = candidates[i + 1] if i + 1 < len(candidates) else None
        kinds = {_kind_of_day(c), _kind_of_day(nxt)} if nxt is not None else set()
        gap = DATE_WEEKDAY_GAP.fullmatch(text[c.end:nxt.start]) if kinds == {"date", "weekday"} else None
        if gap is None or (c.has_part or c.has_clock) and (nxt.has_part or nxt.has_clock):
            out.append(c)
            i += 1
            continue
        date_c, weekday_c = (c, nxt) if _kind_of_day(c) == "date" else (nxt, c)
        end = nxt.end
        opening = gap.group().strip()[:1]
        if opening in CLOSING_BRACKETS and text.startswith(CLOSING_BRACKETS[opening], end):
            end += 1  # 12月24日(周四): the bracket closes inside the mention
        out.append(replace(date_c, start=c.start, end=end, weekday=weekday_c,
                           has_part=c.has_part or nxt.has_part,
                           has_clock=c.has_clock or nxt.has_clock))
        i += 2
    return out


def _is_refused(text: str, first: _Candidate, last: _Candidate) -> bool:
    """今天没空 / 不是这周 (a mention from ``first`` to ``last``)."""
    after = REFUSING_SUBJECT.sub("", text[last.end:last.end + 8].lstrip("的 ，,"))
    before = text[max(0, first.start - 3):first.start].rstrip("的 ，,")
    return after.startswith(REFUSALS) or before.endswith(NEGATIONS_BEFORE)


GAP_RE = re.compile(r"[\s，,、。!！~～吧啊呀哈呢的]{0,4}")


def _can_merge(text: str, first: _Candidate, nxt: _Candidate) -> bool:
    """A day followed closely by a time of day without a day: 后天吧，上午九点 /
    明天上午吧，9点左右 / 月中下午 (the window) / 腊八下午三点 (no day)."""
    if not nxt.is_time_of_day or GAP_RE.fullmatch(text[first.end:nxt.start]) is None:
        return False
    if first.unknown:
        return True
    if first.window is not None:
        return first.window in MERGING_WINDOWS
    if not first.has_day or first.has_clock:
        return False
    if not (nxt.has_clock or not first.has_part):
        return False
    return not (first.has_part and nxt.has_part)


def _trimmed_span(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start] in "的 \t":
        start += 1
    while end > start and text[end - 1] in "的 \t":
        end -= 1
    return start, end


def _resolve(text: str, first: _Candidate, time_part: Optional[_Candidate], ref: datetime):
    """Resolve one candidate (and a merged time-of-day candidate) against ``ref``: a
    TimeMention, None (no time here) or UNKNOWN_DAY."""
    if first.unknown:
        return UNKNOWN_DAY
    start, end = _trimmed_span(text, first.start, (time_part or first).end)
    if first.window is not None:  # 越快越好, 月底前, 月中 ...
        window = first.window(ref, first.match)
        if window is None:
            return UNKNOWN_DAY
        return TimeMention(text[start:end], start, end, None, window[0], window[1], "range", True)

    m = first.match
    day, implied_part, has_day = _resolve_day(m, ref.date())
    if has_day and day is None:  # 2月30号, or a holiday past the table
        return UNKNOWN_DAY if (m["holiday"] or m["chu"]) else None
    tm = time_part.time_match if time_part else first.time_match
    part = tm["part"] or m["part"] or implied_part

    if tm["clock"] and _is_not_a_clock(tm, has_day, tm["part"]):
        if not has_day:
            return None
        start, end = m.span("day")  # 明天早一点: the day alone
        return _day_window(text[start:end], start, end, day)
    span = (text[start:end], start, end)
    if tm["clock"]:
        return _clock_mention(span, tm, part, day, ref)
    if part:
        return _part_window(span, part, day, ref)
    return _day_window(*span, day)


def _clock_mention(span, m: re.Match, part: Optional[str], day: Optional[date],
                   ref: datetime) -> Optional[TimeMention]:
    """明天下午三点 -> exact; 两点到四点 / 9~12点半 / 两三点 -> a window.  Without a day:
    today, or tomorrow when today's has passed."""
    pair = _hour_pair(m["hour"])
    clock = _clock_time(m, part, hour=pair[0] if pair else None)
    if clock is None:
        return None
    value = _at(day or ref.date(), clock[0])
    if day is None and value < ref:  # 两点半 said at 15:00 -> tomorrow
        value += timedelta(days=1)
    if pair:
        until = _clock_time(m, part, hour=pair[1])
    elif m["hour2"] or m["hh2"]:
        until = _clock_time(m, m["part2"] or part, "2")
    else:
        return TimeMention(*span, value, value, value, clock[1], day is not None)
    if until is None:
        return None
    latest = _at(value.date(), until[0])
    if latest <= value and until[0].hour < 12:  # 十一点到一点
        latest += timedelta(hours=12)
    if latest <= value:
        return None
    return TimeMention(*span, None, value, latest, "range", day is not None)


def _part_window(span, part: str, day: Optional[date], ref: datetime) -> TimeMention:
    """周五下午 -> Friday 13:00-17:30.  Without a day: today's, or tomorrow's when over."""
    begin, finish, _ = PARTS[part]
    d = day or ref.date()
    if day is None and _at(d, finish) < ref:  # 下午 said at 20:00 -> tomorrow
        d += timedelta(days=1)
    return TimeMention(*span, None, _at(d, begin), _at(d, finish), "part_of_day", day is not None)


def _day_window(mention: str, start: int, end: int, day: date) -> TimeMention:
    return TimeMention(mention, start, end, None, _start_of_day(day), _end_of_day(day), "day", True)


def _wall_clock(reference: datetime, tz: ZoneInfo) -> datetime:
    """The naive wall-clock time of ``reference`` in ``tz`` (a naive reference is taken
    as wall-clock time in ``tz`` already), to the second."""
    if reference.tzinfo is not None:
        reference = reference.astimezone(tz).replace(tzinfo=None)
    return reference.replace(microsecond=0)


def _localised(m: TimeMention, tz: ZoneInfo) -> TimeMention:
    def aware(dt: Optional[datetime]) -> Optional[datetime]:
        return None if dt is None else dt.replace(tzinfo=tz)

    return replace(m, value=aware(m.value), earliest=aware(m.earliest), latest=aware(m.latest))


@dataclass
class _Found:
    mention: TimeMention
    refused: bool  # 今天没空
    has_day: bool  # False for a bare time of day (下午三点)
    replaced: bool = False  # 明天三点 in 明天三点,改成四点: its day still holds


def _mentions(text: str, ref: datetime) -> tuple[list[_Found], bool]:
    """Every mention in order, and whether the message names a day the rules cannot
    place (腊八, 月中 of an unknown month, a holiday past the table)."""
    candidates = _candidates(text)
    found, unknown_day = [], False
    i = 0
    while i < len(candidates):
        first = candidates[i]
        nxt = candidates[i + 1] if i + 1 < len(candidates) else None
        merge = nxt is not None and _can_merge(text, first, nxt)
        mention = _resolve(text, first, nxt if merge else None, ref)
        i += 2 if merge else 1
        if mention is UNKNOWN_DAY:
            # 那天上午有事,改成下午两点: a day refused is no day the message asks for, so it
            # does not hide the time of day asked instead.
            unknown_day = unknown_day or not _is_refused(text, first, nxt if merge else first)
        elif mention is not None:  # e.g. 便宜一点 does not resolve
            if (CHANGED_TO.search(text[max(0, first.start - 3):first.start])
                    or TAKEN_BACK_BEFORE.search(text[max(0, first.start - 14):first.start])):
                # 改成十点半 / 哦不对,九点半: the earlier ones go
                found = [replace(f, refused=True, replaced=True) for f in found]
            within = _weekday_within_third(text, found[-1].mention, mention) if found else None
            if within is not None:
                found[-1] = replace(found[-1], mention=within)  # 月底那个周六: one mention
                continue
            found.append(_Found(mention, _is_refused(text, first, nxt if merge else first), first.has_day))
    return found, unknown_day


# 月底那个周六 / 下个月初的周一: a weekday inside a third of a month said just before it.
MONTH_THIRD_SAID = re.compile(r"(?:这个|下个|下)?月(?:底|末|初|中)$|[上中下]旬$")
WEEKDAY_SAID = re.compile(r"(?:周|星期|礼拜)[一二三四五六日天1-7]")
BETWEEN_THIRD_AND_DAY = re.compile(r"(?:的|那个|的那个|那|这个|\s)*")


def _weekday_within_third(text: str, third: TimeMention, day: TimeMention) -> Optional[TimeMention]:
    """The weekday moved into the third of the month said before it (月底那个周六: the last
    Saturday of the 21st..end, 月初那个周一: the first Monday of the 1st..10th); None when
    the two are not said together so."""
    if (third.value is not None or third.grain != "range" or not MONTH_THIRD_SAID.search(text[third.start:third.end])
            or not BETWEEN_THIRD_AND_DAY.fullmatch(text[third.end:day.start])
            or not WEEKDAY_SAID.match(text, day.start)):
        return None
    weekday = day.earliest.weekday()
    first, last = third.earliest.date(), third.latest.date()
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    matching = [d for d in days if d.weekday() == weekday]
    if not matching:
        return None
    on = matching[-1] if re.search(r"[底末下]", text[third.start:third.end]) else matching[0]
    shift = timedelta(days=(on - day.earliest.date()).days)
    return replace(day, start=third.start, value=day.value + shift if day.value else None,
                   earliest=day.earliest + shift, latest=day.latest + shift)


def _choose(found: list[_Found], ref: datetime) -> Optional[TimeMention]:
    """The first exact mention neither refused nor wholly past, then the first such
    mention of any grain, then the first not refused, then the first."""
    open_ = [f.mention for f in found if not f.refused]
    # 越快越好,明天一早吧: "as soon as possible" gives way to the time the customer then names.
    named = [m for m in open_ if not ASAP.fullmatch(m.text)]
    open_ = named or open_
    exact = next((m for m in open_ if m.latest >= ref and m.value is not None), None)
    if exact is not None and not exact.dated:
        # 下周一上午送我过去,九点行吗: the clock time on the day said apart from it.
        # (下周二上午 十点到十点半之间,那就十点: a range within one day is a day too.)
        day = next((m for m in open_ if m.dated and m.value is None and (
            m.grain in ("day", "part_of_day") or m.earliest.date() == m.latest.date())), None)
        if day is None:
            # 明天下午三点,改成四点 / 周四上午9点,哦不对,9点半: the day of the time replaced.
            day = next((_whole_day(f.mention) for f in reversed(found) if f.replaced and f.mention.dated), None)
        if day is not None:
            # 明天中午吃完饭 两点吧: a clock outside the day part said is still on that day
            # (not today's, which the day said rules out).
            return _clock_on_day(exact, day, ref) or _clock_on_day(exact, _whole_day(day), ref) or exact
    if exact is None:
        # 周五都行,下午吧: the day part said apart from the day, on that day.
        day = next((m for m in open_ if m.dated and m.grain == "day" and m.latest >= ref), None)
        part = next((m for m in open_ if not m.dated and m.grain == "part_of_day"), None)
        if day is not None and part is not None:
            return _part_on_day(part, day, ref) or day
    if exact is not None:
        return exact
    chosen = next((m for m in open_ if m.latest >= ref), None)
    if chosen is not None:
        # 周末吧,礼拜天上午 / 这周都行,周五下午最好: a later mention inside the window said
        # first narrows it.
        inside = [m for m in open_ if m.start > chosen.start and m.dated and m.latest >= ref
                  and chosen.earliest <= m.earliest and m.latest <= chosen.latest
                  and m.latest - m.earliest < chosen.latest - chosen.earliest]
        return min(inside, key=lambda m: m.latest - m.earliest, default=chosen)
    return next(iter(open_), None) or (found[0].mention if found else None)


def _whole_day(mention: TimeMention) -> TimeMention:
    """The day a mention falls on, as a window of the whole day."""
    on = mention.earliest.date()
    return replace(mention, value=None, grain="day", earliest=_start_of_day(on), latest=_end_of_day(on))


def _part_on_day(part: TimeMention, day: TimeMention, ref: datetime) -> Optional[TimeMention]:
    """A day part (下午) placed on a day said elsewhere in the message; None when that
    window has already passed."""
    on = day.earliest.date()
    earliest = datetime.combine(on, part.earliest.timetz())
    latest = datetime.combine(on, part.latest.timetz())
    if latest < ref:
        return None
    start, end = min(day.start, part.start), max(day.end, part.end)
    return replace(part, start=start, end=end, earliest=earliest, latest=latest, dated=True)


def _clock_on_day(clock: TimeMention, day: TimeMention, ref: datetime) -> Optional[TimeMention]:
    """A bare clock time placed on a day (or day part) said elsewhere in the message; None
    when it does not fall inside that window (下周一上午 … 三点)."""
    hour = clock.value.hour
    when = datetime.combine(day.earliest.date(), clock.value.time(), tzinfo=day.earliest.tzinfo)
    if not day.earliest <= when <= day.latest and hour < 12:
        when = when + timedelta(hours=12)  # 下午 … 三点
    if not day.earliest <= when <= day.latest or when < ref:
        return None
    start, end = min(day.start, clock.start), max(day.end, clock.end)
    return replace(clock, start=start, end=end, value=when, earliest=when, latest=when, dated=True)


# 同一时间 / 还是那个点: the time of day of the time just taken back.
SAME_CLOCK_AFTER = re.compile(r"^[的,，\s]*(?:同一个?(?:时间|点|时候)|一样的?时间|相同时间|还是那个(?:时间|点)|原来的?(?:时间|点))")


def _same_clock_as_replaced(text: str, found: list[_Found], chosen: TimeMention, ref: datetime) -> Optional[TimeMention]:
    """下周一上午十点……不对,换成下周二同一时间: the new day at the clock of the time replaced."""
    if chosen.value is not None or not SAME_CLOCK_AFTER.match(text[chosen.end:]):
        return None
    clock = next((f.mention for f in reversed(found) if f.replaced and f.mention.value is not None), None)
    if clock is None:
        return None
    on_day = _clock_on_day(clock, chosen, ref)
    return replace(on_day, start=chosen.start, end=chosen.end) if on_day else None


# A day part said without a day, next to these, tells when a fault shows (早上偶尔打火费劲,
# 每天晚上开大灯就闪), not when to come.
HABITUAL_AFTER = re.compile(
    r"^(?:的时候|时候|时|偶尔|经常|总是|老是|总|老|有时|有的时候|时不时|一般|容易|特别|起来|一?启动|一?打火|一?着车|"
    r"开车|一开|一打|冷车|热车|刚开|出门)"
)
HABITUAL_BEFORE = re.compile(r"(?:每天|每次|天天|一到|每到|有时|平时|通常|一般|特别是|尤其是?)$")


def _when_it_happens(text: str, found: _Found) -> bool:
    mention = found.mention
    if found.has_day or mention.value is not None or mention.grain != "part_of_day":
        return False
    return bool(HABITUAL_AFTER.match(text[mention.end:]) or HABITUAL_BEFORE.search(text[: mention.start]))


# 下五两点 typed for 下午两点 (the same pinyin, wu): read as meant before a clock time.
PINYIN_WU = re.compile(r"(?<=[上下中])[五舞武](?=[一二两三四五六七八九十\d]{1,3}[点:：])")


def parse_time(text: str, reference: datetime, tz: ZoneInfo | str = SHANGHAI) -> Optional[TimeMention]:
    """The booking time mentioned in ``text``, resolved against ``reference`` in the
    zone ``tz`` (Asia/Shanghai by default), or None.  The datetimes returned carry ``tz``.

    With several mentions, the first exact one (a date and a time of day) that is
    neither refused (今天没空) nor wholly in the past (上周五来过) wins, so the
    booking time beats a time in the complaint (早上启动不了,约大后天上午十点半);
    then the first such mention of any grain; failing that, the first one.  When the
    message names a day the rules cannot place (腊八下午三点), a time of day without
    a day is not taken for today's: such a message gets no time.
    """
    if not isinstance(text, str) or not text:
        return None
    tz = ZoneInfo(tz) if isinstance(tz, str) else tz
    ref = _wall_clock(reference, tz)
    normalised = PINYIN_WU.sub("午", text.translate(NORMALISE))  # one character for one: spans stay
    found, unknown_day = _mentions(normalised, ref)
    if unknown_day:
        found = [f for f in found if f.has_day]
    found = [f for f in found if not _when_it_happens(normalised, f)]
    chosen = _choose(found, ref)
    if chosen is None:
        return None
    chosen = _same_clock_as_replaced(normalised, found, chosen, ref) or chosen
    return _localised(replace(chosen, text=text[chosen.start:chosen.end]), tz)  # original chars
