"""The records as Splink compares them: one row per record, every field normalised.

Expensive steps (pinyin, OpenCC, address parsing) run once per distinct value, not per
row: a million records hold far fewer distinct names and addresses.

Columns produced (all text, None when unknown):

``name_s`` the name in simplified characters without separators (compared exactly);
``name_py``/``surname_py``/``given_py`` its pinyin (fuzzy comparison, blocking);
``birth_date`` ISO; ``birth_year``; ``sex`` M/F; ``id_number`` upper-case; ``phone``
digits; ``address_key`` (``registry.address.address_key``: road|number|building|unit|room);
``building_key`` (road|number|building: the same building, another flat) and ``road_key``.

Identifiers shared by implausibly many records (a placeholder phone written for everyone
who gave none, 00000000000; a collective household's address) are blanked: a value held
by more than ``max_identifier_group`` records identifies nobody, and would make blocking
quadratic.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import numpy as np
import pandas as pd

from grassroots.registry.address import address_key

from .chinese import name_features_many, to_simplified_text

REQUIRED_COLUMNS = ("record_id", "name", "sex", "birth_date", "id_number", "phone", "address")

# The common written form of a flat, read without the full parser: optional province/city
# and district, a road, then number 号, building 号楼/栋/幢/座, unit 单元 or -, room 室/号.
_FAST_ADDRESS = re.compile(
    r"^(?:[\u4e00-\u9fff]{1,8}?[省市])?(?:[\u4e00-\u9fff]{1,6}?区)?"
    r"(?P<road>[\u4e00-\u9fff]{1,12}?)(?P<number>[0-9]{1,5})号院?"
    r"(?P<building>[0-9]{1,4})(?:号楼|栋|幢|座)(?P<unit>[0-9]{1,2})(?:单元|-)"
    r"(?P<room>[0-9]{1,5})(?:室|号)?$"
)
_DIGITS = re.compile(r"[0-9]+")
_SPACES = re.compile(r"\s+")
_SEPARATOR = "\x1f"
_BLANKS = re.compile(r"[ \t\r\n\v\f\u00a0\u3000]+")


def _factorize(values: pd.Series) -> tuple[np.ndarray, list[Any]]:
    """Codes (−1 for missing/blank) and the distinct stripped texts."""
    codes, uniques = pd.factorize(values.to_numpy(dtype=object), use_na_sentinel=True)
    texts = [str(u).strip() for u in uniques]
    # blanks and the text "nan" are missing too
    blank = np.array([t == "" or t.lower() in ("nan", "none", "<na>") for t in texts] or [False])
    if blank.any():
        remap = np.where(blank, -1, np.arange(len(texts)))
        codes = np.where(codes >= 0, remap[np.maximum(codes, 0)], -1)
    return codes, texts


def _take(results: list[Any], codes: np.ndarray) -> np.ndarray:
    """results[code] per row, None where the code is −1."""
    table = np.empty(len(results) + 1, dtype=object)
    table[: len(results)] = results
    table[-1] = None
    return table[np.where(codes >= 0, codes, len(results))]


def _crowded(values: np.ndarray, limit: int) -> np.ndarray:
    """Whether each row's value is held by more than ``limit`` rows (False for None)."""
    codes, _uniques = pd.factorize(values, use_na_sentinel=True)
    counts = np.bincount(codes[codes >= 0], minlength=1) if len(codes) else np.zeros(1, int)
    return (codes >= 0) & (counts[np.maximum(codes, 0)] > limit)


def _too_frequent(values: np.ndarray, limit: int) -> np.ndarray:
    out = values.copy()
    out[_crowded(values, limit)] = None
    return out


def _key_parts(key: str | None) -> tuple[str | None, str | None, str | None]:
    if not key:
        return None, None, None
    road, number, building, _unit, _room = key.split("|")
    return key, f"{road}|{number}|{building}", f"{road}|{number}"


def _fast_key(half: str) -> tuple[str, str, str] | None:
    """(key, road, shape) of a normalised address by the regular expression, or None."""
    match = _FAST_ADDRESS.match(half)
    if match is None:
        return None
    road = match["road"]
    numbers = [match[g].lstrip("0") or "0" for g in ("number", "building", "unit", "room")]
    shape = _DIGITS.sub("#", half[: match.start("road")] + "R" + half[match.end("road") :])
    return "|".join([road, *numbers]), road, shape


def _normalised_many(texts: list[str]) -> list[str]:
    """NFKC (full-width digits), simplified characters, no spaces — all at once."""
    joined = unicodedata.normalize("NFKC", _SEPARATOR.join(texts))
    joined = _BLANKS.sub("", to_simplified_text(joined))
    parts = joined.split(_SEPARATOR)
    if len(parts) != len(texts):
        return [
            _BLANKS.sub("", to_simplified_text(unicodedata.normalize("NFKC", t))) for t in texts
        ]
    return parts


def address_keys_of(texts: list[str]) -> list[str | None]:
    """:func:`registry.address.address_key` of distinct addresses, mostly the fast way.

    Parsing a million distinct addresses with ``address_key`` takes minutes, so the common
    form is read with one regular expression (after NFKC and OpenCC over all the addresses
    at once) — but only where the full parser agrees. One address of each road and one of
    each shape (the address with its road replaced by R and digits by #: 示范区R#号#栋#-#)
    go through ``address_key`` as well; an address whose road or shape gave a different
    key, or that the expression does not read, goes the slow way.
    """
    fast = [_fast_key(t) for t in _normalised_many(texts)]
    sample_road: dict[str, int] = {}
    sample_shape: dict[str, int] = {}
    for i, item in enumerate(fast):
        if item is not None:
            sample_road.setdefault(item[1], i)
            sample_shape.setdefault(item[2], i)
    agrees: dict[int, bool] = {}
    for i in {*sample_road.values(), *sample_shape.values()}:
        agrees[i] = address_key(texts[i]) == fast[i][0]  # type: ignore[index]
    good_roads = {road for road, i in sample_road.items() if agrees[i]}
    good_shapes = {shape for shape, i in sample_shape.items() if agrees[i]}
    keys: list[str | None] = []
    for text, item in zip(texts, fast, strict=True):
        if item is not None and item[1] in good_roads and item[2] in good_shapes:
            keys.append(item[0])
        else:
            keys.append(address_key(text) or None)
    return keys


def address_keys(addresses: pd.Series) -> pd.DataFrame:
    """``address_key``, ``building_key``, ``road_key`` of each address (None if blank)."""
    codes, texts = _factorize(addresses)
    parts = [_key_parts(k) for k in address_keys_of(texts)]
    return pd.DataFrame(
        {
            name: _take([p[i] for p in parts], codes)
            for i, name in enumerate(("address_key", "building_key", "road_key"))
        }
    )


def _birth_date(text: str) -> str | None:
    try:
        parsed = pd.Timestamp(text)
    except (ValueError, TypeError, OverflowError):
        return None
    if pd.isna(parsed):
        return None
    return f"{parsed.year:04d}-{parsed.month:02d}-{parsed.day:02d}"


_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _birth_dates(texts: list[str]) -> list[str | None]:
    """ISO dates; anything unparseable or impossible → None."""
    out: list[str | None] = []
    for text in texts:
        if _ISO.match(text):
            try:
                pd.Timestamp(text)
            except ValueError:
                out.append(None)
                continue
            out.append(text)
        else:
            out.append(_birth_date(text))
    return out


def _id_number(text: str) -> str | None:
    value = _SPACES.sub("", text).upper()
    return value if len(value) >= 15 else None


def _phone(text: str) -> str | None:
    digits = re.sub(r"\D", "", text)
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    return digits if len(digits) >= 7 else None


def _sex(text: str) -> str | None:
    first = text[:1].upper()
    return {"M": "M", "F": "F", "男": "M", "女": "F"}.get(first)


def _column(records: pd.DataFrame, column: str, function: Any) -> np.ndarray:
    codes, texts = _factorize(records[column])
    return _take([function(t) for t in texts], codes)


def prepare_people(records: pd.DataFrame, *, max_identifier_group: int = 50) -> pd.DataFrame:
    """The input of ``link_people`` (see REQUIRED_COLUMNS) → the table Splink reads."""
    missing = [c for c in REQUIRED_COLUMNS if c not in records.columns]
    if missing:
        raise ValueError(f"records lack columns: {', '.join(missing)}")
    out = pd.DataFrame({"record_id": records["record_id"].astype("int64").to_numpy()})
    if out["record_id"].duplicated().any():
        raise ValueError("record_id must be unique")
    if "source" in records.columns:
        out["source"] = _column(records, "source", lambda t: t)

    codes, texts = _factorize(records["name"])
    features = name_features_many(texts)
    for i, column in enumerate(("name_s", "surname_py", "given_py", "name_py")):
        out[column] = _take([f[i] for f in features], codes)

    codes, texts = _factorize(records["birth_date"])
    dates = _birth_dates(texts)
    out["birth_date"] = _take(dates, codes)
    out["birth_year"] = _take([d[:4] if d else None for d in dates], codes)
    out["sex"] = _column(records, "sex", _sex)
    out["id_number"] = _too_frequent(
        _column(records, "id_number", _id_number), max_identifier_group
    )
    out["phone"] = _too_frequent(_column(records, "phone", _phone), max_identifier_group)

    key_frame = address_keys(records["address"])
    # a flat held by more records than any family fills is a collective household
    # (集体户: a police station's, a factory's dormitory) and identifies no one
    crowded = _crowded(key_frame["address_key"].to_numpy(dtype=object), max_identifier_group)
    key_frame.loc[crowded, ["address_key", "building_key"]] = None
    for column in key_frame.columns:
        out[column] = key_frame[column].to_numpy()
    return out
