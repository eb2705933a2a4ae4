"""``var/demo-credentials.json``: the demo accounts with their passwords, and a table of them.

The passwords are derived from the seed (``password_for``), so the file can always be
written again from the database and the seed. A value another part keeps in the file
(``open311_api_key``) survives a rewrite.
"""

from __future__ import annotations

import json
import os
import unicodedata
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import translation

from grassroots.org.choices import Role
from grassroots.org.models import Unit, User

from .accounts import password_for

PRESERVED_KEYS = ("open311_api_key",)


def credentials_path() -> Path:
    return Path(settings.VAR_DIR) / "demo-credentials.json"


def credentials_from_db(
    *, scale: str, seed: int, root_code: str, district_code: str, usernames: list[str]
) -> dict[str, Any]:
    """The credentials document for the demo accounts as they are in the database."""
    users = {
        u.username: u
        for u in User.objects.filter(username__in=usernames).select_related("unit", "department")
    }
    district = Unit.objects.filter(code=district_code).values("code", "name").first()
    accounts = []
    with translation.override("zh-hans"):
        for username in usernames:
            user = users.get(username)
            if user is None:
                continue
            accounts.append(
                {
                    "username": username,
                    "password": password_for(seed=seed, username=username),
                    "role": user.role,
                    "role_label": str(Role(user.role).label),
                    "display_name": user.display_name,
                    "home": {
                        "code": user.unit.code,
                        "name": user.unit.name,
                        "level": user.unit.level,
                    }
                    if user.unit
                    else None,
                    "department": {"key": user.department.key, "name": user.department.name}
                    if user.department
                    else None,
                    "admin_site": user.is_staff,
                }
            )
    return {
        "scale": scale,
        "seed": seed,
        "root_code": root_code,
        "district": district,
        "accounts": accounts,
        "open311_api_key": None,
    }


def write_credentials(document: dict[str, Any], path: Path | None = None) -> Path:
    """Write the document (readable by its owner only), keeping preserved keys' values."""
    path = path or credentials_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        try:
            old = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            old = {}
        for key in PRESERVED_KEYS:
            if old.get(key) is not None and document.get(key) is None:
                document[key] = old[key]
    text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    path.chmod(0o600)
    return path


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def credentials_table(document: dict[str, Any]) -> str:
    """The accounts as an aligned plain-text table (CJK characters count double)."""
    header = ["用户名 username", "密码 password", "角色 role", "所在单位或部门 home"]
    rows = [header]
    for account in document["accounts"]:
        home = account["home"] or account["department"]
        where = f"{home['name']} ({home.get('code') or home.get('key')})" if home else "—"
        role = f"{account['role_label']} {account['role']}"
        rows.append([account["username"], account["password"], role, where])
    widths = [max(_width(row[i]) for row in rows) for i in range(len(header))]
    lines = [
        "  ".join(_pad(cell, widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    if document.get("open311_api_key"):
        lines.append(f"\nOpen311 api_key: {document['open311_api_key']}")
    return "\n".join(lines)
