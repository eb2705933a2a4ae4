"""GeoReport v2 answers in JSON and XML (no namespace; lists as repeated child elements).

The XML is written as strings, not through ElementTree: a list of 1,000 requests is 17,000
elements, and building then serialising a tree for it cost more than the database query.
The bytes are ElementTree's (``tests/open311/test_render.py`` holds it to that): text
escaped as ``ET`` escapes it (``&``, ``<``, ``>``), an element without text or children
written ``<tag />``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from django.http import HttpResponse

# The element name of one item of each list, by the list's element name.
ITEM_TAGS = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}


# Characters XML 1.0 cannot carry (control characters a client may have typed).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: Any) -> str:
    """A scalar as XML text, escaped: ``None`` empty, booleans ``true``/``false``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = value if isinstance(value, str) else str(value)
    if not text.isprintable():  # fast check first: most text has nothing to remove
        text = _NOT_XML.sub("", text)
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


def _write(out: list[str], tag: str, value: Any) -> None:
    """``value`` as the element ``tag``, appended to ``out``: a dict's items and a list's
    items (named by ``ITEM_TAGS``) as children, anything else as text. Scalar children are
    written in the loop (no call per field: a request list has 17 fields × 1,000)."""
    if not isinstance(value, dict | list):
        text = _text(value)
        out.append(f"<{tag}>{text}</{tag}>" if text else f"<{tag} />")
        return
    if not value:
        out.append(f"<{tag} />")
        return
    out.append(f"<{tag}>")
    pairs = value.items() if isinstance(value, dict) else _items(ITEM_TAGS.get(tag, "item"), value)
    for key, child in pairs:
        if isinstance(child, dict | list):
            _write(out, key, child)
        else:
            text = _text(child)
            out.append(f"<{key}>{text}</{key}>" if text else f"<{key} />")
    out.append(f"</{tag}>")


def _items(tag: str, values: list[Any]) -> Iterator[tuple[str, Any]]:
    for value in values:
        yield tag, value


def to_xml(root: str, value: Any) -> bytes:
    out = ['<?xml version="1.0" encoding="utf-8"?>\n']
    _write(out, root, value)
    return "".join(out).encode("utf-8")


def respond(fmt: str, root: str, value: Any, *, status: int = 200) -> HttpResponse:
    """``value`` in ``fmt``: JSON as is; XML under ``root`` (lists become repeated items)."""
    if fmt == "xml":
        return HttpResponse(
            to_xml(root, value), status=status, content_type="text/xml; charset=utf-8"
        )
    return HttpResponse(
        json.dumps(value, ensure_ascii=False),
        status=status,
        content_type="application/json; charset=utf-8",
    )


def errors(fmt: str, status: int, description: str) -> HttpResponse:
    return respond(fmt, "errors", [{"code": status, "description": description}], status=status)
