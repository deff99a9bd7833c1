import pytest

from dealer.validation import (
    InvalidValue,
    normalize_name,
    normalize_phone,
    normalize_plate,
    normalize_vin,
    vin_check_digit,
)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("13812345678", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("+86 13812345678", "13812345678"),
        ("+86-199-0000-1111", "19900001111"),
        ("0086 15900001111", "15900001111"),
    ],
)
def test_phone_accepts_mainland_mobiles_with_separators(given, expected):
    assert normalize_phone(given) == expected


@pytest.mark.parametrize("given", ["12812345678", "1381234567", "138123456789", "021-12345678", "", "abc"])
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
    ],
)
def test_plate_accepts_current_formats(given, expected):
    assert normalize_plate(given) == expected


@pytest.mark.parametrize("given", ["A12345", "沪12345", "沪A1234", "沪AI2345", "沪A123456", "美A12345"])
def test_plate_rejects_malformed(given):
    with pytest.raises(InvalidValue):
        normalize_plate(given)


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


def test_vin_known_check_digit():
    # A published example: 1M8GDM9AXKP042788 has check digit X.
    assert vin_check_digit("1M8GDM9AXKP042788") == "X"


@pytest.mark.parametrize(
    ("given", "expected"),
    [("王先生", "王先生"), ("我姓李", "李"), ("免贵姓张", "张"), ("我叫刘洋", "刘洋"), ("欧阳女士", "欧阳女士")],
)
def test_name(given, expected):
    assert normalize_name(given) == expected


@pytest.mark.parametrize("given", ["13812345678", "我想明天下午三点去做保养可以吗", ""])
def test_name_rejects_non_names(given):
    with pytest.raises(InvalidValue):
        normalize_name(given)
