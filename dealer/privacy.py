"""Personal data masked where it is not needed in full: list views and every log line.

- phones 138****5678, plates 京A·***45, VINs LFV**********2345 wherever they stand in a
  text (a log line, an exception's message, a customer's words);
- names where they can be recognised: the value of a name key (``customer_name``,
  ``name``) in a logged dict, JSON or slot listing, and a ``customer_name`` slot event.

``install_log_masking()`` makes every log record of the process masked at its creation
(see there why that and not handler filters). Imports only the standard library, so the
Rasa server's environment can use it too.
"""
from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable, Collection
from typing import Any

from dealer.validation import PROVINCES, normalize_name, normalize_or_none

_DIGIT = "[0-9０-９]"  # full-width digits too: the customer's own typing is logged
# A mainland mobile number inside any text, not part of a longer digit run; +86 and
# separators as people type them (138 1234 5678, 138-1234-5678).
_PHONE_IN_TEXT = re.compile(
    rf"(?<![0-9０-９])(?:\+?86[\s-]?)?([1１][3-9３-９]{_DIGIT})[\s-]?({_DIGIT}{{4}})[\s-]?({_DIGIT}{{4}})(?![0-9０-９])"
)
# A plate as typed or stored: 京A12345, 京a·12345, 粤B D12345 (new energy).
_PLATE_IN_TEXT = re.compile(
    rf"([{PROVINCES}使领])[\s·•・.\-]?([A-Za-z])[\s·•・.\-]?([A-Za-z0-9]{{3,4}})([A-Za-z0-9]{{2}})(?![A-Za-z0-9])"
)
# 17 VIN characters (no I, O, Q) standing alone, with at least one letter and one digit.
_VIN_CHAR = "[A-HJ-NPR-Za-hj-npr-z0-9]"
_VIN_IN_TEXT = re.compile(rf"(?<![A-Za-z0-9])({_VIN_CHAR}{{3}})({_VIN_CHAR}{{10}})({_VIN_CHAR}{{4}})(?![A-Za-z0-9])")
# The value of a name key as dicts, JSON, slot listings and keyword logs print it:
# 'customer_name': '王先生' (and the read-back's customer_name_display), "name": "王先生"
# (quoted: an unquoted "action name: x" is no person), customer_name: 王先生,
# customer_name=王先生, a read-back's 姓名:王先生, and a slot
# event: SlotSet(key: customer_name, value: 王先生), {'name': 'customer_name', 'value': …}.
# A value ends at a quote, comma, bracket, bar, backslash (an escaped \n in JSON) or line end.
_VALUE = r"""(?P<value>[^"',;|\\\n\r}\])]+)"""
_NAME_FIELD = re.compile(
    # the key stands alone, or after an escaped tab or newline (\tcustomer_name: in JSON)
    # (its quotes escaped too, inside a logged JSON string: \"customer_name_display\": \"…\")
    r"""(?P<key>(?:(?<![A-Za-z0-9_])|(?<=\\[tnr]))(?:["']?(?P<k>customer_name(?:_display)?)\\?["']?|(?P<q>["'])(?P<k2>name)(?P=q))"""
    r"""\s*[:=]\s*\\?["']?|姓名\s*[:：]\s*)""" + _VALUE
)
_NAME_SLOT_EVENT = re.compile(
    r"""(?P<key>customer_name["']?\s*,\s*["']?value["']?\s*[:=]\s*["']?)""" + _VALUE
)
# A customer's message as Rasa's debug lines carry it ("parse_data_text": "…", "text": "…",
# [state 3] user text: … |): masked when it is what the booking form takes for a name
# answer (dealer.validation.normalize_name: 司马瑞雪, 我叫王明, 王先生), since a name typed
# alone cannot be told apart otherwise. Short answers (对的, 迈腾) are masked with it.
_CUSTOMER_WORDS = re.compile(
    r"""(?P<key>"(?:parse_data_text|text|user_text|message)"\s*:\s*"|'text'\s*:\s*'|user text:\s*)"""
    r"""(?P<value>[^"'|\\\n\r]+)"""
)
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_.:\-]*")  # action, slot and intent names
_NOTHING = frozenset({"", "None", "null", "none"})


def mask_phone(phone: str | None) -> str:
    """138****5678 wherever a mobile number stands in the text; the rest as it is."""
    if not phone:
        return ""
    return _PHONE_IN_TEXT.sub(r"\1****\3", phone)


def _plate(match: re.Match[str]) -> str:
    return f"{match[1]}{match[2]}·{'*' * len(match[3])}{match[4]}"


def mask_plate(text: str | None) -> str:
    """京A·***45 (province and authority letter, the last two characters)."""
    return _PLATE_IN_TEXT.sub(_plate, text) if text else ""


def _vin(match: re.Match[str]) -> str:
    whole = match[0]
    if not (re.search("[0-9]", whole) and re.search("[A-Za-z]", whole)):
        return whole  # a number or a word, not a VIN
    return f"{match[1]}{'*' * 10}{match[3]}"


def mask_vin(text: str | None) -> str:
    """LFV**********2345 (the maker's code and the last four)."""
    return _VIN_IN_TEXT.sub(_vin, text) if text else ""


def mask_name(name: str | None) -> str:
    """王** / J***: the first character, a star for each of the rest."""
    if not name:
        return ""
    name = name.strip()
    return name[:1] + "*" * max(len(name) - 1, 1)


def _name_value(match: re.Match[str]) -> str:
    value = match["value"].strip()
    if value in _NOTHING or "*" in value:
        return match[0]
    if match.groupdict().get("k2") == "name" and _IDENTIFIER.fullmatch(value):
        return match[0]  # 'name': 'customer_name', an action's name: not a person
    return match["key"] + mask_name(value) + match["value"][len(match["value"].rstrip()):]


def _name_answer(match: re.Match[str]) -> str:
    value = match["value"].strip()
    if "*" in value or normalize_or_none(normalize_name, value) is None:
        return match[0]
    return match["key"] + mask_name(value) + match["value"][len(match["value"].rstrip()):]


def mask_names(text: str) -> str:
    text = _NAME_SLOT_EVENT.sub(_name_value, text)
    return _CUSTOMER_WORDS.sub(_name_answer, _NAME_FIELD.sub(_name_value, text))


# A character written as a JSON escape, once or twice over (Rasa logs events as JSON in
# JSON: "\\u4eacA12345" is 京A12345).
_JSON_ESCAPE = re.compile(r"\\+u([0-9a-fA-F]{4})")


def _unescaped(text: str) -> str:
    """The text with JSON \\uXXXX escapes written out, so masking sees the characters."""
    return _JSON_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)


def mask_text(text: str | None) -> str:
    """Every phone, plate and VIN in a text, and names where a name key labels them (also
    where the text holds them as JSON escapes)."""
    if not text:
        return text or ""
    return mask_names(mask_vin(mask_plate(mask_phone(_unescaped(text)))))


def _canonical(text: str) -> str:
    """A phone, plate or VIN as stored: half-width, upper case, no separators."""
    folded = unicodedata.normalize("NFKC", text).upper()
    return re.sub(r"[^0-9A-Z\u4e00-\u9fff]", "", folded)


def _phone_key(match: re.Match[str]) -> str:
    return _canonical(match[1] + match[2] + match[3])


def _plate_key(match: re.Match[str]) -> str:
    return _canonical(match[0])


def _vin_key(match: re.Match[str]) -> str:
    return _canonical(match[0])


_IDENTIFIER_PATTERNS = ((_PHONE_IN_TEXT, _phone_key), (_PLATE_IN_TEXT, _plate_key), (_VIN_IN_TEXT, _vin_key))


def identifiers_in(text: str) -> set[str]:
    """The phones, plates and VINs a text mentions, as stored (13812345678, 京A12345)."""
    return {key(m) for pattern, key in _IDENTIFIER_PATTERNS for m in pattern.finditer(text)}


def scrub_text(text: str, identifiers: Collection[str], names: Collection[str], replacement: str) -> str:
    """``text`` with each mention of one of ``identifiers`` (in whatever form it was typed:
    138 1234 5678, 京a·12345) and each of ``names`` (two characters or more) replaced."""
    wanted = set(identifiers)
    for pattern, key in _IDENTIFIER_PATTERNS:
        text = pattern.sub(lambda m, key=key: replacement if key(m) in wanted else m[0], text)
    for name in sorted((n for n in names if n and len(n) > 1), key=len, reverse=True):
        text = text.replace(name, replacement)
    return text


def mask_record(record: logging.LogRecord) -> logging.LogRecord:
    """The record's message, exception text and stack masked (in place)."""
    try:
        message = record.getMessage()
    except Exception:  # a broken format string: logging reports that itself
        return record
    masked = mask_text(message)
    if masked != message:
        record.msg, record.args = masked, None
        record.__dict__.pop("color_message", None)  # uvicorn's coloured copy of msg
    if record.exc_info and not record.exc_text:
        # Formatters use exc_text when it is set; formatted here, masked once.
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = mask_text(record.exc_text)
    if record.stack_info:
        record.stack_info = mask_text(record.stack_info)
    return record


class PersonalDataFilter(logging.Filter):
    """Masks personal data in every record a handler (or logger) it is attached to sees."""

    def filter(self, record: logging.LogRecord) -> bool:
        mask_record(record)
        return True


PhoneMaskingFilter = PersonalDataFilter  # the name it had while it masked phones only


def _masking_factory(make: Callable[..., logging.LogRecord]) -> Callable[..., logging.LogRecord]:
    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return mask_record(make(*args, **kwargs))

    factory.masks_personal_data = True  # type: ignore[attr-defined]
    return factory


def install_log_masking(*logger_names: str) -> None:
    """Every log record of this process is masked when it is made.

    Why a record factory: every ``logger.x(...)`` in the process makes its record through
    ``logging.getLogRecordFactory()``, whatever handler later writes it. Filters on
    handlers cover only the handlers that exist when they are attached, and the three
    processes replace theirs after start-up (Rasa: basicConfig, coloredlogs and
    structlog's stdlib logger; uvicorn: dictConfig; rasa_sdk: coloredlogs), and logger
    filters do not apply to records propagated from child loggers. The factory is
    installed once; the filter is also put on the handlers there are now (root and the
    named loggers) for records made elsewhere (``logging.makeLogRecord``).
    """
    current = logging.getLogRecordFactory()
    if not getattr(current, "masks_personal_data", False):
        logging.setLogRecordFactory(_masking_factory(current))
    mask_handlers(*logger_names)


def mask_handlers(*logger_names: str) -> None:
    """The filter on the handlers of the root logger and the named loggers."""
    data_filter = PersonalDataFilter()
    for name in ("", *logger_names):
        for handler in logging.getLogger(name).handlers:
            if not any(isinstance(f, PersonalDataFilter) for f in handler.filters):
                handler.addFilter(data_filter)


mask_phones_in_logs = install_log_masking  # the name it had while it masked phones only
