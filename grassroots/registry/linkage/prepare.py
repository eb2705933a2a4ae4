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
from typing import Any

import numpy as np
import pandas as pd

from grassroots.registry.address import address_key

from .chinese import name_features

REQUIRED_COLUMNS = ("record_id", "name", "sex", "birth_date", "id_number", "phone", "address")


def _map_unique(values: pd.Series, function: Any) -> pd.Series:
    """``function`` applied once per distinct non-null value."""
    present = values.dropna()
    uniques = pd.unique(present)
    mapped = dict(zip(uniques, (function(v) for v in uniques), strict=True))
    return values.map(mapped)


def _blank(series: pd.Series) -> pd.Series:
    """Empty strings and whitespace → None (object dtype)."""
    s = series.astype(object).where(series.notna(), None)
    text = s.astype(str).str.strip()
    return text.where(s.notna() & (text != "") & (text.str.lower() != "nan"), None)


def _too_frequent(series: pd.Series, limit: int) -> pd.Series:
    counts = series.map(series.value_counts())
    return series.where(~(counts > limit), None)


# The common written form of a flat, read without the full parser: optional 北京市 and
# district, a road, then number 号, building 号楼/栋/幢/座, unit 单元 or -, room 室/号.
_FAST_ADDRESS = re.compile(
    r"^(?:[\u4e00-\u9fff]{1,8}?[省市])?(?:[\u4e00-\u9fff]{1,6}?区)?"
    r"(?P<road>[\u4e00-\u9fff]{1,12}?)(?P<number>[0-9]{1,5})号院?"
    r"(?P<building>[0-9]{1,4})(?:号楼|栋|幢|座)(?P<unit>[0-9]{1,2})(?:单元|-)"
    r"(?P<room>[0-9]{1,5})(?:室|号)?$"
)
_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
_DIGITS = re.compile(r"[0-9]+")


def _key_parts(key: str) -> tuple[str | None, str | None, str | None]:
    if not key:
        return None, None, None
    road, number, building, _unit, _room = key.split("|")
    return key, f"{road}|{number}|{building}", f"{road}|{number}"


def address_keys(addresses: pd.Series) -> pd.DataFrame:
    """``address_key``, ``building_key``, ``road_key`` of each address.

    The keys are :func:`registry.address.address_key`'s. Parsing a million distinct
    addresses with it takes a minute, so the common form is read with one regular
    expression — but only where the full parser agrees: the addresses are grouped by
    their template (digits blanked: 示范区和平路#号#栋#-#), one address of each template
    goes through ``address_key``, and a template whose fast key differs goes the slow way
    entirely, as does every address the expression does not read.
    """
    text = _blank(addresses)
    uniques = pd.Series(pd.unique(text.dropna()), dtype=object)
    half = uniques.str.translate(_FULLWIDTH_DIGITS).str.replace(r"\s+", "", regex=True)
    parts = half.str.extract(_FAST_ADDRESS)
    matched = parts["road"].notna()
    for column in ("number", "building", "unit", "room"):
        parts[column] = parts[column].str.lstrip("0").replace("", "0")
    fast = parts["road"] + "|" + parts["number"] + "|" + parts["building"]
    fast = fast + "|" + parts["unit"] + "|" + parts["room"]
    template = half.str.replace(_DIGITS, "#", regex=True)
    keys = pd.Series([None] * len(uniques), dtype=object)
    first = template[matched].drop_duplicates()
    values, fast_values = uniques.to_numpy(), fast.to_numpy()
    trusted = {
        t
        for t, i in zip(first.to_numpy(), first.index.to_numpy(), strict=True)
        if address_key(values[i]) == fast_values[i]
    }
    fast_ok = matched & template.isin(trusted)
    keys[fast_ok] = fast[fast_ok]
    slow = ~fast_ok
    keys[slow] = [address_key(a) for a in values[slow.to_numpy()]]
    lookup = dict(zip(values, keys.to_numpy(), strict=True))
    mapped = text.map(lookup)
    triples = [_key_parts(k) if isinstance(k, str) else (None, None, None) for k in mapped]
    return pd.DataFrame(triples, columns=["address_key", "building_key", "road_key"])


def _birth_dates(values: pd.Series) -> pd.Series:
    """ISO dates; anything unparseable or impossible → None."""
    text = _blank(values)
    parsed = pd.to_datetime(text, errors="coerce", format="mixed")
    iso = parsed.dt.strftime("%Y-%m-%d")
    return iso.where(parsed.notna(), None).astype(object)


def prepare_people(records: pd.DataFrame, *, max_identifier_group: int = 50) -> pd.DataFrame:
    """The input of ``link_people`` (see REQUIRED_COLUMNS) → the table Splink reads."""
    missing = [c for c in REQUIRED_COLUMNS if c not in records.columns]
    if missing:
        raise ValueError(f"records lack columns: {', '.join(missing)}")
    out = pd.DataFrame({"record_id": records["record_id"].astype("int64").to_numpy()})
    if out["record_id"].duplicated().any():
        raise ValueError("record_id must be unique")
    if "source" in records.columns:
        out["source"] = _blank(records["source"]).to_numpy()

    names = _map_unique(_blank(records["name"]), name_features)
    parts = names.map(lambda f: f if isinstance(f, tuple) else (None, None, None, None))
    frame = pd.DataFrame(parts.tolist(), columns=["name_s", "surname_py", "given_py", "name_py"])
    for column in frame.columns:
        out[column] = frame[column].to_numpy()

    out["birth_date"] = _birth_dates(records["birth_date"]).to_numpy()
    out["birth_year"] = out["birth_date"].str.slice(0, 4)

    sex = _blank(records["sex"]).str.upper().str.slice(0, 1)
    sex = sex.replace({"男": "M", "女": "F"})
    out["sex"] = sex.where(sex.isin(["M", "F"]), None).to_numpy()

    id_number = _blank(records["id_number"]).str.upper().str.replace(r"\s", "", regex=True)
    id_number = id_number.where(id_number.str.len() >= 15, None)
    out["id_number"] = _too_frequent(id_number, max_identifier_group).to_numpy()

    phone = _blank(records["phone"]).str.replace(r"\D", "", regex=True)
    phone = phone.where(~(phone.str.len().eq(13) & phone.str.startswith("86")), phone.str[2:])
    phone = phone.where(phone.str.len() >= 7, None)
    out["phone"] = _too_frequent(phone, max_identifier_group).to_numpy()

    key_frame = address_keys(records["address"])
    # a flat held by more records than any family fills is a collective household
    # (集体户: a police station's, a factory's dormitory) and identifies no one
    crowded = key_frame["address_key"].map(key_frame["address_key"].value_counts())
    key_frame.loc[crowded > max_identifier_group, ["address_key", "building_key"]] = None
    for column in key_frame.columns:
        out[column] = key_frame[column].to_numpy()

    # Splink wants real nulls, not NaN
    return out.astype(object).where(out.notna(), None).astype({"record_id": np.int64})
