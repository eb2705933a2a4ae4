"""Checking rows (the truth about the extracts' own noise), spoiling some, and the truth."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import numpy as np

from grassroots.registry.validators import (
    USCC_ALPHABET,
    FieldError,
    id_check_char,
    normalise_ethnicity,
    normalise_phone,
    parse_date,
    validate_id_number,
    validate_uscc,
)

from .formats import (
    ADDRESS_HEADER,
    DIRT,
    DUPLICATE,
    FORMATS,
    HEADERS,
    KIND,
    OBSERVED_AT,
    OBSERVED_HEADER,
    PERSON_SOURCES,
    REQUIRED,
    SEX_CODE,
    FileTruth,
    Row,
    blank,
    impossible_date,
    is_formula,
    text_of,
)

# ---------------------------------------------------------------------------------------
# Checking rows (the truth about the extract's own noise) and dirt


def row_codes(
    source: str,
    row: Row,
    *,
    today: date = OBSERVED_AT,
    cache: dict[tuple[Any, ...], tuple[str, ...]] | None = None,
) -> tuple[str, ...]:
    """The reject codes a row earns from ``registry.validators`` (empty when valid)."""
    if cache is not None:
        key = (source, *(row.get(h) for h in HEADERS[source]))
        if key not in cache:
            cache[key] = row_codes(source, row, today=today)
        return cache[key]
    codes: list[str] = []
    required = REQUIRED[source]
    parsed: dict[str, Any] = {}
    for header in HEADERS[source]:
        value = row.get(header)
        if is_formula(value):
            codes.append("formula")
            continue
        if blank(value):
            if header in required:
                codes.append("required")
            continue
        kind = KIND.get(header)
        try:
            if kind == "id":
                parsed[header] = validate_id_number(value, today=today)
            elif kind == "phone":
                normalise_phone(value)
            elif kind == "uscc":
                validate_uscc(value)
            elif kind == "date":
                parsed[header] = parse_date(value, latest=today)
        except FieldError as error:
            codes.append(error.code)
    if not codes:
        codes.extend(_cross_check_codes(source, row, parsed))
    return tuple(codes)


def _cross_check_codes(source: str, row: Row, parsed: dict[str, Any]) -> list[str]:
    """What the importer checks across the fields of a valid row."""
    codes: list[str] = []
    id_header = next((h for h in HEADERS[source] if KIND.get(h) == "id"), None)
    info = parsed.get(id_header) if id_header else None
    birth = parsed.get("出生日期")
    if info is not None and birth is not None and info.birth_date != birth:
        codes.append("id_birth_mismatch")
    sex = SEX_CODE.get(text_of(row.get("性别")))
    if info is not None and sex and sex != info.sex:
        codes.append("id_sex_mismatch")
    birth = birth or (info.birth_date if info is not None else None)
    observed = parsed.get(OBSERVED_HEADER.get(source, ""))
    if birth is not None and observed is not None and observed < birth:
        codes.append("date_order")
    if source in PERSON_SOURCES and info is None:
        phone = next((row.get(h) for h in HEADERS[source] if KIND.get(h) == "phone"), None)
        address = row.get(ADDRESS_HEADER[source])
        if blank(phone) and birth is None and blank(address):
            codes.append("unidentifiable")
    return codes


def _dirty_value(kind: str, value: Any, source: str, rng: np.random.Generator, row: Row) -> Any:
    style = FORMATS[source].date_style
    if kind == "id_checksum":
        number = str(value).upper()
        others = [c for c in "0123456789X" if c != number[17]]
        return number[:17] + others[int(rng.integers(0, len(others)))]
    if kind == "id_birth_date":
        number = str(value).upper()
        impossible = ("0230", "0231", "0431", "1301", "0001")[int(rng.integers(0, 5))]
        body = number[:10] + impossible + number[14:17]
        return body + id_check_char(body)
    if kind == "date_impossible":
        return impossible_date(rng, style)
    if kind == "phone_format":
        digits = re.sub(r"[^0-9]", "", str(value))
        choice = int(rng.integers(0, 3))
        if choice == 0:
            return digits[:-1]  # a digit short
        if choice == 1:
            return digits + str(int(rng.integers(0, 10)))  # a digit too many
        return digits[:3] + "l" + digits[4:]  # a letter l for the digit 1
    if kind == "uscc_checksum":
        code = str(value)
        others = [c for c in USCC_ALPHABET if c != code[17]]
        return code[:17] + others[int(rng.integers(0, len(others)))]
    if kind == "uscc_format":
        code = str(value)
        position = int(rng.integers(8, 17))
        return code[:position] + str(rng.choice(list("IOZSV"))) + code[position + 1 :]
    if kind == "required":
        return ""
    if kind == "formula":
        text = str(value) or "张三"
        if FORMATS[source].file_format == "xlsx":
            return f'=CONCATENATE("{text[:1]}","{text[1:]}")'
        return (
            f'=HYPERLINK("http://example.invalid/?q={text}","{text}")',
            "=1+1",
            f"@SUM(1,1)*{text}",
        )[int(rng.integers(0, 3))]
    raise ValueError(f"unknown dirt {kind!r}")


def _duplicate_key(source: str, row: Row) -> tuple[Any, ...]:
    """Rows an importer takes for repeats: equal once values are normalised."""
    key: list[Any] = []
    for header in HEADERS[source]:
        if header == OBSERVED_HEADER.get(source):
            continue  # when the row was seen is not part of what it says
        value = row.get(header)
        kind = KIND.get(header)
        try:
            if blank(value):
                key.append("")
            elif kind == "id":
                key.append(validate_id_number(value).value)
            elif kind == "phone":
                key.append(normalise_phone(value))
            elif kind == "date":
                key.append(parse_date(value))
            elif header == "民族":
                key.append(normalise_ethnicity(value))
            else:
                key.append(re.sub(r"\s+", "", str(value)))
        except FieldError:
            key.append(str(value))
    return tuple(key)


def add_dirt(
    source: str,
    rows: list[Row],
    entity_ids: list[int | None],
    rng: np.random.Generator,
    share: float,
    today: date,
    cache: dict[tuple[Any, ...], tuple[str, ...]],
) -> tuple[list[Row], list[int | None], dict[int, str], dict[int, int]]:
    """Dirt in about ``share`` of the rows (every kind once when there are enough rows),
    then exact repeats of clean rows inserted after their original."""
    kinds = list(DIRT[source])
    n = len(rows)
    clean = [i for i in range(n) if not row_codes(source, rows[i], today=today, cache=cache)]
    wanted = round(share * n)
    if share > 0 and n >= 4 * (len(kinds) + 1):
        wanted = max(wanted, len(kinds))
    injected: dict[int, str] = {}
    order = [clean[int(k)] for k in rng.permutation(len(clean))]
    for index in order:
        if len(injected) >= wanted:
            break
        kind = kinds[len(injected) % len(kinds)]
        header = DIRT[source][kind]
        value = rows[index].get(header)
        if kind != "required" and kind != "formula" and blank(value):
            continue  # nothing to spoil (no ID number, no phone)
        if kind in ("id_checksum", "id_birth_date") and len(str(value)) != 18:
            continue
        dirty = dict(rows[index])
        dirty[header] = _dirty_value(kind, value, source, rng, dirty)
        if kind == "formula" or row_codes(source, dirty, today=today):
            rows[index] = dirty
            injected[index] = kind
    # exact repeats of clean rows, each inserted somewhere after its original
    repeats = max(1, round(share * n / 3)) if share > 0 and n >= 10 else 0
    candidates = [i for i in clean if i not in injected]
    picks = (
        sorted(
            candidates[int(k)]
            for k in rng.choice(len(candidates), size=min(repeats, len(candidates)), replace=False)
        )
        if candidates and repeats
        else []
    )
    inserts: dict[int, list[int]] = {}
    for original in picks:
        after = int(rng.integers(original, n))
        inserts.setdefault(after, []).append(original)
    out_rows: list[Row] = []
    out_ids: list[int | None] = []
    out_injected: dict[int, str] = {}
    repeated: dict[int, int] = {}
    position_of: dict[int, int] = {}
    for i in range(n):
        position_of[i] = len(out_rows)
        if i in injected:
            out_injected[len(out_rows)] = injected[i]
        out_rows.append(rows[i])
        out_ids.append(entity_ids[i])
        for original in inserts.get(i, []):
            out_injected[len(out_rows)] = DUPLICATE
            repeated[len(out_rows)] = position_of[original]
            out_rows.append(dict(rows[original]))
            out_ids.append(entity_ids[original])
    return out_rows, out_ids, out_injected, repeated


def make_truth(
    source: str,
    rows: list[Row],
    entity_ids: list[int | None],
    injected: dict[int, str],
    variants: dict[int, str],
    today: date,
    cache: dict[tuple[Any, ...], tuple[str, ...]],
) -> FileTruth:
    rejects: dict[int, tuple[str, ...]] = {}
    duplicates: dict[int, int] = {}
    first_of: dict[tuple[Any, ...], int] = {}
    for i, row in enumerate(rows):
        codes = row_codes(source, row, today=today, cache=cache)
        if codes:
            rejects[i] = codes
            continue
        key = _duplicate_key(source, row)
        if key in first_of:
            duplicates[i] = first_of[key]
        else:
            first_of[key] = i
    return FileTruth(
        rows=len(rows),
        entity_ids=tuple(entity_ids),
        injected=injected,
        rejects=rejects,
        duplicates=duplicates,
        variants=variants,
    )
