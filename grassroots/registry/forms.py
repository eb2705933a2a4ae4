"""Forms of the registry pages: the upload of a department file, the reason for revealing
a value, and a visit with its corrections. They parse and check what a person typed; the
rules about records live in ``registry.services``."""

from __future__ import annotations

import os
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .choices import HouseUse, PersonType
from .models import ImportBatch, Person, Source
from .selectors import REVEALABLE_FIELDS, import_sources

UPLOAD_EXTENSIONS = {".csv": "csv", ".xlsx": "xlsx"}


def max_upload_mb() -> int:
    return max(1, int(settings.REGISTRY_IMPORT_MAX_BYTES) // (1024 * 1024))


class UploadForm(forms.Form):
    source = forms.ModelChoiceField(
        label=_("数据来源"),
        queryset=Source.objects.none(),
        empty_label=_("请选择部门数据来源"),
        error_messages={
            "required": _("请选择数据来源。"),
            "invalid_choice": _("请选择有效的数据来源。"),
        },
    )
    file = forms.FileField(
        label=_("数据文件"),
        error_messages={
            "required": _("请选择要上传的文件。"),
            "empty": _("文件是空的，请检查后重新上传。"),
            "invalid": _("请选择要上传的文件。"),
        },
    )
    observed_at = forms.DateField(
        label=_("数据日期"),
        required=False,
        help_text=_("文件所反映情况的日期，不填则为今天。"),
        error_messages={"invalid": _("请按 年-月-日 填写日期。")},
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    resubmission_of = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["source"].queryset = import_sources()  # type: ignore[attr-defined]

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        ext = os.path.splitext(upload.name or "")[1].lower()
        if ext not in UPLOAD_EXTENSIONS:
            raise forms.ValidationError(
                _("只接受 CSV 或 Excel（.xlsx）文件；旧版 .xls 请先另存为 .xlsx。"),
                code="file_type",
            )
        if upload.size > settings.REGISTRY_IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                _("文件超过 %(mb)s MB 的上限，请拆分后分批上传。") % {"mb": max_upload_mb()},
                code="too_big",
            )
        return upload


class RevealForm(forms.Form):
    field = forms.ChoiceField(
        choices=[(f, f) for f in REVEALABLE_FIELDS],
        error_messages={"invalid_choice": _("只能查看身份证号或电话的完整内容。")},
    )
    reason = forms.CharField(max_length=255, required=False, strip=True)


class VisitForm(forms.Form):
    """A visit: a note, the house's use if it changed, and per person living there a new
    phone, a new person type, or "moved out". Empty means unchanged."""

    note = forms.CharField(label=_("走访情况"), max_length=2000, required=False, strip=True)
    house_use = forms.ChoiceField(
        label=_("房屋用途"),
        choices=[("", _("不变")), *HouseUse.choices],
        required=False,
    )

    def __init__(
        self, *args: Any, people: list[Person], moved_out: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.people = people
        self.moved_out = moved_out
        for person in people:
            self.fields[f"phone_{person.pk}"] = forms.CharField(
                label=_("新电话"), max_length=20, required=False, strip=True
            )
            self.fields[f"type_{person.pk}"] = forms.ChoiceField(
                label=_("人员类型"),
                choices=[("", _("不变")), *PersonType.choices],
                required=False,
            )
            if moved_out:
                self.fields[f"moved_{person.pk}"] = forms.BooleanField(
                    label=_("已搬离"), required=False
                )

    def person_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "person": p,
                "phone": self[f"phone_{p.pk}"],
                "type": self[f"type_{p.pk}"],
                "moved": self[f"moved_{p.pk}"] if self.moved_out else None,
            }
            for p in self.people
        ]

    def house_corrections(self) -> dict[str, str]:
        use = self.cleaned_data.get("house_use") or ""
        return {"house_use": use} if use else {}

    def person_corrections(self) -> dict[int, dict[str, Any]]:
        """``{person_id: {field: new value}}`` for the people whose facts changed."""
        changes: dict[int, dict[str, Any]] = {}
        for person in self.people:
            found: dict[str, Any] = {}
            phone = self.cleaned_data.get(f"phone_{person.pk}") or ""
            kind = self.cleaned_data.get(f"type_{person.pk}") or ""
            if phone:
                found["phone"] = phone
            if kind and kind != person.person_type:
                found["person_type"] = kind
            if self.cleaned_data.get(f"moved_{person.pk}"):
                found["moved_out"] = True
            if found:
                changes[person.pk] = found
        return changes

    def is_empty(self) -> bool:
        return not (
            self.cleaned_data.get("note") or self.house_corrections() or self.person_corrections()
        )


def resubmission_target(value: int | None, batches: Any) -> ImportBatch | None:
    """The earlier batch a corrected file re-submits, if the user may see it."""
    if not value:
        return None
    return batches.filter(pk=value).first()
