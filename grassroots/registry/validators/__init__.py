"""Validation and normalisation of the values departments send: ID numbers, credit codes,
phone numbers, dates, sex and ethnicity. Pure functions, no database.

Every refusal is a :class:`FieldError` with a stable ``code`` (the importer stores it with the
rejected row) and a message in Chinese for people; ID and phone numbers are masked in the
message, since rejects reports are shown and exported.

Choices made here (documented for the importer and the rejects report):

- Resident ID numbers (GB 11643-1999): 18 characters, the check character ISO 7064 MOD 11-2
  (``X`` upper-case). Full-width digits, a lower-case ``x``, spaces and Excel's leading
  apostrophe are normalised away. 15-digit numbers (issued before 1999) are **converted** to
  18 characters (century ``19`` inserted, check character computed), as the public security
  bureaus themselves do; ``IdNumberInfo.legacy`` says so. A 15-digit number has no check
  character, so the conversion cannot catch a typo: callers that need certainty can refuse
  ``legacy`` numbers.
- Unified social credit codes (GB 32100-2015): 18 characters from the code's own alphabet
  (no I, O, Z, S, V), weights 3^i mod 31, registering authority and organisation type from the
  standard's table, a 6-digit division code with a plausible province.
- Phone numbers become ``13812345678`` (mobile), ``010-12345678`` (landline with area code),
  ``010-12345678-801`` (with extension) or ``4001234567`` (service numbers).
- Dates accept ISO, slashes, dots, ``20240305``, ``2024年3月5日`` and Excel serial numbers.

One module per kind of value (``identity``, ``phone``, ``dates``, ``people``); import them
from here.
"""

from __future__ import annotations

from .base import (
    ERROR_CODES,
    FieldError,
)
from .dates import (
    EXCEL_EPOCH,
    EXCEL_SERIAL_RANGE,
    parse_date,
)
from .identity import (
    EARLIEST_BIRTH,
    ID_CHECK_CHARS,
    ID_WEIGHTS,
    PROVINCES,
    USCC_ALPHABET,
    USCC_AUTHORITIES,
    USCC_WEIGHTS,
    IdNumberInfo,
    id_check_char,
    normalise_id_number,
    region_plausible,
    uscc_check_char,
    uscc_division,
    validate_id_number,
    validate_uscc,
)
from .people import (
    ETHNICITIES,
    ETHNICITY_CODES,
    normalise_ethnicity,
    parse_sex,
    to_simplified,
)
from .phone import (
    is_mobile,
    normalise_phone,
)

__all__ = [
    "EARLIEST_BIRTH",
    "ERROR_CODES",
    "ETHNICITIES",
    "ETHNICITY_CODES",
    "EXCEL_EPOCH",
    "EXCEL_SERIAL_RANGE",
    "ID_CHECK_CHARS",
    "ID_WEIGHTS",
    "PROVINCES",
    "USCC_ALPHABET",
    "USCC_AUTHORITIES",
    "USCC_WEIGHTS",
    "FieldError",
    "IdNumberInfo",
    "id_check_char",
    "is_mobile",
    "normalise_ethnicity",
    "normalise_id_number",
    "normalise_phone",
    "parse_date",
    "parse_sex",
    "region_plausible",
    "to_simplified",
    "uscc_check_char",
    "uscc_division",
    "validate_id_number",
    "validate_uscc",
]
