"""Normalising and checking what customers type: phone, plate, VIN.

Each check returns the normalised value or raises ``InvalidValue`` with a
reason code; the customer-facing sentence for each code is a response in
domain.yml (``utter_invalid_<field>``), so wording lives in one place.
"""
from __future__ import annotations

import re

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


def normalize_phone(text: str) -> str:
    digits = _SEPARATORS.sub("", text.strip()).replace("(", "").replace(")", "")
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            digits = digits[len(prefix):]
            break
    if not _PHONE.fullmatch(digits):
        raise InvalidValue("phone", "not_mainland_mobile")
    return digits


def normalize_plate(text: str) -> str:
    plate = _SEPARATORS.sub("", text.strip()).upper()
    if _PLATE_ORDINARY.fullmatch(plate) or _PLATE_NEW_ENERGY.fullmatch(plate):
        return plate
    raise InvalidValue("plate", "bad_format")


def vin_check_digit(vin: str) -> str:
    total = sum(_VIN_VALUES[ch] * weight for ch, weight in zip(vin, _VIN_WEIGHTS))
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def normalize_vin(text: str) -> str:
    vin = _SEPARATORS.sub("", text.strip()).upper()
    if not _VIN.fullmatch(vin):
        raise InvalidValue("vin", "bad_format")
    if vin[8] != vin_check_digit(vin):
        raise InvalidValue("vin", "bad_check_digit")
    return vin


_NAME_PREFIXES = ("免贵姓", "我姓", "姓", "我叫", "叫我", "我是", "本人")


def normalize_name(text: str) -> str:
    """A customer's name as given: 王先生, 李女士, 刘洋 (surname + title is enough)."""
    name = re.sub(r"[\s,,。.!!\~~]", "", text.strip())
    for prefix in _NAME_PREFIXES:
        if name.startswith(prefix):
            name = name[len(prefix):]
            break
    if not re.fullmatch(r"[\u4e00-\u9fff]{1,4}(先生|女士|小姐)?|[A-Za-z][A-Za-z ]{1,30}", name):
        raise InvalidValue("customer_name", "bad_format")
    return name


_MILEAGE_NUMBER = re.compile(r"([0-9]+(?:\.[0-9]+)?|[零〇一二两三四五六七八九十百千万点]+)\s*(万|千)?")
MAX_PLAUSIBLE_KM = 1_500_000


def parse_mileage(text: str) -> int:
    """Kilometres from what customers write: 三万五, 3.5万公里, 35000km, 4万多."""
    import cn2an  # imported here: only the action server parses mileage

    cleaned = re.sub(r"[,,\s]", "", text).replace("公里", "").replace("km", "").replace("KM", "")
    match = _MILEAGE_NUMBER.search(cleaned)
    if match is None:
        raise InvalidValue("mileage", "not_a_number")
    number, unit = match.group(1), match.group(2) or ""
    try:
        value = float(cn2an.cn2an(number + unit, "smart"))
    except (ValueError, KeyError):
        raise InvalidValue("mileage", "not_a_number") from None
    kilometres = int(round(value))
    if not 0 < kilometres <= MAX_PLAUSIBLE_KM:
        raise InvalidValue("mileage", "implausible")
    return kilometres
