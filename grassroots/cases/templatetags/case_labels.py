"""``{{ thing|label }}``: the name of a category, unit or department in the request's
language (``cases.selectors.public.localise``: the English name in English, falling back to
the Chinese one; traditional characters in zh-hant)."""

from __future__ import annotations

from typing import Any

from django import template

from grassroots.cases.selectors.public import localise

register = template.Library()


@register.filter
def label(thing: Any) -> str:
    if thing is None:
        return ""
    return localise(str(thing.name), getattr(thing, "name_en", "") or "")
