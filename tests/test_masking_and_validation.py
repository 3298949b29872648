"""Masking and input checks: properties over many generated values, and the cases staff meet."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import ric

from ocrm_tui.services import masking, validation
from ocrm_tui.services.errors import ValidationError

digits = st.text(alphabet="0123456789", min_size=1, max_size=30)


@given(digits)
def test_a_masked_mobile_shows_only_the_first_three_and_last_four(mobile):
    masked = masking.mask_mobile(mobile)
    assert len(masked) == len(mobile)
    if len(mobile) > 7:
        assert masked == mobile[:3] + "*" * (len(mobile) - 7) + mobile[-4:]
    else:
        assert set(masked) == {"*"}


@given(st.text(alphabet="0123456789X", min_size=1, max_size=20))
def test_a_masked_id_number_shows_only_the_first_and_last_character(number):
    masked = masking.mask_id_number(number)
    assert len(masked) == len(number)
    assert masked.count("*") == (len(number) - 2 if len(number) > 2 else len(number))


@given(st.text(alphabet="0123456789", min_size=11, max_size=30))
def test_a_masked_account_shows_six_and_four(number):
    masked = masking.mask_account(number)
    assert masked[:6] == number[:6] and masked[-4:] == number[-4:]
    assert masked[6:-4] == "*" * (len(number) - 10)


def test_the_cases_from_the_design():
    assert masking.mask_mobile("13812345678") == "138****5678"
    assert masking.mask_id_number("11010519491231002X") == "1****************X"
    assert masking.mask_account("6222021234567890123") == "622202*********0123"
    assert masking.mask_name("张伟") == "张*"
    assert masking.mask_name("欧阳娜娜") == "欧阳**"
    assert masking.mask_name("欧阳") == "欧*"  # a two-character name is surname + given name
    assert masking.mask_address("江苏省南京市鼓楼区中山北路100号") == "江苏省南京市鼓楼区****"
    assert masking.mask_address("浙江省义乌市稠城街道") == "浙江省义乌市****"
    assert masking.mask_mobile(None) is None


@given(st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), min_size=2, max_size=5))
def test_a_masked_name_keeps_the_surname_and_hides_the_rest(name):
    masked = masking.mask_name(name)
    surname = masking.surname_of(name)
    assert masked == surname + "*" * (len(name) - len(surname))


def make_id(province: int, county: int, born: date, seq: int) -> str:
    body = f"{province:02d}{county:04d}{born:%Y%m%d}{seq:03d}"
    return body + ric.calc_check_digit(body + "0")  # stdnum wants a placeholder check digit


ids = st.builds(
    make_id,
    st.sampled_from(sorted(validation.PROVINCES)),
    st.integers(0, 9999),
    st.dates(min_value=date(1900, 1, 1), max_value=date.today()),
    st.integers(0, 999),
)


@given(ids)
def test_every_well_formed_id_number_is_accepted_with_its_birth_date_and_gender(number):
    result = validation.check_resident_id(number)
    assert result.number == number
    assert result.birth_date == date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    assert result.gender == ("M" if int(number[16]) % 2 else "F")
    assert validation.check_resident_id(number, birth_date=result.birth_date, gender=result.gender) == result


@given(ids, st.integers(0, 16), st.integers(1, 9))
def test_one_mistyped_digit_is_always_refused(number, position, delta):
    wrong = number[:position] + str((int(number[position]) + delta) % 10) + number[position + 1:]
    with pytest.raises(ValidationError) as exc:
        validation.check_resident_id(wrong)
    assert exc.value.field == "id_number"


@given(ids)
def test_full_width_digits_are_read_as_ascii(number):
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in number)
    assert validation.check_resident_id(full_width).number == number


def test_a_county_code_newer_than_the_birth_year_is_no_reason_to_refuse():
    # 110114 (昌平区, a code since 1999) with a birth in 1949: stdnum's own validate() refuses it.
    number = make_id(11, 114, date(1949, 12, 31), 2)
    with pytest.raises(Exception):
        ric.validate(number)
    assert validation.check_resident_id(number).birth_date == date(1949, 12, 31)


@pytest.mark.parametrize("value, field, words", [
    ("11010519491231002", "id_number", "18 characters"),
    ("1101051949123100AX", "id_number", "17 digits"),
    ("110105194912310021", "id_number", "check digit"),
    (make_id(11, 105, date(2030, 1, 1), 1), "id_number", "future"),
    (make_id(99, 105, date(1990, 1, 1), 1), "id_number", "province"),
])
def test_bad_id_numbers_say_what_is_wrong(value, field, words):
    with pytest.raises(ValidationError, match=words) as exc:
        validation.check_resident_id(value)
    assert exc.value.field == field


def test_birth_date_and_gender_must_agree_with_the_id_number():
    number = make_id(32, 106, date(1987, 5, 4), 13)  # odd sequence digit: male
    with pytest.raises(ValidationError, match="1987-05-04") as exc:
        validation.check_resident_id(number, birth_date=date(1987, 5, 5))
    assert exc.value.field == "birth_date"
    with pytest.raises(ValidationError, match="male") as exc:
        validation.check_resident_id(number, gender="F")
    assert exc.value.field == "gender"


@pytest.mark.parametrize("value, expected", [
    ("13812345678", "13812345678"), ("１３８１２３４５６７８", "13812345678"),
    ("+86 138-1234-5678", "13812345678"),
])
def test_mobiles_are_normalised(value, expected):
    assert validation.check_mobile(value) == expected


@pytest.mark.parametrize("value", ["12812345678", "1381234567", "138123456789", "' OR 1=1 --", "", "📱"])
def test_bad_mobiles_are_refused(value):
    with pytest.raises(ValidationError, match="11 digits"):
        validation.check_mobile(value)


@given(st.decimals(min_value=0, max_value=10**12, places=2, allow_nan=False, allow_infinity=False))
def test_amounts_round_trip_as_decimals(amount):
    assert validation.check_amount(str(amount)) == amount


@pytest.mark.parametrize("value, words", [("1.005", "two decimal"), ("-1", "between"), ("abc", "not an amount"),
                                          ("NaN", "two decimal"), ("1e30", "between")])
def test_bad_amounts_say_why(value, words):
    with pytest.raises(ValidationError, match=words):
        validation.check_amount(value)


def test_amounts_are_never_floats():
    with pytest.raises(TypeError):
        validation.check_amount(1.5)
