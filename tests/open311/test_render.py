"""The XML writer of ``open311.render`` answers what ElementTree would, byte for byte."""

from __future__ import annotations

import re
from typing import Any
from xml.etree import ElementTree as ET

from hypothesis import given, settings
from hypothesis import strategies as st

from grassroots.open311.render import ITEM_TAGS, to_xml

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _reference_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def _reference_fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, dict):
        for key, child in value.items():
            _reference_fill(ET.SubElement(element, key), child)
    elif isinstance(value, list):
        tag = ITEM_TAGS.get(element.tag, "item")
        for item in value:
            _reference_fill(ET.SubElement(element, tag), item)
    else:
        element.text = _reference_text(value)


def reference_xml(root: str, value: Any) -> bytes:
    """The ElementTree writer the lean one replaced."""
    element = ET.Element(root)
    _reference_fill(element, value)
    body = ET.tostring(element, encoding="unicode")
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + body).encode("utf-8")


TAGS = st.sampled_from(
    ["service_requests", "request", "status_notes", "values", "attributes", "formats", "x"]
)
SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text()
VALUES = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(TAGS, children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(root=TAGS, value=VALUES)
def test_same_bytes_as_elementtree(root, value):
    assert to_xml(root, value) == reference_xml(root, value)


def test_escaping_and_empty_elements():
    value = [{"a": "<b> & \"c\" 'd'", "empty": "", "none": None, "ctl": "x\x01\x1fy\r\n\t"}]
    assert to_xml("service_requests", value) == reference_xml("service_requests", value)
    assert b"<empty />" in to_xml("request", {"empty": ""})
    assert to_xml("errors", []) == reference_xml("errors", [])
