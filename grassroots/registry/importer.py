"""Reading and validating department files: no database writes here.

``read_table`` opens a CSV (UTF-8 with or without BOM, GBK/GB18030, UTF-16; the encoding is
detected with charset-normalizer) or an XLSX file and returns its header and rows, or
refuses the whole file (:class:`FileRefused`: too big, empty, undecodable, not a table,
too many rows). ``map_headers`` matches the header to the source's columns and refuses a
file whose required columns are missing, saying which and what was expected.
:class:`RowValidator` turns each row into canonical, normalised values (``ValidRow``) or a
list of reasons (``RejectedRow``). ``rejects_csv`` writes the rejects file that a steward
corrects and re-submits.

Excel formulas are never evaluated: XLSX files are read with their formulas as text, and a
cell that starts like a formula (``=``, ``@``, or ``+``/``-`` followed by anything but a
number) refuses its row with the code ``formula``; cells written back to a rejects file are
neutralised with a leading apostrophe.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import os
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from grassroots.core.crypto import blind_index, encrypt
from grassroots.core.errors import ValidationFailed
from grassroots.core.masking import mask_id_number, mask_phone

from . import validators
from .choices import EntityType, FileFormat, HouseUse, OrgStatus, PersonType
from .sources import IGNORED_HEADERS, SourceSpec, normalise_header
from .validators import FieldError

REJECT_REASON_HEADER = "错误原因"
ROW_NUMBER_HEADER = "行号"
SENSITIVE_FIELDS = frozenset({"id_number", "phone"})
_SNIFF_BYTES = 256 * 1024
_IGNORED = frozenset(normalise_header(h) for h in IGNORED_HEADERS)


class FileRefused(ValidationFailed):
    """The whole file is refused; nothing is written. The message says why, for people."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message, field="file")
        self.refusal = code


# --- reading -------------------------------------------------------------------------------


@dataclass
class Table:
    headers: list[str]
    rows: list[list[Any]]  # data rows (blank rows dropped), each as long as the header
    row_numbers: list[int]  # the row's line/row number in the file (header = 1)
    file_format: str
    encoding: str
    blank_rows: int = 0


def detect_format(head: bytes, name: str = "") -> str:
    if head.startswith(b"PK\x03\x04"):
        return FileFormat.XLSX
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileRefused(
            _("这是旧版 Excel（.xls）文件，请在 Excel 中另存为 .xlsx 或 CSV 后再上传。"),
            code="xls",
        )
    if name.lower().endswith((".xlsx", ".xlsm")):
        raise FileRefused(
            _("文件扩展名是 .xlsx，但内容不是 Excel 文件，文件可能已损坏。"), code="corrupt"
        )
    return FileFormat.CSV


def read_table(path: str | os.PathLike[str], *, name: str = "") -> Table:
    """Header and rows of a department file, or :class:`FileRefused`."""
    size = os.path.getsize(path)
    limit = settings.REGISTRY_IMPORT_MAX_BYTES
    if size > limit:
        raise FileRefused(
            _("文件太大（%(size)s MB），上限为 %(limit)s MB，请拆分后分批导入。")
            % {"size": f"{size / 1048576:.1f}", "limit": f"{limit / 1048576:.0f}"},
            code="too_big",
        )
    if size == 0:
        raise FileRefused(_("文件是空的。"), code="empty")
    with open(path, "rb") as handle:
        head = handle.read(8)
    file_format = detect_format(head, name)
    if file_format == FileFormat.XLSX:
        headers, rows, numbers, blank = _read_xlsx(path)
        encoding = ""
    else:
        with open(path, "rb") as handle:
            data = handle.read()
        text, encoding = decode_bytes(data)
        headers, rows, numbers, blank = _read_csv(text)
    if not headers:
        raise FileRefused(_("文件是空的：没有表头，也没有数据。"), code="empty")
    if not rows:
        raise FileRefused(_("文件只有表头，没有数据行。"), code="empty")
    max_rows = settings.REGISTRY_IMPORT_MAX_ROWS
    if len(rows) > max_rows:
        raise FileRefused(
            _("文件有 %(rows)s 行数据，超过上限 %(limit)s 行，请拆分后分批导入。")
            % {"rows": f"{len(rows):,}", "limit": f"{max_rows:,}"},
            code="too_many_rows",
        )
    return Table(headers, rows, numbers, file_format, encoding, blank)


_GB_FAMILY = {"gb2312", "gbk", "gb18030", "hz", "big5", "cp936", "euc_cn", "big5hkscs", "cp950"}


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Text and encoding name of a CSV file's bytes (BOM, UTF-8, then detection)."""
    if data.startswith(b"\xef\xbb\xbf"):
        candidates = ["utf-8-sig"]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ["utf-16"]
    else:
        candidates = ["utf-8"]
        try:
            from charset_normalizer import from_bytes

            best = from_bytes(data[:_SNIFF_BYTES]).best()
            guess = (best.encoding if best else "").lower().replace("-", "_")
        except Exception:  # detection is a hint; the strict decodes below decide
            guess = ""
        if guess in _GB_FAMILY and not guess.startswith(("big5", "cp950")):
            # GB18030 is a superset of GB2312 and GBK: decode with it
            candidates.append("gb18030")
        elif guess and guess not in ("ascii", "utf_8"):
            candidates.extend([guess, "gb18030"])
        else:
            candidates.append("gb18030")
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
        if "\x00" in text or _looks_binary(text):
            continue
        name = "utf-8" if encoding == "utf-8-sig" else encoding
        return text, name
    raise FileRefused(
        _("无法识别文件的编码，请另存为 UTF-8 或 GBK 编码的 CSV，或 Excel（.xlsx）文件。"),
        code="undecodable",
    )


def _looks_binary(text: str) -> bool:
    sample = text[:4096]
    if not sample:
        return False
    control = sum(1 for ch in sample if unicodedata.category(ch) == "Cc" and ch not in "\r\n\t")
    return control > len(sample) * 0.01


def _read_csv(text: str) -> tuple[list[str], list[list[Any]], list[int], int]:
    text = text.lstrip("\ufeff")
    first_line = text.split("\n", 1)[0]
    delimiter = max(",\t;|", key=first_line.count) if first_line else ","
    if first_line.count(delimiter) == 0:
        delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    headers: list[str] = []
    rows: list[list[Any]] = []
    numbers: list[int] = []
    blank = 0
    try:
        for line_no, row in enumerate(reader, start=1):
            if not headers:
                if any(cell.strip() for cell in row):
                    headers = [cell.strip() for cell in row]
                    header_line = line_no
                continue
            if not any(cell.strip() for cell in row):
                blank += 1
                continue
            rows.append(row)
            numbers.append(line_no)
    except csv.Error as exc:
        raise FileRefused(
            _("CSV 文件格式错误：%(error)s") % {"error": str(exc)}, code="malformed"
        ) from exc
    del header_line
    return headers, rows, numbers, blank


def _read_xlsx(path: str | os.PathLike[str]) -> tuple[list[str], list[list[Any]], list[int], int]:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise FileRefused(
            _("无法打开 Excel 文件（%(error)s），文件可能已损坏。") % {"error": type(exc).__name__},
            code="corrupt",
        ) from exc
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            return [], [], [], 0
        headers: list[str] = []
        rows: list[list[Any]] = []
        numbers: list[int] = []
        blank = 0
        for row_no, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = list(row)
            if not headers:
                if any(_present(c) for c in cells):
                    headers = ["" if c is None else str(c).strip() for c in cells]
                continue
            if not any(_present(c) for c in cells):
                blank += 1
                continue
            rows.append(cells)
            numbers.append(row_no)
            if len(rows) > settings.REGISTRY_IMPORT_MAX_ROWS:
                break
        return headers, rows, numbers, blank
    finally:
        workbook.close()


def _present(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


# --- headers -------------------------------------------------------------------------------


@dataclass
class HeaderMapping:
    fields: dict[int, str]  # column index → canonical field
    unknown: list[str]  # headers that map to nothing (ignored, listed in the report)


def map_headers(spec: SourceSpec, headers: list[str]) -> HeaderMapping:
    """Match a file's header to ``spec``; refuse it when required columns are missing or two
    columns mean the same field."""
    lookup = spec.header_map()
    ignored = _IGNORED
    fields: dict[int, str] = {}
    seen: dict[str, str] = {}
    unknown: list[str] = []
    for index, header in enumerate(headers):
        key = normalise_header(header)
        if not key or key in ignored:
            continue
        target = lookup.get(key)
        if target is None:
            unknown.append(header)
            continue
        if target in seen:
            raise FileRefused(
                _("列“%(a)s”和“%(b)s”是同一项数据，请删去其中一列。")
                % {"a": seen[target], "b": header},
                code="duplicate_column",
            )
        seen[target] = header
        fields[index] = target
    missing = [c.header for c in spec.columns if c.required and c.field not in seen]
    if missing:
        expected = "、".join(c.header + ("*" if c.required else "") for c in spec.columns)
        found = "、".join(h for h in headers if h) or _("（无）")
        raise FileRefused(
            _(
                "文件缺少必需的列：%(missing)s。%(source)s文件应有的列为：%(expected)s"
                "（* 为必需）；文件中的列为：%(found)s。请确认选择的数据来源是否正确。"
            )
            % {
                "missing": "、".join(missing),
                "source": str(spec.name),
                "expected": expected,
                "found": found,
            },
            code="wrong_columns",
        )
    return HeaderMapping(fields, unknown)


# --- rows ----------------------------------------------------------------------------------


@dataclass
class ValidRow:
    row_number: int
    values: dict[str, Any]  # canonical, normalised, JSON-ready except dates/Decimals
    id_number: str = ""
    phone: str = ""
    address: str = ""
    address_parts: dict[str, str] = field(default_factory=dict)
    address_key: str = ""
    observed_at: date | None = None
    content_hash: str = ""
    lon: float | None = None
    lat: float | None = None


@dataclass
class RejectedRow:
    row_number: int
    raw: dict[str, str]  # header → cell as text (sensitive values in plain: encrypt it)
    reasons: list[dict[str, str]]


_FORMULA_START = re.compile(r"^[=@]|^[+\-](?![0-9\s.()（）+\-]*$)")

PERSON_TYPES = {
    "户籍": PersonType.REGISTERED,
    "户籍人口": PersonType.REGISTERED,
    "本地户籍": PersonType.REGISTERED,
    "常住": PersonType.RESIDENT,
    "常住人口": PersonType.RESIDENT,
    "流动": PersonType.FLOATING,
    "流动人口": PersonType.FLOATING,
    "外来": PersonType.FLOATING,
    "暂住": PersonType.FLOATING,
    "境外": PersonType.OVERSEAS,
    "境外人员": PersonType.OVERSEAS,
}
HOUSE_USES = {
    "自住": HouseUse.SELF_OCCUPIED,
    "自用": HouseUse.SELF_OCCUPIED,
    "居住": HouseUse.SELF_OCCUPIED,
    "出租": HouseUse.RENTED,
    "租赁": HouseUse.RENTED,
    "经营": HouseUse.BUSINESS,
    "商用": HouseUse.BUSINESS,
    "商业": HouseUse.BUSINESS,
    "空置": HouseUse.VACANT,
    "闲置": HouseUse.VACANT,
}
ORG_STATUSES = {
    "存续": OrgStatus.EXISTING,
    "正常": OrgStatus.EXISTING,
    "在业": OrgStatus.OPERATING,
    "开业": OrgStatus.OPERATING,
    "营业": OrgStatus.OPERATING,
    "注销": OrgStatus.CANCELLED,
    "吊销": OrgStatus.REVOKED,
    "吊销，未注销": OrgStatus.REVOKED,
}
_CHOICE_FIELDS = {
    "person_type": (PERSON_TYPES, PersonType),
    "house_use": (HOUSE_USES, HouseUse),
    "org_status": (ORG_STATUSES, OrgStatus),
}
_FIELD_LABELS = {
    "name": "姓名",
    "org_name": "名称",
    "address": "地址",
    "household_address": "户籍地址",
    "id_number": "身份证号",
    "uscc": "统一社会信用代码",
    "code": "部件编码",
}
TEXT_LIMITS = {
    "name": 50,
    "org_name": 200,
    "ethnicity": 20,
    "household_no": 30,
    "relation_to_head": 20,
    "org_type": 50,
    "legal_rep": 100,
    "owner_name": 100,
    "employer_name": 200,
    "tag": 50,
    "source_key": 64,
    "kind": 10,
}


def cell_text(value: Any) -> str:
    """A cell as text, the way a person reads it (Excel dates as ISO, 12.0 as 12)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def looks_like_formula(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    text = value.lstrip(" \t\r\n").lstrip("'")
    return bool(text) and bool(_FORMULA_START.match(text))


# fields with few distinct values, whose parse depends on nothing but the value
_CACHEABLE = frozenset(
    {
        "sex",
        "ethnicity",
        "person_type",
        "house_use",
        "org_status",
        "org_type",
        "relation_to_head",
        "observed_at",
        "founded_on",
        "tag",
    }
)
_MISSING = object()


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _reason(field_name: str, code: str, message: str) -> dict[str, str]:
    return {"field": field_name, "code": code, "message": message}


class RowValidator:
    """Validates the rows of one file of one source, remembering what it saw (duplicates
    within the file, source keys) and caching address parses."""

    def __init__(
        self,
        spec: SourceSpec,
        mapping: HeaderMapping,
        headers: list[str],
        *,
        default_observed_at: date,
        today: date | None = None,
    ) -> None:
        self.spec = spec
        self.mapping = mapping
        self.headers = headers
        self.default_observed_at = default_observed_at
        self.today = today or default_observed_at
        self.required = {c.field for c in spec.columns if c.required}
        self.seen_hashes: dict[str, int] = {}
        self.seen_keys: dict[str, int] = {}
        self._address_cache: dict[str, tuple[dict[str, str], str]] = {}
        self._value_cache: dict[tuple[str, Any], Any] = {}

    @classmethod
    def for_values(
        cls, spec: SourceSpec, values: dict[str, Any], *, observed_at: date
    ) -> tuple[ValidRow, list[dict[str, str]]]:
        """Validate canonical values entered by hand (a visit's corrections) with the same
        rules as a file row; returns the row and the reasons (empty when valid)."""
        validator = cls(
            spec, HeaderMapping({}, []), [], default_observed_at=observed_at, today=observed_at
        )
        row = ValidRow(row_number=0, values={}, observed_at=observed_at)
        reasons: list[dict[str, str]] = []
        for name, value in values.items():
            if looks_like_formula(value):
                reasons.append(_reason(name, "formula", _("内容不能以公式符号开头。")))
                continue
            try:
                validator._parse_field(
                    row, name, value.strip() if isinstance(value, str) else value
                )
            except FieldError as error:
                reason = error.as_reason()
                reason["field"] = name
                reasons.append(reason)
        if not reasons:
            reasons.extend(validator._cross_checks(row, identity=False))
        return row, reasons

    # raw row ----------------------------------------------------------------------------
    def raw(self, cells: list[Any]) -> dict[str, str]:
        out: dict[str, str] = {}
        for index, header in enumerate(self.headers):
            if not header or normalise_header(header) in _IGNORED:
                continue
            out[header] = cell_text(cells[index]) if index < len(cells) else ""
        return out

    def masked(self, raw: dict[str, str]) -> dict[str, str]:
        out = dict(raw)
        for index, target in self.mapping.fields.items():
            header = self.headers[index]
            if target == "id_number" and out.get(header):
                out[header] = mask_id_number(out[header])
            elif target == "phone" and out.get(header):
                out[header] = mask_phone(out[header])
        return out

    # one row ----------------------------------------------------------------------------
    def validate(self, row_number: int, cells: list[Any]) -> ValidRow | RejectedRow:
        reasons: list[dict[str, str]] = []
        given: dict[str, Any] = {}
        for index, target in self.mapping.fields.items():
            value = cells[index] if index < len(cells) else None
            if isinstance(value, str):
                value = value.strip()
            if looks_like_formula(value):
                reasons.append(
                    _reason(
                        target,
                        "formula",
                        _(
                            "“%(header)s”一栏是公式或以公式符号开头（%(value)s），系统不执行公式，请填写实际值。"
                        )
                        % {"header": self.headers[index], "value": str(value)[:30]},
                    )
                )
                continue
            if not _blank(value):
                given[target] = value
        for name in sorted(self.required):
            if name not in given and not any(r["field"] == name for r in reasons):
                column = self.spec.column_for(name)
                reasons.append(
                    _reason(
                        name,
                        "required",
                        _("必填项“%(header)s”为空。")
                        % {"header": column.header if column else name},
                    )
                )
        row = ValidRow(row_number=row_number, values={})
        for name, value in given.items():
            try:
                self._parse_field(row, name, value)
            except FieldError as error:
                reason = error.as_reason()
                reason["field"] = name
                reasons.append(reason)
        if not reasons:
            reasons.extend(self._cross_checks(row))
        if reasons:
            return RejectedRow(row_number, self.raw(cells), reasons)
        row.observed_at = row.values.pop("observed_at", None) or self.default_observed_at
        row.content_hash = self._hash(row)
        return row

    def duplicate_of(self, row: ValidRow) -> int | None:
        """The earlier row of this file with the same normalised content, if any."""
        first = self.seen_hashes.get(row.content_hash)
        if first is None:
            self.seen_hashes[row.content_hash] = row.row_number
        return first

    def key_clash(self, row: ValidRow) -> dict[str, str] | None:
        key = row.values.get("source_key")
        if not key:
            return None
        first = self.seen_keys.get(key)
        if first is None:
            self.seen_keys[key] = row.row_number
            return None
        return _reason(
            "source_key",
            "source_key_duplicate",
            _("记录编号 %(key)s 与第 %(row)s 行重复，但内容不同。") % {"key": key, "row": first},
        )

    # fields -----------------------------------------------------------------------------
    def _parse_field(self, row: ValidRow, name: str, value: Any) -> None:
        if name not in _CACHEABLE:
            self._parse_one(row, name, value)
            return
        key = (name, value)
        hit = self._value_cache.get(key, _MISSING)
        if hit is _MISSING:
            try:
                self._parse_one(row, name, value)
            except FieldError as error:
                if len(self._value_cache) < 50_000:
                    self._value_cache[key] = error
                raise
            if len(self._value_cache) < 50_000:
                self._value_cache[key] = row.values.get(name)
        elif isinstance(hit, FieldError):
            raise hit.with_traceback(None)
        else:
            row.values[name] = hit

    def _parse_one(self, row: ValidRow, name: str, value: Any) -> None:
        values = row.values
        if name == "id_number":
            info = validators.validate_id_number(value, field=name, today=self.today)
            row.id_number = info.value
            values["_id_birth_date"] = info.birth_date
            values["_id_sex"] = info.sex
        elif name == "phone":
            row.phone = validators.normalise_phone(value, field=name)
        elif name in ("uscc", "employer_uscc"):
            values[name] = validators.validate_uscc(value, field=name)
        elif name == "birth_date" or name == "founded_on" or name == "observed_at":
            values[name] = validators.parse_date(value, field=name, latest=self.today)
        elif name == "sex":
            values[name] = validators.parse_sex(value, field=name)
        elif name == "ethnicity":
            values[name] = validators.normalise_ethnicity(value, field=name)
        elif name in ("address", "household_address"):
            text = _clean_text(value)
            parts, key = self._parse_address(text)
            values[name] = text
            if name == self.spec.house_field:
                row.address, row.address_parts, row.address_key = text, parts, key
            elif not row.address and name == "address":
                # an address that is not the house field still parses (for linkage)
                pass
        elif name in _CHOICE_FIELDS:
            table, choices = _CHOICE_FIELDS[name]
            text = _clean_text(value)
            if text in table:
                values[name] = str(table[text])
            elif text in choices.values:
                values[name] = text
            else:
                raise FieldError(
                    name,
                    f"{name}_invalid",
                    _("无法识别“%(value)s”，可填写：%(allowed)s。")
                    % {"value": text[:20], "allowed": "、".join(sorted(set(table)))},
                )
        elif name == "area_m2":
            values[name] = _parse_area(value)
        elif name in ("lon", "lat"):
            number = _parse_float(value, name)
            limit = 180 if name == "lon" else 90
            if not -limit <= number <= limit:
                raise FieldError(name, "coordinate_range", _("坐标超出范围。"))
            setattr(row, name, number)
        elif name == "name":
            text = _clean_name(value)
            self._check_length(name, text)
            values[name] = text
        else:
            text = _clean_text(value)
            self._check_length(name, text)
            values[name] = text

    def _check_length(self, name: str, text: str) -> None:
        limit = TEXT_LIMITS.get(name, 255)
        if len(text) > limit:
            raise FieldError(
                name,
                "too_long",
                _("内容过长（%(length)s 个字），上限 %(limit)s 个字。")
                % {"length": len(text), "limit": limit},
            )

    def _parse_address(self, text: str) -> tuple[dict[str, str], str]:
        cached = self._address_cache.get(text)
        if cached is None:
            from . import address

            parts = address.parse_address(text)
            cached = (_parts_dict(parts), address.address_key(parts))
            self._address_cache[text] = cached
        return dict(cached[0]), cached[1]

    def _cross_checks(self, row: ValidRow, *, identity: bool = True) -> list[dict[str, str]]:
        reasons: list[dict[str, str]] = []
        values = row.values
        id_birth = values.pop("_id_birth_date", None)
        id_sex = values.pop("_id_sex", None)
        if id_birth is not None:
            given = values.get("birth_date")
            if given is not None and given != id_birth:
                reasons.append(
                    _reason(
                        "birth_date",
                        "id_birth_mismatch",
                        _("出生日期 %(given)s 与身份证号中的出生日期不一致。")
                        % {"given": given.isoformat()},
                    )
                )
            values.setdefault("birth_date", id_birth)
        if id_sex is not None:
            given_sex = values.get("sex")
            if given_sex and given_sex != id_sex:
                reasons.append(
                    _reason("sex", "id_sex_mismatch", _("性别与身份证号中的性别不一致。"))
                )
            if not given_sex:
                values["sex"] = id_sex
        birth = values.get("birth_date")
        observed = values.get("observed_at")
        if birth is not None and observed is not None and observed < birth:
            reasons.append(_reason("observed_at", "date_order", _("登记/更新日期早于出生日期。")))
        founded = values.get("founded_on")
        if founded is not None and observed is not None and observed < founded:
            reasons.append(_reason("observed_at", "date_order", _("更新日期早于成立日期。")))
        if self.spec.house_field and not row.address:
            fallback = values.get("address") or values.get("household_address")
            if fallback:
                row.address = fallback
                row.address_parts, row.address_key = self._parse_address(fallback)
        # a person without ID number must be identifiable by something else
        if (
            identity
            and self.spec.entity_type == EntityType.PERSON
            and not row.id_number
            and not (row.phone or values.get("birth_date") or row.address)
        ):
            reasons.append(
                _reason(
                    "id_number",
                    "unidentifiable",
                    _("没有身份证号时，至少需要电话、出生日期或地址之一。"),
                )
            )
        return reasons

    def _hash(self, row: ValidRow) -> str:
        content = {k: _jsonable(v) for k, v in row.values.items()}
        content["id_number"] = row.id_number
        content["phone"] = row.phone
        content["lon"], content["lat"] = row.lon, row.lat
        text = json.dumps(content, sort_keys=True, ensure_ascii=False)
        key = _row_key(settings.FIELD_ENCRYPTION_KEY)
        return hmac.new(key, f"{self.spec.key}|{text}".encode(), hashlib.sha256).hexdigest()


@lru_cache(maxsize=4)
def _row_key(secret: str) -> bytes:
    """The key of row fingerprints (keyed: a row holds personal data), derived once."""
    return bytes.fromhex(blind_index("registry-row-fingerprint", purpose="row-key"))


def _clean_text(value: Any) -> str:
    text = value if isinstance(value, str) else cell_text(value)
    text = re.sub(r"\s+", " ", text.replace("\u3000", " ")).strip()
    return text[1:].strip() if text.startswith("'") else text


def _clean_name(value: Any) -> str:
    text = _clean_text(value)
    if re.search(r"[\u4e00-\u9fff]", text):
        text = text.replace(" ", "")  # 张 三 → 张三; 阿依古丽·买买提 keeps its dot
    return text


def _parse_float(value: Any, name: str) -> float:
    try:
        return float(unicodedata.normalize("NFKC", str(value)).strip())
    except (TypeError, ValueError):
        raise FieldError(
            name, "number_invalid", _("“%(value)s”不是数字。") % {"value": str(value)[:20]}
        ) from None


def _parse_area(value: Any) -> Decimal:
    text = unicodedata.normalize("NFKC", cell_text(value)).strip()
    text = re.sub(r"(平方米|平米|㎡|m2|m²)$", "", text, flags=re.IGNORECASE).strip()
    try:
        number = Decimal(text).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise FieldError(
            "area_m2", "number_invalid", _("面积“%(value)s”不是数字。") % {"value": text[:20]}
        ) from None
    if not Decimal("0") < number < Decimal("100000"):
        raise FieldError(
            "area_m2", "area_range", _("面积 %(value)s ㎡ 不在合理范围内。") % {"value": number}
        )
    return number


def _parts_dict(parts: Any) -> dict[str, str]:
    if isinstance(parts, dict):
        items = parts.items()
    elif hasattr(parts, "__dataclass_fields__"):
        items = ((name, getattr(parts, name)) for name in parts.__dataclass_fields__)
    elif hasattr(parts, "_asdict"):
        items = parts._asdict().items()
    else:
        items = vars(parts).items()
    return {str(k): str(v) for k, v in items if isinstance(v, str | int) and v not in ("", None)}


def _jsonable(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def record_data(row: ValidRow) -> dict[str, Any]:
    """The non-sensitive canonical values of a valid row, for ``SourceRecord.data``."""
    data = {k: _jsonable(v) for k, v in row.values.items() if k not in SENSITIVE_FIELDS}
    if row.lon is not None and row.lat is not None:
        data["lon"], data["lat"] = row.lon, row.lat
    return data


def encrypt_raw(raw: dict[str, str]) -> str:
    return encrypt(json.dumps(raw, ensure_ascii=False))


# --- the rejects file ------------------------------------------------------------------------


def neutralise(value: str) -> str:
    """A cell that a spreadsheet would take as a formula, made inert for export."""
    if value and value[0] in "=+-@\t\r":
        return "'" + value
    return value


def rejects_csv(headers: list[str], rows: Iterable[tuple[dict[str, str], str]]) -> bytes:
    """A CSV (UTF-8 with BOM, so Excel opens it) with the original headers and a reason
    column: correct the rows and import the file again as a re-submission."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([*headers, REJECT_REASON_HEADER])
    for raw, reason in rows:
        writer.writerow([neutralise(raw.get(h, "")) for h in headers] + [neutralise(reason)])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def iter_chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
