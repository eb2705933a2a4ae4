"""Notifications: queued after commit, never on rollback, masked in the file backend."""

from __future__ import annotations

import json

import pytest
from django.db import transaction

from grassroots.cases import notify
from grassroots.cases.notify import FileBackend, Message
from grassroots.core.crypto import encrypt

pytestmark = pytest.mark.django_db(transaction=True)


def message(text: str = "已受理") -> Message:
    return Message(encrypt("13812345678"), None, "ABCDEFGHJK", text, "submitted")


def test_sent_after_commit(outbox):
    with transaction.atomic():
        notify.notify(message())
        assert outbox == []
    assert [m.text for m in outbox] == ["已受理"]


def test_nothing_sent_on_rollback(outbox):
    with pytest.raises(RuntimeError), transaction.atomic():
        notify.notify(message())
        raise RuntimeError
    assert outbox == []


def test_suppressed_block_sends_nothing(outbox):
    with notify.suppressed():
        notify.notify(message())
    notify.notify(message("之后"))
    assert [m.text for m in outbox] == ["之后"]


def test_no_recipient_no_message(outbox):
    notify.notify(Message("", None, "ABCDEFGHJK", "x", "submitted"))
    assert outbox == []


def test_file_backend_masks_the_phone(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    FileBackend().send(message())
    line = json.loads((tmp_path / "notifications.jsonl").read_text(encoding="utf-8"))
    assert line["to_phone"] == "138****5678"
    assert "13812345678" not in json.dumps(line)
