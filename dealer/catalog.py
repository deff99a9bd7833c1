"""The dealer's catalogue (service types, prices, hours, advisors) read from YAML.

Pure Python and PyYAML only, so the bot runtime (which builds entity patterns
from the service-type synonyms) can import it as well.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time
from functools import cached_property, lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from dealer.homophones import sounds_in as _sounds_in
from dealer.validation import CN_DIGIT_VALUES

DEFAULT_CATALOG = Path(__file__).resolve().parent / "demo_dealer.yml"
# Issue 14: the network's other dealers, one file each in the default file's format
# (dealer/dealers/<code>.yml); the default dealer stays dealer/demo_dealer.yml.
DEALERS_DIR = Path(__file__).resolve().parent / "dealers"
DEFAULT_DEALER_CODE = "demo"


# The service attributes a booking-script step may depend on (its `when`).
SERVICE_FLAGS = ("interview", "ask_vin", "describe")


@dataclass(frozen=True)
class ServiceType:
    code: str
    name: str
    synonyms: tuple[str, ...]
    # Words that name it only as a whole answer to 想做什么项目? (修), too short to look for inside a sentence.
    answers: tuple[str, ...] = ()
    interview: bool = False  # the symptom interview (Chery steps 5-6) is run
    quote: str = "none"  # price_list | after_inspection | none (step e)
    ask_vin: bool = False  # the VIN is asked for (optional)
    # No interview, but what the job is in the customer's words (body work: where, what).
    describe: bool = False
    job_words: tuple[str, ...] = ()  # what marks a piece of a message as describing the job
    # Parts that, told in one clause with a job word, name this service without its name
    # (前保险杠让人给怼了一下,裂了个口子: body work).
    parts: tuple[str, ...] = ()
    # When a message names several services, the highest rank is what the customer
    # came for (a fault over routine work, a warranty claim over a repair); the rest
    # are extra requests.
    rank: int = 0
    # A described fault turns this service into that one (能约个检查吗 + a fault: repair).
    with_fault: str | None = None
    # Named beside another service, the other is the booking and this is extra work.
    gives_way: bool = False

    @property
    def flags(self) -> frozenset[str]:
        """The script conditions this service meets (dealer/booking_script.yml `when`)."""
        return frozenset(name for name in SERVICE_FLAGS if getattr(self, name))


@dataclass(frozen=True)
class PrivacyNotice:
    """PIPL: what is collected and why, shown before the first personal detail is asked."""

    version: str
    url: str  # where a customer reads the full text (the API's /privacy)
    purpose: str  # 预约登记、到店服务… in the short notice
    text: str  # the full text, one paragraph per line

    @property
    def paragraphs(self) -> tuple[str, ...]:
        return tuple(line.strip() for line in self.text.splitlines() if line.strip())


@dataclass(frozen=True)
class MaintenancePackage:
    code: str
    name: str
    price_yuan: int
    includes: str
    duration_minutes: int


def _hours(minutes: int) -> str:
    return f"{minutes // 60}小时" + ("半" if minutes % 60 >= 30 else "") if minutes >= 60 else f"{minutes}分钟"


@dataclass(frozen=True)
class ReminderPolicy:
    """When the worker reminds and follows up (``reminders:`` in the dealer file)."""

    day_before_at: time = time(10, 0)  # the day-before reminder, local time
    followup_after_days: int = 3  # 回访: days after delivery
    quiet_start: time = time(21, 0)  # nothing automatic is sent from here ...
    quiet_end: time = time(8, 0)  # ... to here (across midnight)
    wechat_window_hours: int = 48  # WeChat's customer-service window since the customer's last message
    wechat_template_id: str = ""  # a template message outside the window; empty: none
    max_attempts: int = 5  # channel errors before the reminder goes to the call list
    retry_after_seconds: int = 60  # doubled after each channel error
    no_answer_retry_minutes: int = 120  # an unanswered call comes back on the list after this
    max_call_attempts: int = 3

    def is_quiet(self, local: time) -> bool:
        if self.quiet_start <= self.quiet_end:
            return self.quiet_start <= local < self.quiet_end
        return local >= self.quiet_start or local < self.quiet_end


def _reminder_policy(raw: dict | None) -> ReminderPolicy:
    raw = raw or {}
    quiet = raw.get("quiet_hours") or {}
    default = ReminderPolicy()
    return ReminderPolicy(
        day_before_at=_hhmm(raw["day_before_at"]) if "day_before_at" in raw else default.day_before_at,
        followup_after_days=int(raw.get("followup_after_days", default.followup_after_days)),
        quiet_start=_hhmm(quiet["start"]) if "start" in quiet else default.quiet_start,
        quiet_end=_hhmm(quiet["end"]) if "end" in quiet else default.quiet_end,
        wechat_window_hours=int(raw.get("wechat_window_hours", default.wechat_window_hours)),
        wechat_template_id=str(raw.get("wechat_template_id") or ""),
        max_attempts=int(raw.get("max_attempts", default.max_attempts)),
        retry_after_seconds=int(raw.get("retry_after_seconds", default.retry_after_seconds)),
        no_answer_retry_minutes=int(raw.get("no_answer_retry_minutes", default.no_answer_retry_minutes)),
        max_call_attempts=int(raw.get("max_call_attempts", default.max_call_attempts)),
    )


@dataclass(frozen=True)
class AdvisorEntry:
    code: str
    name: str
    # female / male, when the dealer's file says: a customer may wish for a female advisor.
    gender: str | None = None


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    role: str
    advisor_code: str | None
    # A group manager's further dealers (their codes), besides the file's own.
    dealers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Catalog:
    name: str
    short_name: str
    phone: str
    rescue_phone: str
    address: str
    timezone: ZoneInfo
    opens_at: time
    closes_at: time
    slot_minutes: int
    slot_capacity: int
    booking_horizon_days: int
    advisors: tuple[AdvisorEntry, ...]
    service_types: tuple[ServiceType, ...]
    maintenance_packages: tuple[MaintenancePackage, ...]
    demo_accounts: tuple[DemoAccount, ...]
    privacy: PrivacyNotice
    # After 转人工: an advisor calls back within this many minutes during opening hours.
    callback_minutes: int = 30
    # Live upcoming bookings one phone / one conversation may hold; one more is refused.
    live_bookings_per_phone: int = 2
    live_bookings_per_conversation: int = 2
    # An appointment not arrived this long after its start is a no-show (未到店).
    no_show_grace_minutes: int = 30
    # Issue 12: the day-before reminder, the 回访, quiet hours (dealer/worker.py).
    reminders: ReminderPolicy = ReminderPolicy()
    # Issue 13: the phone-script trainer's pass mark (score 0-100).
    training_pass_mark: int = 80
    # Issue 14: the dealer's code (``dealer.code``), the key of its row in the database.
    code: str = DEFAULT_DEALER_CODE
    # The makers' new-car warranty (整车质保): a fault within it is a warranty claim.
    warranty_months: int = 36
    # What the shop offers besides the work (发票 / 代步车 / 休息区 …): topic -> the answer a
    # customer reads; the topics' words are in dealer/booking_script.yml (shop_fact_words).
    shop_facts: tuple[tuple[str, str], ...] = ()

    def advisor_named(self, text: str) -> tuple[AdvisorEntry | None, str | None]:
        """The advisor the words name (李明 / 张顾问 / 王经理), as (this dealer's advisor or None,
        the name or surname said); (None, None) when the words name nobody."""
        for advisor in self.advisors:
            if advisor.name in text:
                return advisor, advisor.name
        gender = _GENDER_WISHED.search(text)
        if gender:
            # 有女的服务顾问吗 / 安排女顾问接待: the first advisor of that gender ("女" when none).
            wanted = ADVISOR_GENDERS[gender[1]]
            return next((a for a in self.advisors if a.gender == wanted), None), gender[1]
        said = next((m[1] or m[2] for m in _ADVISOR_SAID.finditer(text) if (m[1] or m[2]) not in _NOT_A_SURNAME), None)
        if said is None:
            return None, None
        matching = [advisor for advisor in self.advisors if advisor.name.startswith(said)]
        return (matching[0] if len(matching) == 1 else None), said

    def shop_fact(self, topic: str | None) -> str | None:
        """This dealer's answer on a topic, None when it has none (the advisor answers)."""
        return dict(self.shop_facts).get(topic) if topic else None

    def within_warranty(self, text: str) -> bool:
        """The words tell a car young enough for the new-car warranty (新车 / 才买半年 /
        买了一年多, not 开了五年了)."""
        months = months_owned(text)
        return months is not None and months < self.warranty_months and not self.warranty_said_over(text)

    def warranty_said_over(self, text: str) -> bool:
        """刚过质保 / 不在保修期了 / 过保了: the customer says the warranty is over (the same
        reading as a service word said as over, see _named)."""
        synonyms = self.service_type("warranty").synonyms
        return any(word in text for word in _WARRANTY_OVER) or any(
            synonym in text and not _named(synonym, text, state_counts=True) for synonym in synonyms
        )

    def fault_service(self, text: str) -> str:
        """What a told fault is booked as: a warranty claim on a car within the warranty
        (新车才买半年,中控屏老是黑屏), otherwise a repair."""
        return "warranty" if self.within_warranty(text) else "repair"

    def service_type(self, code: str) -> ServiceType:
        for service in self.service_types:
            if service.code == code:
                return service
        raise KeyError(code)

    @property
    def opening_hours_text(self) -> str:
        return f"{self.opens_at:%H:%M}–{self.closes_at:%H:%M}"

    def price_list_text(self, words: str = "") -> str:
        """小保养480元(…);大保养1280元(…) — only the package named in ``words`` if any."""
        named = [p for p in self.maintenance_packages if p.name in words]
        return ";".join(f"{p.name}{p.price_yuan}元({p.includes})" for p in named or self.maintenance_packages)

    def duration_text(self, words: str = "") -> str:
        """小保养约1小时;大保养约2小时 — only the package named in ``words`` if any."""
        named = [p for p in self.maintenance_packages if p.name in words]
        return ";".join(
            f"{p.name}约{_hours(p.duration_minutes)}" for p in named or self.maintenance_packages
        )

    @property
    def service_codes(self) -> frozenset[str]:
        return frozenset(service.code for service in self.service_types)

    def is_interview(self, code: str | None) -> bool:
        return code in self.service_codes and self.service_type(code).interview

    def services_named(self, words: str, describes_fault: bool = False) -> set[str]:
        """The services the words name; typed with a homophone (保样) when none is named as is."""
        words = _without_measure_words(words)
        named = {code for code, synonym in self._synonyms() if _named(synonym, words, describes_fault)}
        named |= self._named_by_part(words)
        return named or {code for code, synonym in self._synonyms() if _sounds_in(synonym, words)}

    def services_declined(self, words: str) -> set[str]:
        """The services the words name only to decline them (这次先不保养了, 保养上个月刚做过)."""
        words = _without_measure_words(words)
        declined = {code for code, synonym in self._synonyms()
                    if any(declined_at(words, m.start(), m.end()) for m in re.finditer(re.escape(synonym), words))}
        # Most words decline nothing: then the services they name (and their homophones,
        # ~1.5 ms of an action call) need not be looked for.
        return declined - self.services_named(words) if declined else declined

    def _named_by_part(self, words: str) -> set[str]:
        """Services told by a part and a job word in one clause (后保险杠裂了个口子)."""
        pieces = re.split(r"[,，。.;；!！?？\s]+", words)
        return {
            service.code
            for service in self.service_types
            if service.parts
            for piece in pieces
            if any(part in piece for part in service.parts) and any(word in piece for word in service.job_words)
        }

    def without_jobs_giving_way(self, words: str) -> str:
        """The words without the jobs that give way to other services (换四条轮胎 → 多少钱):
        what is left tells whether a fault is described beside them."""
        words = _without_measure_words(words)
        jobs = sorted((synonym for code, synonym in self._synonyms()
                       if self.service_type(code).gives_way), key=len, reverse=True)
        for job in jobs:
            words = words.replace(job, " ")
        return words

    def _synonyms(self) -> tuple[tuple[str, str], ...]:
        return self._synonym_pairs

    @cached_property
    def _synonym_pairs(self) -> tuple[tuple[str, str], ...]:
        return tuple(
            (service.code, synonym)
            for service in self.service_types
            for synonym in (service.code, service.name, *service.synonyms)
            if synonym
        )

    def main_service_for(self, words: str, describes_fault: bool) -> str | None:
        """What the customer asks for in ``words``: the highest-ranked service named,
        changed by a described fault where the catalogue says so; None if none is named.
        A service named only after 顺便 (做保养,顺便把划痕补一下漆) is extra work, not the main
        one, when another is named before it."""
        answered = self._answered_alone(words)
        if answered:
            return answered
        main_part = without_by_the_way(words)
        named = self.services_named(main_part, describes_fault)
        if not named and describes_fault and main_part != words and re.search(r"[\u4e00-\u9fff]{2}", main_part):
            # 倒车雷达不响了,顺便后保险杠蹭掉块漆也想补一下: the fault told first is the job;
            # the paint asked by the way is extra work (the caller makes the fault a repair).
            return None
        named = named or self.services_named(words, describes_fault)
        if named and all(self.service_type(code).gives_way for code in named):
            # 想换两条前胎,顺便做个保养: the tyres go along with the maintenance.
            named = {code for code in self.services_named(words, describes_fault)
                     if not self.service_type(code).gives_way} or named
        if not named:
            return None
        main = self.service_type(max(named, key=lambda code: self.service_type(code).rank))
        if describes_fault and main.with_fault:
            return main.with_fault
        return main.code

    def _answered_alone(self, words: str) -> str | None:
        said = words.strip(" ,，。.!！~～吧啊呀的了哈呗嘛")
        return next((s.code for s in self.service_types if said in s.answers), None)

    def service_code_for(self, words: str) -> str | None:
        """Map a customer's words (保养, 修车, 喷漆 ...) to a service-type code.

        The longest synonym found in the words wins, so 钣金喷漆 beats 喷漆
        and 小保养 beats 保养.
        """
        answered = self._answered_alone(words)
        if answered:
            return answered
        words = _without_measure_words(words)
        for matches in (_named, _sounds_in):
            found = [(len(synonym), code) for code, synonym in self._synonyms() if matches(synonym, words)]
            if found:
                return max(found, key=lambda pair: pair[0])[1]
            by_part = self._named_by_part(words)
            if by_part:
                return by_part.pop() if len(by_part) == 1 else None
        return None


# 换个机油 / 换一下机油 / 做次保养: the verb and its object as the synonyms name them (换机油).
# 换四条轮胎 / 换两个前胎 / 做个四轮定位 too: the count of parts goes with the measure word.
_VERB_MEASURE = re.compile(
    r"([换做补喷加贴装])(?:一下子|一下|一次|[一两二三四五六俩1-6]?[个条只套副]|俩|下|次)(?=[\u4e00-\u9fff])"
)


# What follows 顺便 / 另外 to the end of the sentence is extra work, with the clauses that go
# on about it (约个保养,顺便帮我检查下胎压,轮胎好像有点亏气).
_BY_THE_WAY = re.compile(
    r"(?:顺便|顺带|顺道|捎带)[^。;；!！?？]*"
    # 倒车影像黑屏了,想修一下,另外后杠有点掉漆顺便补一下: a clause told as "also" is extra work.
    r"|(?:^|(?<=[,，。;；!！?？\s]))(?:另外|此外|还有就是|再就是|还有)[^。;；!！?？]*"
    # 主要是跑偏这个想让师傅看看,保养顺便做了: the clause that says its own job is by the way.
    r"|(?:^|(?<=[,，。;；!！?？\s]))[^,，。;；!！?？\s]{1,8}?(?:也|就)?(?:顺便|顺带|顺道|捎带)(?:也|就)?"
    r"(?:做|弄|搞|办|整)?(?:一下|了|下|吧|呗)*(?=$|[,，。;；!！?？\s])"
)


def without_by_the_way(words: str) -> str:
    """The words without what is asked 顺便 (by the way) or 另外 (also): the extra work."""
    return _BY_THE_WAY.sub("", words)


def _without_measure_words(words: str) -> str:
    return _VERB_MEASURE.sub(r"\1", words)


# A service word said as over or missing is not asked for: 刚过质保期, 不在保修期内, 出保了,
# 质保到期了.
_OVER_BEFORE = re.compile(r"(?:过了|刚过|已过|超过|超出|出了|过|不在|没有|没)$")
_OVER_AFTER = re.compile(r"^期?(?:内)?(?:已经|早就|早|都|刚)?(?:过了|过期|到期|结束|外|已过)")


# 还在质保期 / 在保修期内: the car's state, not a claim asked for (车还在质保期,想做个首保).
_STATE_BEFORE = re.compile(r"在$")
_STATE_AFTER = re.compile(r"^期")
# Synonyms that only ever tell the car's state (还在保, 保内): a claim only with a fault told.
_STATE_SYNONYMS = frozenset({"在保", "保内"})


# A service said as not wanted this time is not asked for: 这次先不保养了, 不是保养哈, 保养上个月刚
# 做过, 保养还没到公里数, 划痕这次先不弄; nor is a document named after it (保养记录, 保养手册).
# 要不/用不/做不/能不/是不 before 不 ask (要不要做保养, 是不是该保养了): no refusal.
_DECLINED_BEFORE = re.compile(r"(?<![要用想做能是])(?:不是|不用|不要|不想|不必|不需要|别|免|不)(?:再)?(?:做|弄|搞|整)?(?:个|次)?$")
_DECLINED_AFTER = re.compile(
    r"^(?:记录|手册|本子?|单子?|卡)"
    r"|^(?:的话)?(?:这次|这回|今天|暂时|就|先|也|咱)*(?:不用|不要|不做|不弄|不搞|不整|不了|免了|算了|下次|以后再|改天|先不|就不|还没到|没到|不需要|不急)"
    r"|^(?:我|的)?(?:上个?月|上个?礼拜|上个?星期|上周|前几天|前阵子|前段时间|上次|刚|才|已经|其实)[^,，。;；!！?？]{0,8}?(?:做过|做了|弄过|弄了)"
)


def declined_at(words: str, start: int, end: int) -> bool:
    """The words at [start, end) name something the customer says they do not want (asked,
    不是保修吗? / 不用保养吗?, they name it in earnest)."""
    clause = re.match(r"[^,，。;；!！?？]*[?？]?", words[end:])[0]
    if re.search(r"(?:吗|么|嘛|[?？])$", clause):
        return False
    return bool(_DECLINED_BEFORE.search(words[:start]) or _DECLINED_AFTER.match(words[end:]))


def _named(synonym: str, words: str, state_counts: bool = False) -> bool:
    """The synonym occurs in the words and at least once it is not said as over or missing,
    declined, nor as the car's state unless `state_counts` (a fault told: 还在质保期内,天窗漏水)."""
    if synonym in _STATE_SYNONYMS and not state_counts:
        return False
    start = words.find(synonym)
    while start >= 0:
        end = start + len(synonym)
        over = _OVER_BEFORE.search(words[:start]) or _OVER_AFTER.match(words[end:]) or declined_at(words, start, end)
        state = _STATE_BEFORE.search(words[:start]) and _STATE_AFTER.match(words[end:])
        if not (over or (state and not state_counts)):
            return True
        start = words.find(synonym, start + 1)
    return False


# 刘顾问 / 小王顾问 / 张经理: an advisor by surname and title (the 小/老 before it goes; a
# 师傅 is the technician, no advisor).
_ADVISOR_SAID = re.compile(r"(?:[小老])?([\u4e00-\u9fff])(?:顾问|经理)|[小老]([\u4e00-\u9fff])(?=(?:来|帮我|给我)?接待)")
# The word said for each gender of the dealer file's advisors.
ADVISOR_GENDERS = {"女": "female", "男": "male"}
# 女顾问 / 女的服务顾问 / 男的来接待: an advisor wished for by gender.
_GENDER_WISHED = re.compile(r"([女男])(?:的|生|士|性)?(?:服务)?(?:顾问|接待|来接待)")
# Words before a title that are no surname (服务顾问, 维修师傅, 哪个顾问).
_NOT_A_SURNAME = set("务修个位的是找些那这哪啥么客店女男")

# How long the customer has had the car: 新车 / 刚提车 (new), 才买半年, 买了一年多, 提车三个月.
_OWNED = re.compile(
    r"(?:买了?|买来|提车|提了|提|落地|车龄|新车|开了|用了|车子?(?=才|刚|还不到|不到|没到|也就))(?:还|才|刚|快|不到|没到|将近|差不多|有|也就|就|了)*"
    r"(\d{1,2}|[一二两三四五六七八九十]{1,3}|半)个?(?:多)?(年|个月|月)(半)?"
)
# Said of the warranty without a warranty word (过保了 / 出保了): it is over.
_WARRANTY_OVER = ("过保", "出保", "脱保")
# 前年买的 / 去年提的车: the year it was bought, counted back from this one.
_BOUGHT_IN_YEAR = re.compile(r"(大前年|前年|去年|今年)(?:在[^,，。]{0,6})?(?:买|提|落地|上的牌)")
_YEARS_AGO = {"今年": 0, "去年": 1, "前年": 2, "大前年": 3}
_JUST_BOUGHT = re.compile(r"新车|刚买|刚提|才提车|刚提车|新买的")
# A used car (刚买的二手车): how long this owner has had it says nothing of its age.
_USED_CAR = re.compile(r"二手|旧车|别人手里|过户")
_CN_NUMBERS = {**CN_DIGIT_VALUES, "十": 10}


def months_owned(text: str) -> int | None:
    """The car's age in months as the customer tells it (半年 → 6, 一年多 → 12, 新车 → 0);
    None when the words do not say."""
    if _USED_CAR.search(text):
        return None
    found = _OWNED.search(text)
    if found:
        number, unit, half = found.groups()
        count = 0.5 if number == "半" else _count(number)
        months = count * 12 if unit == "年" else count
        return int(months + (6 if half and unit == "年" else 0))
    year = _BOUGHT_IN_YEAR.search(text)
    if year:
        return _YEARS_AGO[year.group(1)] * 12
    return 0 if _JUST_BOUGHT.search(text) else None


def _count(number: str) -> int:
    """12 / 三 / 十 / 十二 / 二十 as a number."""
    if number.isdigit():
        return int(number)
    if "十" not in number:
        return _CN_NUMBERS.get(number, 0)
    tens, _, ones = number.partition("十")
    return _CN_NUMBERS.get(tens, 1) * 10 + _CN_NUMBERS.get(ones, 0)


def _hhmm(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def parse_catalog(raw: dict) -> Catalog:
    dealer = raw["dealer"]
    return Catalog(
        code=str(dealer.get("code") or DEFAULT_DEALER_CODE),
        name=dealer["name"],
        short_name=dealer["short_name"],
        phone=dealer["phone"],
        rescue_phone=dealer["rescue_phone"],
        address=dealer["address"],
        timezone=ZoneInfo(dealer["timezone"]),
        opens_at=_hhmm(raw["opening_hours"]["open"]),
        closes_at=_hhmm(raw["opening_hours"]["close"]),
        slot_minutes=int(raw["slot_minutes"]),
        slot_capacity=int(raw["slot_capacity"]),
        booking_horizon_days=int(raw["booking_horizon_days"]),
        callback_minutes=int(raw.get("handover", {}).get("callback_minutes", 30)),
        live_bookings_per_phone=int(raw.get("limits", {}).get("live_bookings_per_phone", 2)),
        live_bookings_per_conversation=int(raw.get("limits", {}).get("live_bookings_per_conversation", 2)),
        no_show_grace_minutes=int(raw.get("no_show_grace_minutes", 30)),
        reminders=_reminder_policy(raw.get("reminders")),
        training_pass_mark=int(raw.get("training", {}).get("pass_mark", 80)),
        warranty_months=int(raw.get("warranty", {}).get("months", 36)),
        shop_facts=tuple((str(topic), str(answer).strip()) for topic, answer in (raw.get("shop_facts") or {}).items()),
        advisors=tuple(AdvisorEntry(code=a["code"], name=a["name"], gender=a.get("gender")) for a in raw["advisors"]),
        service_types=tuple(
            ServiceType(
                code=s["code"],
                name=s["name"],
                synonyms=tuple(s.get("synonyms", ())),
                answers=tuple(s.get("answers", ())),
                interview=bool(s.get("interview", False)),
                quote=s.get("quote", "none"),
                ask_vin=bool(s.get("ask_vin", False)),
                describe=bool(s.get("describe", False)),
                job_words=tuple(s.get("job_words", ())),
                parts=tuple(s.get("parts", ())),
                rank=int(s.get("rank", 0)),
                with_fault=s.get("with_fault"),
                gives_way=bool(s.get("gives_way", False)),
            )
            for s in raw["service_types"]
        ),
        maintenance_packages=tuple(MaintenancePackage(**p) for p in raw["maintenance_packages"]),
        # Required: no dealer runs without telling customers what it does with their data.
        privacy=PrivacyNotice(**raw["privacy"]),
        demo_accounts=tuple(
            DemoAccount(
                username=a["username"],
                password=a["password"],
                role=a["role"],
                advisor_code=a.get("advisor_code"),
                dealers=tuple(a.get("dealers", ())),
            )
            for a in raw.get("demo_accounts", ())
        ),
    )


@lru_cache
def load_catalog(path: Path = DEFAULT_CATALOG) -> Catalog:
    with open(path, encoding="utf-8") as handle:
        return parse_catalog(yaml.safe_load(handle))


def dealer_files(default_path: Path = DEFAULT_CATALOG, dealers_dir: Path | None = DEALERS_DIR) -> list[Path]:
    """The network's dealer files: the default dealer's first, then dealers_dir/*.yml by name."""
    files = [Path(default_path)]
    if dealers_dir is not None and Path(dealers_dir).is_dir():
        default = Path(default_path).resolve()
        files += [path for path in sorted(Path(dealers_dir).glob("*.yml")) if path.resolve() != default]
    return files


@lru_cache
def load_dealers(default_path: Path = DEFAULT_CATALOG, dealers_dir: Path | None = DEALERS_DIR) -> dict[str, Catalog]:
    """Every dealer's catalogue by code, the default dealer first. Two files with one
    code are refused."""
    dealers: dict[str, Catalog] = {}
    for path in dealer_files(default_path, dealers_dir):
        catalog = load_catalog(path)
        if catalog.code in dealers:
            raise ValueError(f"{path}: dealer code {catalog.code!r} is used by another dealer file")
        dealers[catalog.code] = catalog
    return dealers


def catalog_for(code: str | None, default_path: Path = DEFAULT_CATALOG,
                dealers_dir: Path | None = DEALERS_DIR) -> Catalog:
    """A dealer's catalogue by its code; None: the default dealer's. KeyError if unknown."""
    if code is None:
        return load_catalog(default_path)
    return load_dealers(default_path, dealers_dir)[code]
