"""Checks on what staff type about a customer, each naming the field and why it is wrong.

Resident ID numbers (居民身份证) are checked with python-stdnum: length, digits, check
digit and a real birth date; the gender digit and birth date must agree with the
customer's. The first six digits name a county, and county codes change: a code that
was created after (or abolished before) the birth year is still a real person's number,
so only the province part is held against the number.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from ocrm_tui.i18n import _
from ocrm_tui.services.errors import ValidationError

RESIDENT_ID = "居民身份证"
# Province-level codes: the first two digits of a resident ID number.
PROVINCES = frozenset(
    [11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54,
     61, 62, 63, 64, 65, 71, 81, 82]
)
MOBILE = re.compile(r"^1[3-9]\d{9}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_AMOUNT = Decimal("999999999999999.99")  # NUMERIC(18, 2)


def normalise_text(value: str) -> str:
    """Full-width digits and letters (１３８…) become ASCII; spaces at the ends go."""
    return unicodedata.normalize("NFKC", value).strip()


@dataclass(frozen=True)
class ResidentId:
    number: str
    birth_date: date
    gender: str  # M / F


def check_resident_id(value: str, *, birth_date: date | None = None, gender: str | None = None) -> ResidentId:
    """A valid 18-character resident ID number, consistent with birth date and gender if given."""
    from stdnum import exceptions
    from stdnum.cn import ric

    number = normalise_text(value).replace(" ", "").upper()
    if len(number) != 18:
        raise ValidationError(_("A resident ID number has 18 characters"), field="id_number")
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise ValidationError(_("A resident ID number is 17 digits and a final digit or X"), field="id_number")
    if number[17] != ric.calc_check_digit(number):
        raise ValidationError(_("The check digit of this ID number is wrong: check for a mistyped digit"), field="id_number")
    try:
        born = ric.get_birth_date(number)
    except exceptions.ValidationError:
        raise ValidationError(_("Digits 7–14 of this ID number are not a real birth date"), field="id_number") from None
    if born > date.today():
        raise ValidationError(_("Digits 7–14 of this ID number are a birth date in the future"), field="id_number")
    if int(number[:2]) not in PROVINCES:
        raise ValidationError(_("The first two digits of this ID number are not a province"), field="id_number")
    sex = "M" if int(number[16]) % 2 else "F"
    if birth_date is not None and birth_date != born:
        raise ValidationError(
            _("The ID number gives the birth date {born}, not {given}", born=born.isoformat(), given=birth_date.isoformat()),
            field="birth_date",
        )
    if gender is not None and gender != sex:
        raise ValidationError(_("The ID number belongs to a {sex} customer", sex=_("male") if sex == "M" else _("female")),
                              field="gender")
    return ResidentId(number, born, sex)


def check_mobile(value: str) -> str:
    mobile = normalise_text(value).replace(" ", "").replace("-", "")
    if mobile.startswith("+86"):
        mobile = mobile[3:]
    if not MOBILE.match(mobile):
        raise ValidationError(_("A mobile number is 11 digits starting with 13–19"), field="mobile")
    return mobile


def check_email(value: str) -> str:
    email = normalise_text(value)
    if len(email) > 255 or not EMAIL.match(email):
        raise ValidationError(_("This is not an e-mail address"), field="email")
    return email


def check_amount(value: str | int | Decimal, *, field: str = "amount", minimum: Decimal = Decimal("0")) -> Decimal:
    """A money amount: a decimal with at most two places, never a float."""
    if isinstance(value, float):
        raise TypeError("amounts are never floats")
    text = normalise_text(str(value)).replace(",", "")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValidationError(_("{value} is not an amount", value=value), field=field) from None
    if not amount.is_finite():
        raise ValidationError(_("An amount has at most two decimal places"), field=field)
    if amount < minimum or amount > MAX_AMOUNT:
        raise ValidationError(_("The amount must be between {low} and {high}", low=minimum, high=MAX_AMOUNT), field=field)
    if amount != amount.quantize(Decimal("0.01")):
        raise ValidationError(_("An amount has at most two decimal places"), field=field)
    return amount.quantize(Decimal("0.01"))
