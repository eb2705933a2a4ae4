"""Tables to Excel: one helper every "export" button uses.

``xlsx_response(filename, headers, rows)`` returns an ``HttpResponse`` carrying an .xlsx
workbook (openpyxl, write-only mode so large tables stream through little memory).
Values are written as they are (numbers stay numbers); ``None`` is an empty cell; lazy
translation strings are rendered in the active language; text that a spreadsheet would
read as a formula (=, +, -, @ first) is prefixed with an apostrophe (CSV/formula
injection).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

from django.http import HttpResponse
from django.utils import timezone
from django.utils.functional import Promise

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_SHEET_TITLE_MAX = 31


def _cell(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, Promise):
        value = str(value)
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.replace(tzinfo=None)
    if isinstance(value, date):
        return value
    text = str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def xlsx_bytes(
    headers: Sequence[Any], rows: Iterable[Sequence[Any]], *, sheet_title: str = "Sheet1"
) -> bytes:
    """The workbook as bytes: one sheet, a bold header row, then ``rows``."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    title = "".join(ch for ch in str(sheet_title) if ch not in "[]:*?/\\")[:_SHEET_TITLE_MAX]
    sheet = workbook.create_sheet(title=title or "Sheet1")
    bold = Font(bold=True)
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=_cell(header))
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows:
        sheet.append([_cell(value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_response(
    filename: str,
    headers: Sequence[Any],
    rows: Iterable[Sequence[Any]],
    *,
    sheet_title: str = "Sheet1",
) -> HttpResponse:
    """An attachment download of ``headers`` + ``rows`` as ``filename`` (.xlsx added)."""
    if not filename.lower().endswith(".xlsx"):
        filename += ".xlsx"
    response = HttpResponse(
        xlsx_bytes(headers, rows, sheet_title=sheet_title), content_type=XLSX_CONTENT_TYPE
    )
    ascii_name = "".join(
        ch if (ch.isascii() and ch.isalnum()) or ch in "._-" else "_" for ch in filename
    )
    response["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    )
    response["Cache-Control"] = "private, no-store"
    return response
