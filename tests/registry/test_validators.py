"""Check-digit validators and normalisers of registry.validators: valid values, each kind
of invalid value, and property tests over generated ID numbers and credit codes."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from grassroots.core.errors import ValidationFailed
from grassroots.registry.validators import (
    ERROR_CODES,
    PROVINCES,
    USCC_ALPHABET,
    FieldError,
    IdNumberInfo,
    id_check_char,
    is_mobile,
    normalise_ethnicity,
    normalise_phone,
    parse_date,
    parse_sex,
    uscc_check_char,
    uscc_division,
    validate_id_number,
    validate_uscc,
)

TODAY = date(2026, 11, 22)


def code_of(call, *args, **kwargs) -> str:
    with pytest.raises(FieldError) as caught:
        call(*args, **kwargs)
    assert caught.value.code in ERROR_CODES
    return caught.value.code


# ---------------------------------------------------------------------------------------
# Resident ID numbers

# 11010519491231002X, computed by hand:
#   digits  1 1 0  1 0 5 1 9 4 9 1 2 3  1 0 0 2
#   weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2
#   products 7+9+0+5+0+20+2+9+24+27+7+18+30+5+0+0+4 = 167; 167 mod 11 = 2 → "10X98765432"[2] = X
#   sequence 002 is even → female.
# 110199199001011232 (the demo district 110199):
#   digits  1 1 0  1 9 9 1 9 9 0 0 1 0  1 1 2 3
#   products 7+9+0+5+72+36+2+9+54+0+0+9+0+5+8+8+6 = 230; 230 mod 11 = 10 → "2"; 123 odd → male.
VALID_IDS = [
    ("11010519491231002X", date(1949, 12, 31), "F", "110105"),
    ("110199199001011232", date(1990, 1, 1), "M", "110199"),
]


@pytest.mark.parametrize(("number", "birth", "sex", "region"), VALID_IDS)
def test_valid_id_numbers(number, birth, sex, region):
    info = validate_id_number(number, today=TODAY)
    assert info == IdNumberInfo(value=number, birth_date=birth, sex=sex, region_code=region)
    assert not info.legacy


def test_id_check_char_matches_hand_computation():
    assert id_check_char("11010519491231002") == "X"
    assert id_check_char("11019919900101123") == "2"


@pytest.mark.parametrize(
    "variant",
    [
        "11010519491231002x",  # lower-case x
        "１１０１０５１９４９１２３１００２Ｘ",  # full-width digits and letter
        " 110105 19491231 002X ",  # spaces
        "'11010519491231002X",  # Excel's text marker
    ],
)
def test_id_number_is_normalised(variant):
    assert validate_id_number(variant, today=TODAY).value == "11010519491231002X"


def test_legacy_15_digit_number_is_converted():
    # 110105491231002 → 110105 19 491231 002 + check character X (the 18-digit form above)
    info = validate_id_number("110105491231002", today=TODAY)
    assert info.value == "11010519491231002X"
    assert info.legacy
    assert info.birth_date == date(1949, 12, 31)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        (None, "required"),
        ("", "required"),
        ("   ", "required"),
        ("1101051949123100", "id_length"),  # 16
        ("11010519491231002X1", "id_length"),  # 19
        ("1101051949123100AX", "id_format"),  # a letter inside
        ("X10105194912310021", "id_format"),  # X not last
        ("11010519491231002Y", "id_format"),
        ("11010549123100A", "id_format"),  # 15 with a letter
        ("1.10105194912E+17", "id_format"),  # Excel scientific notation
        (1.1010519491231002e17, "id_format"),  # a float cell
        ("110105194912310021", "id_checksum"),  # right shape, wrong check
        ("11010519491231003X", "id_checksum"),  # one digit changed
        ("110105194902300021", "id_birth_date"),  # 30 February
        ("110105199013010011", "id_birth_date"),  # month 13
        ("110105188912310011", "id_birth_date"),  # before 1890
        ("110105209901010011", "id_birth_date"),  # in the future
        ("990105194912310021", "id_region"),  # province 99
        ("000105194912310021", "id_region"),
        ("190105194912310021", "id_region"),  # 19 is not a province
    ],
)
def test_invalid_id_numbers(value, code):
    assert code_of(validate_id_number, value, today=TODAY) == code


def test_future_birth_relative_to_today():
    body = "11010520261123001"  # born tomorrow
    number = body + id_check_char(body)
    assert code_of(validate_id_number, number, today=TODAY) == "id_birth_date"
    assert validate_id_number(number, today=date(2026, 11, 23)).birth_date == date(2026, 11, 23)


def test_field_error_masks_id_number_and_names_field():
    with pytest.raises(FieldError) as caught:
        validate_id_number("110105194912310021", field="id_number", today=TODAY)
    error = caught.value
    assert isinstance(error, ValidationFailed)
    reason = error.as_reason()
    assert reason["field"] == "id_number"
    assert reason["code"] == "id_checksum"
    assert "110105********0021" in reason["message"]
    assert "19491231" not in reason["message"]
    assert "校验码" in reason["message"]


def test_field_error_message_is_translated_when_shown():
    from django.utils import translation
    from django.utils.functional import Promise

    with pytest.raises(FieldError) as caught:
        validate_id_number("123", today=TODAY)
    # lazy: rendered in the language active where it is shown, not where it was raised
    assert isinstance(caught.value.message, Promise)
    with translation.override("zh-hans"):
        assert str(caught.value.message) == "身份证号 *** 的长度是 3 位，应为 18 位。"


PROVINCE_CODES = sorted(PROVINCES)


@st.composite
def id_numbers(draw) -> tuple[str, date, str]:
    region = draw(st.sampled_from(PROVINCE_CODES)) + draw(
        st.from_regex(r"[0-9]{4}", fullmatch=True)
    )
    birth = draw(st.dates(min_value=date(1890, 1, 1), max_value=TODAY))
    sequence = draw(st.integers(min_value=0, max_value=999))
    body = f"{region}{birth:%Y%m%d}{sequence:03d}"
    return body + id_check_char(body), birth, "M" if sequence % 2 else "F"


@given(id_numbers())
def test_any_generated_id_round_trips(generated):
    number, birth, sex = generated
    info = validate_id_number(number.lower(), today=TODAY)
    assert info.value == number
    assert info.birth_date == birth
    assert info.sex == sex
    assert info.region_code == number[:6]
    assert validate_id_number(info.value, today=TODAY) == info


@given(id_numbers(), st.integers(min_value=0, max_value=17), st.integers(1, 9))
def test_any_single_character_change_is_refused(generated, position, shift):
    number = generated[0]
    chars = list(number)
    if position == 17:
        options = "0123456789X"
        chars[17] = options[(options.index(chars[17]) + shift) % len(options)]
    else:
        chars[position] = str((int(chars[position]) + shift) % 10)
    with pytest.raises(FieldError):
        validate_id_number("".join(chars), today=TODAY)


# ---------------------------------------------------------------------------------------
# Unified social credit codes

# 91350100M000100Y43, computed by hand (M=21, Y=30 in the 31-character alphabet;
# weights 3^i mod 31 = 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28):
#   9·1 + 1·3 + 3·9 + 5·27 + 0 + 1·26 + 0 + 0 + 21·20 + 0 + 0 + 0 + 1·8 + 0 + 0 + 30·30 + 4·28
#   = 1640; 1640 mod 31 = 28; 31 − 28 = 3 → "3".
VALID_USCC = "91350100M000100Y43"


def test_valid_uscc():
    assert validate_uscc(VALID_USCC) == VALID_USCC
    assert validate_uscc(" 91350100m000100y43 ") == VALID_USCC
    assert validate_uscc("９１３５０１００Ｍ０００１００Ｙ４３") == VALID_USCC
    assert uscc_check_char(VALID_USCC[:17]) == "3"
    assert uscc_division(VALID_USCC) == "350100"


@pytest.mark.parametrize(
    ("value", "code"),
    [
        (None, "required"),
        ("91350100M000100Y4", "uscc_length"),
        ("91350100M000100Y433", "uscc_length"),
        ("91350100I000100Y43", "uscc_format"),  # I is not in the alphabet
        ("91350100O000100Y43", "uscc_format"),
        ("91350100S000100Y43", "uscc_format"),
        ("91350100Z000100Y43", "uscc_format"),
        ("91350100V000100Y43", "uscc_format"),
        ("91350100M000100Y44", "uscc_checksum"),
        ("91350100M000101Y43", "uscc_checksum"),
        ("B1350100M000100Y43", "uscc_authority"),  # no authority B
        ("94350100M000100Y43", "uscc_authority"),  # market regulation has no type 4
        ("91990100M000100Y43", "uscc_region"),
        ("913501A0M000100Y43", "uscc_region"),
    ],
)
def test_invalid_uscc(value, code):
    assert code_of(validate_uscc, value) == code


def test_uscc_forbidden_letter_is_named():
    with pytest.raises(FieldError) as caught:
        validate_uscc("91350100I000100Y43")
    assert "I" in str(caught.value.message)


@given(
    st.sampled_from(["11", "12", "13", "19", "51", "52", "53", "91", "92", "93", "N2", "Y1"]),
    st.sampled_from(PROVINCE_CODES),
    st.from_regex(r"[0-9]{4}", fullmatch=True),
    st.text(alphabet=USCC_ALPHABET, min_size=9, max_size=9),
)
def test_any_generated_uscc_round_trips(prefix, province, county, org):
    body = prefix + province + county + org
    code = body + uscc_check_char(body)
    assert validate_uscc(code.lower()) == code
    wrong = USCC_ALPHABET[(USCC_ALPHABET.index(code[-1]) + 1) % 31]
    assert code_of(validate_uscc, body + wrong) == "uscc_checksum"


# ---------------------------------------------------------------------------------------
# Phone numbers


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("13812345678", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("+8613812345678", "13812345678"),
        ("0086-13812345678", "13812345678"),
        ("8613812345678", "13812345678"),
        ("１３８１２３４５６７８", "13812345678"),
        (13812345678, "13812345678"),
        (13812345678.0, "13812345678"),
        ("19912345678", "19912345678"),
        ("010-12345678", "010-12345678"),
        ("(010)12345678", "010-12345678"),
        ("（010）1234 5678", "010-12345678"),
        ("01012345678", "010-12345678"),
        ("021-6123456", "021-6123456"),
        ("0755-87654321", "0755-87654321"),
        ("0755 8765432", "0755-8765432"),
        ("+86 10 12345678", "010-12345678"),
        ("010-12345678 转 801", "010-12345678-801"),
        ("010-12345678-801", "010-12345678-801"),
        ("0755-87654321ext.12", "0755-87654321-12"),
        ("400-123-4567", "4001234567"),
    ],
)
def test_valid_phones(value, expected):
    assert normalise_phone(value) == expected


@pytest.mark.parametrize(
    ("value", "code"),
    [
        (None, "required"),
        ("", "required"),
        ("1381234567", "phone_format"),  # 10 digits
        ("138123456789", "phone_format"),  # 12 digits
        ("12812345678", "phone_format"),  # 12x is not a mobile prefix
        ("23812345678", "phone_format"),
        ("138-1234-567a", "phone_format"),
        ("abc", "phone_format"),
        ("010-0123456", "phone_format"),  # local numbers never start with 0
        ("010-123456", "phone_format"),  # too short
        ("010-123456789", "phone_format"),  # too long
        ("0012345678", "phone_format"),
        ("12345678", "phone_area_code"),
        ("8765432", "phone_area_code"),
    ],
)
def test_invalid_phones(value, code):
    assert code_of(normalise_phone, value) == code


def test_phone_message_is_masked():
    with pytest.raises(FieldError) as caught:
        normalise_phone("138123456789")
    message = str(caught.value.message)
    assert "138123456789" not in message
    assert "6789" in message


def test_is_mobile():
    assert is_mobile("13812345678")
    assert not is_mobile("010-12345678")


# ---------------------------------------------------------------------------------------
# Dates


@pytest.mark.parametrize(
    "value",
    [
        date(2024, 3, 5),
        datetime(2024, 3, 5, 14, 30),
        "2024-03-05",
        "2024-3-5",
        "2024/3/5",
        "2024/03/05",
        "2024.3.5",
        "20240305",
        20240305,
        "2024年3月5日",
        "2024年03月05日",
        "２０２４年３月５日",
        "2024-03-05 00:00:00",
        "2024-03-05T08:00:00+08:00",
        " 2024-03-05 ",
        45356,  # Excel serial
        45356.75,  # serial with a time of day
        "45356",
        "45356.0",
    ],
)
def test_date_formats(value):
    assert parse_date(value) == date(2024, 3, 5)


def test_pandas_timestamp_and_numpy_numbers():
    pd = pytest.importorskip("pandas")
    np = pytest.importorskip("numpy")
    assert parse_date(pd.Timestamp("2024-03-05")) == date(2024, 3, 5)
    assert parse_date(np.int64(45356)) == date(2024, 3, 5)
    assert parse_date(np.float64(45356.0)) == date(2024, 3, 5)
    assert code_of(parse_date, pd.NaT) == "required"
    assert code_of(parse_date, pd.NA) == "required"
    assert code_of(validate_id_number, pd.NA) == "required"
    assert code_of(normalise_phone, np.nan) == "required"
    assert parse_sex(pd.NA) == ""
    assert code_of(parse_date, float("nan")) == "required"


def test_excel_serials_around_the_1900_bug():
    assert parse_date(1) == date(1900, 1, 1)
    assert parse_date(59) == date(1900, 2, 28)
    assert parse_date(61) == date(1900, 3, 1)
    assert code_of(parse_date, 60) == "date_impossible"  # Excel's 29 February 1900


@pytest.mark.parametrize(
    ("value", "code"),
    [
        (None, "required"),
        ("", "required"),
        ("2023-02-30", "date_impossible"),
        ("2023/2/29", "date_impossible"),
        ("20230230", "date_impossible"),
        ("2023年13月1日", "date_impossible"),
        ("2024-04-31", "date_impossible"),
        (20230230, "date_impossible"),
        ("1066-10-14", "date_range"),
        ("3024-03-05", "date_range"),
        ("0", "date_range"),
        (0, "date_range"),
        (-5, "date_range"),
        (999999, "date_range"),
        ("yesterday", "date_format"),
        ("05/03/2024", "date_format"),  # day-first or month-first: ambiguous, refused
        ("24-3-5", "date_format"),
        ("2024-03", "date_format"),
        ("2024", "date_format"),  # a year alone
        (1985, "date_format"),
        (True, "date_format"),
        ("=TODAY()", "date_format"),
    ],
)
def test_invalid_dates(value, code):
    assert code_of(parse_date, value) == code


def test_date_bounds_are_parameters():
    assert code_of(parse_date, "2030-01-01", latest=date(2026, 11, 22)) == "date_range"
    assert parse_date("1880-01-01", earliest=date(1800, 1, 1)) == date(1880, 1, 1)
    assert code_of(parse_date, "2023-02-30", field="birth_date") == "date_impossible"
    with pytest.raises(FieldError) as caught:
        parse_date("2023-02-30", field="birth_date")
    assert caught.value.field == "birth_date"


# ---------------------------------------------------------------------------------------
# Sex and ethnicity


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("男", "M"),
        ("女", "F"),
        ("男性", "M"),
        ("M", "M"),
        ("f", "F"),
        ("Female", "F"),
        (1, "M"),
        ("2", "F"),
        (2.0, "F"),
        ("未知", ""),
        ("0", ""),
        (None, ""),
        ("", ""),
    ],
)
def test_sex(value, expected):
    assert parse_sex(value) == expected


@pytest.mark.parametrize("value", ["男女", "X", "3", "boy"])
def test_invalid_sex(value):
    assert code_of(parse_sex, value) == "sex_invalid"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("汉", "汉族"),
        ("汉族", "汉族"),
        ("漢族", "汉族"),
        ("01", "汉族"),
        (1, "汉族"),
        ("蒙古", "蒙古族"),
        ("维吾尔", "维吾尔族"),
        ("08", "壮族"),
        ("56", "基诺族"),
        ("其它", "其他"),
        ("97", "其他"),
        ("", ""),
        (None, ""),
    ],
)
def test_ethnicity(value, expected):
    assert normalise_ethnicity(value) == expected


@pytest.mark.parametrize("value", ["火星族", "57", "99", "汉汉"])
def test_invalid_ethnicity(value):
    assert code_of(normalise_ethnicity, value) == "ethnicity_invalid"
