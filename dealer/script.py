"""The booking script (dealer/booking_script.yml) as typed data."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from dealer.catalog import SERVICE_FLAGS
from dealer.emoji import without_emoji

SCRIPT_PATH = Path(__file__).resolve().parent / "booking_script.yml"
NOT_GIVEN = "unknown"  # stored for an optional step the customer could not answer
# Sounds that acknowledge without answering (嗯 to 什么时候开始的?), and a bare question mark.
BARE_ACKNOWLEDGEMENTS = frozenset({"", "嗯", "嗯嗯", "嗯呢", "哦", "哦哦", "噢", "啊", "额", "呃", "唔"})


def given(value: object) -> object:
    """A slot's value, or None where the customer could not say."""
    return None if value in (NOT_GIVEN, "") else value
BARE_NO = ("没有", "没", "无", "没呢", "木有", "否", "不是", "没有过")
# What is left of an "I don't know" answer once its unknown words are taken out.
UNKNOWN_FILLER = re.compile(
    r"[\s,，。.!！?？~～、…]|这个|那个|具体|实在|真的?|也|都|还|就|我|啊|呀|吧|哦|呢|哈|嗯|额|呃|哎|唉|的|了|"
    r"哪天|哪一天|什么时候|啥时候|几号|哪儿|哪里|"
    r"没注意过?|没留意过?|没太注意|没在意"
)
# 你们那能修空调不? / 能装行车记录仪吗? / 可以代办年检吗: whether the shop does a job. The job
# (or the part) follows the verb; a fault told elsewhere in the message is heard as one.
CAN_YOU_DO = re.compile(
    r"(?:能|可以|会)(?:不能|不可以)?(?:帮忙|帮我|给)?(?:修|做|装|换|弄|搞|办|代办|补|喷|贴|刷)"
    r"[^,，。?？!！\s]{0,10}?(?:吗|么|嘛|不|没|没有|伐|啵)(?=$|[,，。?？!！\s])"
)
# 约 followed by the time (约后天下午四点 / 约周六上午): a booking asked for.
# When a service falls due (销售说三千公里要来做首保 / 5000公里保养一次 / 每一万公里换机油):
# a distance that is no reading of the car's odometer.
SERVICE_INTERVAL = re.compile(
    r"每?[\d零〇一二两三四五六七八九十百千万.]+(?:公里|千米|km)(?:左右)?(?:的时候)?(?:就|一定)?(?:要|得|该|需要|应该)?"
    r"(?:来|去|到店|回店)?(?:做|换|进行)?(?:首保|保养|一保|二保|换机油|机油)(?:一次)?"
)
BOOK_AT_TIME = re.compile(
    r"约(?:在|到|个|一下)?(?:今天|明天|明早|后天|大后天|这周|下周|下礼拜|周[一二三四五六日天末]|星期|礼拜"
    r"|\d{1,2}[号日月点:：]|[一二三四五六七八九十两]{1,3}[号点])"
)
# Bringing the car in to be looked at (那我开过去给你们看看 / 我过来一趟): the visit asked for.
COMING_IN = re.compile(
    r"(?<!怎么)(?<!咋)(?<!如何)(?:开|开车|把车开|把车)?(?:过去|过来|去店里|来店里|去你们那|来你们这)"
    r"(?:一趟(?![吗么嘛?？])|(?:一趟|一下|下)?[，,\s]*(?:让|给|叫|请|找)?(?:你们|师傅|技师)?"
    r"(?:看看|看一下|看下|瞧瞧|查查|查一下|检查一下|检查下|弄弄|修修|修一下)(?![吗么嘛?？]))"
)
# Asking when the car can come in (那看看什么时候能去 / 哪天可以过来): the visit asked for (not
# when it can be picked up: 什么时候能去取车).
WHEN_TO_COME = re.compile(
    r"(?:什么时候|啥时候|哪天|哪一天|几点|什么时间|啥时间)(?:能|可以|方便|好)?(?:去|来|过去|过来|到店|约|排|有空位|有位置)"
    r"(?![^,，。]{0,2}(?:取|拿|提))"
)
# What a warranty repair costs (保修的话不收费吧 / 质保要钱吗 / 三包能全免吗).
WARRANTY_COST = re.compile(r"(?:保修|质保|三包|索赔)[^,，。?？]{0,6}(?:收费|要钱|免费|花钱|自费|全免|掏钱|给钱|付钱)")
# "Never did it before", whatever the verb: 以前没出过这毛病, 电瓶没换过, 从来没在这修过.
# 哦对了 alone: "by the way", which opens something else (its 对 is no yes; a bare 对了
# after a correction says it is right now, and 对了 with more keeps its 对 as before).
BY_THE_WAY_ALONE = re.compile(r"(?:哦|噢|喔|啊|诶|哎|欸)对了[,，。.!！~～…\s]*")
NEVER_BEFORE = re.compile(r"(?:没有|没|未|从没|从来没|从未|不曾)[\u4e00-\u9fff]{0,6}?过")
# "Never had it": 以前没这毛病, 之前没有这种问题, 从来没这情况.
NEVER_HAD = re.compile(
    r"(?:没有?|从来没有?|从没有?|未)(?:这|这个|这种|那个|那种|这样的?)(?:毛病|问题|情况|现象|事)"
    r"|(?:以前|之前|原来|过去|从前)(?:都|从来|一直)?(?:没有?|没出现|没发生)(?:过|这样)?[了啊呀哦的]*$"  # 这个问题以前没有
)
# A reply that opens with agreement (对啊上个月就在你们这修的, 是的 来过两次): yes, unless
# a no-word follows (checked first).
# 中 is Henan / Northeastern 好, alone or before a pause (中 给我整个时间).
LEADING_YES = re.compile(r"^(?:对+|是的|是啊|是呀|嗯+|没错|有的|有过|好(?!像)|是(?=$|[\s,，。!！~])|中(?=$|[\s,，。!！~啊])|成(?=$|[\s,，。!！~啊吧呀]|成))(?![不没])")
# "Nothing else, just the main job" (没有,就把那个响的问题弄好 / 不用了,先把车修好): a no to
# "anything else?", whatever the rest says of the job already booked.
NO_THEN_MAIN_JOB = re.compile(r"^(?:没有了?|没了|没啥了?|没什么了?|没别的了?|没|不用了?|不需要了?|无)[\s,，。.!！~]+(?:就|只|只要|主要|先)")
# The main job as it comes, no more (那就按标准的来 / 照常规做就行 / 按套餐走): no extra work.
STANDARD_JOB = re.compile(
    r"^(?:那|那就|就)?(?:按|照|按照)(?:着)?(?:标准|正常|常规|规定|流程|套餐|手册|你们的?|厂家的?)(?:的|流程|项目|套餐)?"
    r"(?:来|做|走|弄|办)(?:就行|就好|就可以|吧)?$"
)
EXTRA_WORK = re.compile(r"顺便|顺带|另外|也想|也要|还要|还想|再加|加个|加一")
# Not done (上次师傅说没事,没修 / 新车哪修过啊), but 没修好 (done and failed) is a yes.
NOT_DONE = re.compile(r"(?:没有?|没)(?:修|弄|处理|换|来修)(?![好])|哪(?:里|儿)?(?:修|弄|来|处理)过")
# A reply that opens with a bare no and goes on (没有,头一回 / 没,第一次): no.
# What is left of a wish to be quick once its hurry words are taken out (快点弄好就行).
HURRY_FILLER = re.compile(
    r"^(?:麻烦|请|帮我|帮忙|给我|希望|能)?(?:弄|修|搞|做|处理|整)?(?:好|完|定)?(?:就行|就好|就可以)?[了啊吧哈呀哦呢的嘛点些]*$"
)
LEADING_NO = re.compile(r"^(?:没有|没|不是|否)[\s,，。.!！~]+")
# "I don't remember whether it was" (不记得修没修过 / 忘了来没来过): neither yes nor no.
# A verb asked as "verb-not-verb" (要不要 / 需不需要 / 用不用): a question, holding no 不要.
A_NOT_A = re.compile(r"(?<!不)(要|需要|用|换|做)不\1|需不需要")  # (不用不用 says no twice)
UNSURE_WHETHER = re.compile(
    r"(?:不记得|记不得|记不清|记不住|忘了|忘记了?|不知道|不清楚|不确定)[\u4e00-\u9fff]{0,4}?(.)没(?:有)?\1"
    # 不知道 以前的车管没说: not known, whatever the reason given after it
    r"|^(?:我也?|这个|那)?(?:不知道|不清楚|不太清楚|不记得了?|记不清了?|没印象)(?:了|啊|呢|诶|欸|哎)?(?:[\s,，。!！]|$)"
)
# Regional words that need their context: Cantonese 系 (是) said as a clause of its own,
# 啱 (对; 啱啱 is 刚刚), Sichuanese 莫 before a verb (莫修过 = 没修过; not 莫名其妙).
# Words holding a yes word that say no yes (打了好几次 / 好久 / 行驶 / 要打好几下才着).
NOT_A_YES = re.compile(r"好(?:几|些|多|久|像|一阵|半天|长时间)|行驶|行车|(?:要|得)(?:打|拧|按|踩|等)")
# Chat English for a bare yes or no (nope / nah / yep), as a whole word.
CHAT_NO = re.compile(r"(?<![A-Za-z])(?:nope|nah|no|none|nothing)(?![A-Za-z])", re.IGNORECASE)
CHAT_YES = re.compile(r"(?<![A-Za-z])(?:yes|yep|yeah|yup|sure)(?![A-Za-z])", re.IGNORECASE)
CANTONESE_YES = re.compile(r"(?:^|(?<=[\s,，。.!！~]))[系係](?=$|[\s,，。.!！~啊呀嘅喇咯])")
CANTONESE_RIGHT = re.compile(r"啱(?!啱)")
SICHUAN_NOT = re.compile(r"(?<![约])[莫冒](?=[修弄换处来去动管搞试])")  # Hunan 冒修过 too



def says_a_no_word(text: str, yes_words: tuple[str, ...], no_words: tuple[str, ...]) -> bool:
    """A no-word in the text, unless it is the tail of a yes-word said first: 没错了 holds
    错了, and means yes; 不对 holds 对, and means no."""
    yes_at = [(m.start(), m.start() + len(word)) for word in yes_words for m in re.finditer(re.escape(word), text)]
    for word in no_words:
        for m in re.finditer(re.escape(word), text):
            if not any(start < m.start() < end for start, end in yes_at):
                return True
    return False


@dataclass(frozen=True)
class ScriptStep:
    step: str
    slot: str
    ask: str
    required: bool
    service_flag: str | None = None  # asked only for services with this attribute (interview, ask_vin)
    returning_customer_only: bool = False

    def applies(self, service_flags: frozenset[str], first_visit: object) -> bool:
        if self.service_flag and self.service_flag not in service_flags:
            return False
        if self.returning_customer_only and first_visit is not False:
            return False
        return True


@dataclass(frozen=True)
class WhatDetail:
    """A kind of symptom whose detail an advisor asks for (the noise, the light, the smell)."""

    generic: tuple[str, ...]
    specific: tuple[str, ...]
    ask: str

    def missing_in(self, what: str) -> bool:
        return any(w in what for w in self.generic) and not any(w in what for w in self.specific) \
            and not ONOMATOPOEIA.search(what)


# A sound written as itself (嗡嗡 / 哐哐 / 砰砰): the noise is described, whatever the characters.
ONOMATOPOEIA = re.compile(r"([\u53e3-\u56ff])\1")


@dataclass(frozen=True)
class BookingScript:
    steps: tuple[ScriptStep, ...]
    documents_first_visit: tuple[str, ...]
    documents_returning: tuple[str, ...]
    no_answer_words: tuple[str, ...]
    not_given_label: str
    mileage_unit: str
    yes_no_words: dict[str, tuple[tuple[str, ...], tuple[str, ...]]]  # slot -> (yes, no)
    correction_lead_ins: tuple[str, ...] = ()  # 是 / 应该是 … before a corrected complaint
    complaint_lead_ins: tuple[str, ...] = ()  # 还有 / 另外 … before a further complaint
    question_words: dict[str, tuple[str, ...]] | None = None  # ask_price -> (多少钱, …)
    shop_fact_words: dict[str, tuple[str, ...]] | None = None  # invoice -> (发票, …)
    booking_request_words: tuple[str, ...] = ()  # 帮我约 / 预约 … : an appointment is asked for
    odometer_words: tuple[str, ...] = ()  # 跑了 / 表上 … : a distance is the car's mileage
    no_fault_words: tuple[str, ...] = ()  # 没啥问题 / 例行 … : a check without a complaint
    service_reminder_words: tuple[str, ...] = ()  # 小扳手 / 保养灯 … : the car says maintenance is due
    courtesy_words: dict[str, tuple[str, ...]] | None = None  # thank -> (谢谢, …), goodbye -> (再见, …)
    unknown_words: tuple[str, ...] = ()  # 不清楚 / 记不得 … : the customer does not know
    abandon_words: tuple[str, ...] = ()  # 不约了 / 算了 … : the booking itself is given up
    defer_to_visit_words: tuple[str, ...] = ()  # 到了再说 … : this answer is left for the visit
    human_request_words: tuple[str, ...] = ()  # 人工 / 客服 / 顾问 … : a person is asked for
    cancel_words: tuple[str, ...] = ()  # 取消 / 不去了 … : a booking made is called off
    undecided_words: tuple[str, ...] = ()  # 还没想好 / 看看哪天 : the day is not decided yet
    standard_words: dict[str, str] | None = None  # 莫得 → 没有, 要得 → 好的
    leave_it_to_us_words: tuple[str, ...] = ()  # 随便 / 你们定 : the dealer may choose
    time_change_words: tuple[str, ...] = ()  # 改到 / 换成 / 来不了 : the booking time changes
    hurry_words: tuple[str, ...] = ()  # 快点 / 越快越好 : a wish to be quick, no extra work
    withheld_words: tuple[str, ...] = ()  # 不方便说 / 不想留 : a personal detail withheld
    non_answer_words: tuple[str, ...] = ()  # 你问这个干嘛 / 不懂你意思 : no answer to an interview question
    phone_reference_words: tuple[str, ...] = ()  # 就这个微信号的手机 : a number the bot cannot see
    what_details: tuple[WhatDetail, ...] = ()  # 异响 without 咯噔 / 吱吱 …: what it sounds like is asked

    def detail_to_ask(self, what: str) -> str | None:
        """The response that asks what the complaint leaves out (底盘异响: what the noise
        sounds like), or None when it says enough."""
        return next((d.ask for d in self.what_details if d.missing_in(what)), None)

    def changes_time(self, text: str) -> bool:
        return any(word in text for word in self.time_change_words)

    def undecided(self, text: str) -> bool:
        return any(word in text for word in self.undecided_words)

    def leaves_it_to_us(self, text: str) -> bool:
        return any(word in text for word in self.leave_it_to_us_words)

    def standardised(self, text: str) -> str:
        """The answer with regional and chat words (莫得, 要得) in their standard form; a bare
        系 (Cantonese 是) too."""
        for word, standard in sorted((self.standard_words or {}).items(), key=lambda item: -len(item[0])):
            text = text.replace(word, standard)  # longest first: 冇错 before 冇
        text = CHAT_NO.sub("没有", CHAT_YES.sub("是的", text))  # nope / yep typed in English
        text = CANTONESE_YES.sub("是", text.replace("啱啱", "刚刚"))
        return SICHUAN_NOT.sub("没", CANTONESE_RIGHT.sub("对", text))

    @property
    def slots(self) -> list[str]:
        return [step.slot for step in self.steps]

    def slots_to_ask(self, service_flags: frozenset[str], first_visit: object) -> list[str]:
        """The steps for a service with these catalogue attributes (ServiceType.flags)."""
        return [s.slot for s in self.steps if s.applies(service_flags, first_visit)]

    @staticmethod
    def only_by_the_way(text: str) -> bool:
        """哦对了 alone: something else is about to be said."""
        return bool(BY_THE_WAY_ALONE.fullmatch(text.strip()))

    def read_yes_no(self, slot: str, text: str) -> bool | None:
        """Yes/no in the customer's own words (上次来升级过,又死机了 → yes); None if unclear.

        "No" words are checked first (没修过 contains 修过); a bare 没有/没 is a no.
        """
        yes_words, no_words = self.yes_no_words[slot]
        text = self.standardised(text)
        if self.only_by_the_way(text):
            return None  # 哦对了 (by the way): something else follows, no 对
        cleaned = text.strip(" ,，。.!！~～了啊呀哦吧呢的啦嘞咯哈嘛")
        if UNSURE_WHETHER.search(text):
            return None
        if (LEADING_NO.match(text) or says_a_no_word(text, yes_words, no_words) or cleaned in BARE_NO
                or NEVER_BEFORE.search(text) or NEVER_HAD.search(text) or NOT_DONE.search(text)):
            return False
        if any(word in NOT_A_YES.sub(" ", text) for word in yes_words) or LEADING_YES.match(cleaned):
            return True
        return None

    @property
    def all_courtesy_words(self) -> tuple[str, ...]:
        return tuple(word for words in (self.courtesy_words or {}).values() for word in words)

    def courtesy_kind(self, text: str) -> str | None:
        """thank / goodbye when the words say one (谢谢你啊小姑娘,到时候我准时到), else None."""
        for kind, words in (self.courtesy_words or {}).items():
            if any(word in text for word in words):
                return kind
        return None

    def without_service_reminder(self, clauses: list[str]) -> list[str]:
        """The clauses left once those telling the car's maintenance reminder are taken out."""
        return [c for c in clauses if not any(word in c for word in self.service_reminder_words)]

    def names_service_reminder(self, text: str) -> bool:
        return any(word in text for word in self.service_reminder_words)

    def says_no_fault(self, text: str) -> bool:
        return any(word in text for word in self.no_fault_words)

    def says_unknown(self, text: str) -> bool:
        return any(word in text for word in self.unknown_words)

    def only_unknown(self, text: str) -> bool:
        """The answer says nothing but "I don't know" (这个真不好说, 说不清 没注意过)."""
        rest = text = self.standardised(text)
        for word in sorted(self.unknown_words, key=len, reverse=True):
            rest = rest.replace(word, "")
        return rest != text and not UNKNOWN_FILLER.sub("", rest)

    def abandons_booking(self, text: str) -> bool:
        return any(word in text for word in self.abandon_words)

    def defers_to_visit(self, text: str) -> bool:
        return any(word in text for word in self.defer_to_visit_words) and not self.abandons_booking(text)

    def is_optional(self, slot: str | None) -> bool:
        return any(step.slot == slot and not step.required for step in self.steps)

    def names_odometer(self, text: str) -> bool:
        text = SERVICE_INTERVAL.sub(" ", text)  # 三千公里要来做首保: when it is due, not the odometer
        return any(word in text for word in self.odometer_words)

    def asks_for_booking(self, text: str) -> bool:
        return (any(word in text for word in self.booking_request_words) or bool(BOOK_AT_TIME.search(text))
                or bool(COMING_IN.search(text)) or bool(WHEN_TO_COME.search(text)))

    def asks_if_done_here(self, text: str) -> bool:
        """能修空调不? / 能装行车记录仪吗?: whether the shop does the work (not when)."""
        return bool(CAN_YOU_DO.search(text))

    def without_can_you_do(self, text: str) -> str:
        """The words besides the "can you do it?" (空调不凉了 | 能修吗)."""
        return CAN_YOU_DO.sub(" ", text)

    def question_kind(self, text: str) -> str | None:
        """ask_price / ask_hours / ask_address when the words ask one, else None."""
        if WARRANTY_COST.search(text):
            return "ask_warranty"  # 保修的话不收费吧?: whether the warranty covers it, not the price list
        if self.shop_fact_topic(text):
            return "ask_shop_fact"  # 修车能开发票吗 / 有代步车吗: what the shop offers, from the dealer's file
        for kind, words in (self.question_words or {}).items():
            if any(word in text for word in words):
                if kind == "ask_if_cannot_come" and not (ASKED.search(text) or IF_SO.search(text)):
                    continue  # 周六去不了了: said, not asked (the booking moves or is cancelled)
                return kind
        return None

    def shop_fact_topic(self, text: str) -> str | None:
        """invoice / courtesy_car / … when the words name what the shop offers."""
        if not ASKED.search(text):
            return None  # 充电桩充不上电: a fault of the car's charging, not a question to the shop
        return next((topic for topic, words in (self.shop_fact_words or {}).items()
                     if any(word in text for word in words)), None)

    def says_not_known(self, text: str) -> bool:
        """A no-answer word anywhere (车架号我记不住,行驶证在我老公那), however long the message."""
        return any(word in text for word in self.no_answer_words)

    def answers_nothing(self, text: str) -> bool:
        """An interview answer that tells nothing: a bare 嗯 / ?, or a short pushback or
        puzzlement (你问这个干嘛 / 不懂你意思)."""
        said = re.sub(r"[\W_]+", "", text)
        if said in BARE_ACKNOWLEDGEMENTS:
            return True
        rest = said
        for word in self.non_answer_words:
            rest = rest.replace(word, "")
        # (看了下保险丝,看不懂: 看不懂 said of the fuse, beside an answer.)
        return len(said) <= 12 and rest != said and len(re.findall(r"[\u4e00-\u9fff]", rest)) < 4

    def withholds(self, text: str) -> bool:
        """The customer would rather not tell (不方便说 / 不想留电话)."""
        return any(word in text for word in self.withheld_words)

    def refers_to_an_unseen_phone(self, text: str) -> bool:
        """就这个微信号的手机: a number the customer takes the chat to know."""
        return any(word in text for word in self.phone_reference_words)

    def only_hurries(self, text: str) -> bool:
        """The words only ask to be quick (快点弄好就行, 麻烦尽快): no job of their own."""
        rest = text
        for word in sorted(self.hurry_words, key=len, reverse=True):
            rest = rest.replace(word, "")
        return rest != text and bool(HURRY_FILLER.match(rest))

    def means_no_answer(self, text: str) -> bool:
        said = self.standardised(text).strip(" ,，。.!！~～")
        cleaned = said.strip("了啊呀哦吧啦嘞咯哈呢嘛")  # 没了 / 没啦 → 没: a bare no too
        asked = A_NOT_A.sub("", said)  # 看看要不要保养: a question, not a 不要
        return (any(word in asked for word in self.no_answer_words) or cleaned in BARE_NO) and len(said) <= 8

    def wish_besides_no(self, text: str) -> str | None:
        """The wish in an answer that also says "nothing else" (就洗车,别的没了 → 就洗车)."""
        said = self.standardised(text).strip()
        if NO_THEN_MAIN_JOB.match(said) and not EXTRA_WORK.search(said):
            return None
        parts = [p for p in re.split(r"[\s,，。.;；!！~～]+", said) if p]
        wishes = [p for p in parts if not self.means_no_answer(p) and self.courtesy_kind(p) is None
                  and not STANDARD_JOB.match(p) and not self.only_hurries(p)]
        return ",".join(wishes) if wishes and len(wishes) < len(parts) else None

    def declines_extra(self, text: str) -> bool:
        """No extra work: a bare no, or a no followed by the main job again."""
        said = self.standardised(text).strip()
        parts = [p for p in re.split(r"[\s,，。.;；!！~～]+", without_emoji(said)) if p]
        if parts and all(STANDARD_JOB.match(p) or self.means_no_answer(p) or self.courtesy_kind(p)
                         or self.only_hurries(p) for p in parts) \
                and any(STANDARD_JOB.match(p) or self.means_no_answer(p) for p in parts):
            return True  # 那就按标准的来,别的不用了 / 没啦～谢谢🙏 / 没有,快点弄好就行
        return self.means_no_answer(text) or bool(NO_THEN_MAIN_JOB.match(said) and not EXTRA_WORK.search(said))

    def documents(self, first_visit: object) -> tuple[str, ...]:
        return self.documents_returning if first_visit is False else self.documents_first_visit


# Question-shaped words: a particle, a question mark, or an A-not-A.
# 咋办 / 怎么办 / 要是…: what then, asked.
IF_SO = re.compile(r"咋办|怎么办|咋整|怎么弄|要是|万一|如果")
ASKED = re.compile(r"[吗么嘛?？]|[不没]$|有没有|能不能|可不可以|可以不|行不|有不|支不支持|提不提供|开不开|多久|多长时间|几分钟|怎么")


@lru_cache
def load_script(path: Path = SCRIPT_PATH) -> BookingScript:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    steps = []
    for entry in raw["steps"]:
        when = entry.get("when") or {}
        steps.append(
            ScriptStep(
                step=entry["step"],
                slot=entry["slot"],
                ask=entry["ask"],
                required=bool(entry["required"]),
                service_flag=next((flag for flag in SERVICE_FLAGS if when.get(flag)), None),
                returning_customer_only=bool(when.get("returning_customer", False)),
            )
        )
    documents = raw["documents"]
    return BookingScript(
        steps=tuple(steps),
        documents_first_visit=tuple(documents["first_visit"]),
        documents_returning=tuple(documents["returning"]),
        no_answer_words=tuple(raw["no_answer_words"]),
        not_given_label=raw["not_given_label"],
        mileage_unit=raw["mileage_unit"],
        yes_no_words={
            slot: (tuple(words["yes"]), tuple(words["no"])) for slot, words in raw["yes_no_words"].items()
        },
        correction_lead_ins=tuple(raw.get("correction_lead_ins", ())),
        complaint_lead_ins=tuple(raw.get("complaint_lead_ins", ())),
        question_words={kind: tuple(words) for kind, words in raw.get("question_words", {}).items()},
        shop_fact_words={topic: tuple(words) for topic, words in raw.get("shop_fact_words", {}).items()},
        booking_request_words=tuple(raw.get("booking_request_words", ())),
        cancel_words=tuple(raw.get("cancel_words", ())),
        odometer_words=tuple(raw.get("odometer_words", ())),
        courtesy_words={kind: tuple(words) for kind, words in raw.get("courtesy_words", {}).items()},
        no_fault_words=tuple(raw.get("no_fault_words", ())),
        service_reminder_words=tuple(raw.get("service_reminder_words", ())),
        unknown_words=tuple(raw.get("unknown_words", ())),
        abandon_words=tuple(raw.get("abandon_words", ())),
        defer_to_visit_words=tuple(raw.get("defer_to_visit_words", ())),
        human_request_words=tuple(raw.get("human_request_words", ())),
        undecided_words=tuple(raw.get("undecided_words", ())),
        standard_words=dict(raw.get("standard_words") or {}),
        leave_it_to_us_words=tuple(raw.get("leave_it_to_us_words", ())),
        time_change_words=tuple(raw.get("time_change_words", ())),
        hurry_words=tuple(raw.get("hurry_words", ())),
        withheld_words=tuple(raw.get("withheld_words", ())),
        non_answer_words=tuple(raw.get("non_answer_words", ())),
        phone_reference_words=tuple(raw.get("phone_reference_words", ())),
        what_details=tuple(
            WhatDetail(generic=tuple(d["generic"]), specific=tuple(d["specific"]), ask=d["ask"])
            for d in (raw.get("what_details") or {}).values()
        ),
    )
