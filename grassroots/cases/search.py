"""Search text of cases: simplified and traditional Chinese match each other.

Every case stores ``search_text``: its tracking code, category, address and description
converted to simplified Chinese (OpenCC t2s) and lower-cased. A query is normalised the
same way, so 「下水道堵塞」 finds 「下水道堵塞」 and 「下水道堵塞」 alike.
"""

from __future__ import annotations

from functools import lru_cache

import opencc


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def normalise(text: str) -> str:
    """Simplified Chinese, lower case, single spaces."""
    return " ".join(_t2s().convert(text or "").lower().split())


def search_text_for(
    *, tracking_code: str, category_name: str, address: str, description: str
) -> str:
    return normalise(" ".join([tracking_code, category_name, address, description]))
