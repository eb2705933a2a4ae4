"""The base database (一库): sources and their imports, the rows as each department gave
them (``SourceRecord``), and the golden records they are linked to (``Person``, ``House``,
``Organisation``, ``Facility``), each field with its provenance.

Sensitive values (resident ID numbers, phone numbers) are never stored in plain text: each
is kept encrypted (``*_encrypted``, ``core.crypto.encrypt``), with a keyed hash
(``*_index``, ``core.crypto.blind_index``) for exact lookup and a masked copy
(``*_masked``) for display without decrypting.
"""

from __future__ import annotations

import os
import uuid
from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grassroots.core.crypto import blind_index, encrypt
from grassroots.core.masking import mask_id_number, mask_phone
from grassroots.core.models import TimeStampedModel

from .choices import (
    EntityType,
    FacilityStatus,
    FileFormat,
    HouseUse,
    ImportStatus,
    MatchStatus,
    MergeReason,
    OrgStatus,
    PersonType,
    Sex,
)


def _import_upload_to(instance: object, filename: str) -> str:
    """A random name under ``registry/imports/``: the original name is kept in the row only."""
    ext = os.path.splitext(filename)[1].lower()[:8]
    return f"registry/imports/{uuid.uuid4().hex}{ext}"


def _today() -> date:
    return timezone.localdate()


# --- sealing of sensitive values ---------------------------------------------------------------


def seal_id_number(value: str) -> dict[str, str]:
    """The stored form of a (normalised) ID number: encrypted, blind index, masked."""
    value = (value or "").strip().upper()
    return {
        "id_number_encrypted": encrypt(value),
        "id_number_index": blind_index(value, purpose="id_number"),
        "id_number_masked": mask_id_number(value),
    }


def seal_phone(value: str) -> dict[str, str]:
    """The stored form of a (normalised) phone number: encrypted, blind index, masked."""
    value = (value or "").strip()
    return {
        "phone_encrypted": encrypt(value),
        "phone_index": blind_index(value, purpose="phone"),
        "phone_masked": mask_phone(value),
    }


# --- sources and imports ---------------------------------------------------------------------


class Source(TimeStampedModel):
    """A department's data source; ``trust`` decides which source wins a field."""

    key = models.SlugField(_("标识"), max_length=50, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    department = models.ForeignKey(
        "org.Department",
        verbose_name=_("提供部门"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="registry_sources",
    )
    entity_type = models.CharField(_("数据对象"), max_length=16, choices=EntityType.choices)
    trust = models.PositiveSmallIntegerField(
        _("可信度"), default=50, help_text=_("0–100；同一字段取可信度最高的来源，其次取最新的。")
    )
    field_trust = models.JSONField(
        _("字段可信度"),
        default=dict,
        blank=True,
        help_text=_('按字段覆盖来源可信度，例如 {"name": 95, "phone": 60}。'),
    )
    description = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("数据来源")
        verbose_name_plural = _("数据来源")
        ordering = ["key"]
        constraints = [
            models.CheckConstraint(
                condition=Q(trust__gte=0) & Q(trust__lte=100), name="registry_source_trust_range"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def trust_for(self, field: str) -> int:
        value = (self.field_trust or {}).get(field)
        return int(value) if value is not None else int(self.trust)


class ImportBatch(TimeStampedModel):
    """One uploaded department file and what became of it."""

    source = models.ForeignKey(
        Source, verbose_name=_("数据来源"), on_delete=models.PROTECT, related_name="batches"
    )
    file = models.FileField(_("文件"), upload_to=_import_upload_to, max_length=255, blank=True)
    original_name = models.CharField(_("原文件名"), max_length=255, blank=True)
    file_format = models.CharField(
        _("文件格式"), max_length=8, choices=FileFormat.choices, blank=True
    )
    encoding = models.CharField(_("编码"), max_length=32, blank=True)
    status = models.CharField(
        _("状态"),
        max_length=16,
        choices=ImportStatus.choices,
        default=ImportStatus.PENDING,
        db_index=True,
    )
    total_rows = models.PositiveIntegerField(_("总行数"), default=0)
    processed_rows = models.PositiveIntegerField(_("已处理行数"), default=0)
    accepted_rows = models.PositiveIntegerField(_("导入行数"), default=0)
    rejected_rows = models.PositiveIntegerField(_("拒绝行数"), default=0)
    duplicate_rows = models.PositiveIntegerField(_("重复行数"), default=0)
    error = models.TextField(_("整体拒绝原因"), blank=True)
    report = models.JSONField(_("导入报告"), default=dict, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上传人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="registry_imports",
    )
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    resubmission_of = models.ForeignKey(
        "self",
        verbose_name=_("更正重报自"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="resubmissions",
    )
    observed_at = models.DateField(_("数据日期"), default=_today)

    class Meta:
        verbose_name = _("导入批次")
        verbose_name_plural = _("导入批次")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.source_id}#{self.pk} {self.original_name}"

    @property
    def progress_percent(self) -> int:
        if not self.total_rows:
            return 100 if self.status in (ImportStatus.DONE, ImportStatus.FAILED) else 0
        return min(100, int(self.processed_rows * 100 / self.total_rows))


class ImportReject(models.Model):
    """A row refused by validation, with its reasons; the raw row is kept encrypted so the
    rejects file can be corrected and re-submitted."""

    batch = models.ForeignKey(
        ImportBatch, verbose_name=_("导入批次"), on_delete=models.CASCADE, related_name="rejects"
    )
    row_number = models.PositiveIntegerField(_("行号"))
    raw = models.JSONField(_("原始行（脱敏）"), default=dict)
    raw_encrypted = models.TextField(_("原始行（加密）"), blank=True)
    reasons = models.JSONField(_("原因"), default=list)

    class Meta:
        verbose_name = _("拒绝行")
        verbose_name_plural = _("拒绝行")
        ordering = ["batch_id", "row_number"]
        indexes = [models.Index(fields=["batch", "row_number"], name="registry_reject_row")]

    def __str__(self) -> str:
        return f"{self.batch_id}:{self.row_number}"


# --- golden records --------------------------------------------------------------------------


class GoldenRecord(TimeStampedModel):
    """What every golden record has: provenance per field, its grid (the data scope), and
    whether it is still active or was merged into another."""

    provenance = models.JSONField(_("字段来源"), default=dict, blank=True)
    grid = models.ForeignKey(
        "org.Unit",
        verbose_name=_("所在网格"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    is_active = models.BooleanField(_("有效"), default=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("并入"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="absorbed_%(class)ss",
    )

    class Meta:
        abstract = True


class House(GoldenRecord):
    """A house (实有房屋) at one standard address; the address key is its match key."""

    address = models.CharField(_("标准地址"), max_length=255)
    address_key = models.CharField(_("地址匹配键"), max_length=255)
    province = models.CharField(_("省"), max_length=50, blank=True)
    city = models.CharField(_("市"), max_length=50, blank=True)
    district = models.CharField(_("区县"), max_length=50, blank=True)
    street_name = models.CharField(_("街道"), max_length=50, blank=True)
    community_name = models.CharField(_("社区"), max_length=50, blank=True)
    road = models.CharField(_("路/小区"), max_length=100, blank=True)
    number = models.CharField(_("门牌号"), max_length=30, blank=True)
    building = models.CharField(_("楼栋"), max_length=30, blank=True)
    unit = models.CharField(_("单元"), max_length=30, blank=True)
    floor = models.CharField(_("楼层"), max_length=10, blank=True)
    room = models.CharField(_("房号"), max_length=30, blank=True)
    house_use = models.CharField(_("房屋用途"), max_length=16, choices=HouseUse.choices, blank=True)
    area_m2 = models.DecimalField(
        _("建筑面积（㎡）"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    owner_name = models.CharField(_("产权人"), max_length=100, blank=True)
    lon = models.FloatField(_("经度"), null=True, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)

    class Meta:
        verbose_name = _("房屋")
        verbose_name_plural = _("房屋")
        ordering = ["address_key", "id"]
        indexes = [
            models.Index(fields=["address_key"], name="registry_house_key"),
            models.Index(fields=["grid", "is_active"], name="registry_house_grid"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["address_key"],
                condition=Q(is_active=True),
                name="registry_house_one_active_per_key",
            )
        ]

    def __str__(self) -> str:
        return self.address


class Person(GoldenRecord):
    """A person (实有人口): the golden record linked from every source's rows about them."""

    name = models.CharField(_("姓名"), max_length=100, blank=True)
    sex = models.CharField(_("性别"), max_length=1, choices=Sex.choices, blank=True)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    ethnicity = models.CharField(_("民族"), max_length=20, blank=True)
    id_number_encrypted = models.TextField(_("身份证号（加密）"), blank=True)
    id_number_index = models.CharField(_("身份证号索引"), max_length=64, blank=True)
    id_number_masked = models.CharField(_("身份证号（脱敏）"), max_length=32, blank=True)
    phone_encrypted = models.TextField(_("电话（加密）"), blank=True)
    phone_index = models.CharField(_("电话索引"), max_length=64, blank=True)
    phone_masked = models.CharField(_("电话（脱敏）"), max_length=32, blank=True)
    person_type = models.CharField(
        _("人员类型"), max_length=16, choices=PersonType.choices, blank=True
    )
    address = models.CharField(_("居住地址"), max_length=255, blank=True)
    household_address = models.CharField(_("户籍地址"), max_length=255, blank=True)
    house = models.ForeignKey(
        House,
        verbose_name=_("居住房屋"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="people",
    )
    relation_to_head = models.CharField(_("与户主关系"), max_length=20, blank=True)
    household_no = models.CharField(_("户号"), max_length=30, blank=True)
    employer_uscc = models.CharField(_("工作单位统一社会信用代码"), max_length=18, blank=True)
    tags = models.JSONField(_("标签"), default=list, blank=True)

    class Meta:
        verbose_name = _("人员")
        verbose_name_plural = _("人员")
        ordering = ["id"]
        indexes = [
            models.Index(fields=["id_number_index"], name="registry_person_id_idx"),
            models.Index(fields=["phone_index"], name="registry_person_phone_idx"),
            models.Index(fields=["grid", "is_active"], name="registry_person_grid"),
            models.Index(fields=["house", "is_active"], name="registry_person_house"),
            models.Index(fields=["name"], name="registry_person_name"),
        ]

    def __str__(self) -> str:
        return f"{self.name} #{self.pk}"

    @property
    def separated_from_household(self) -> bool:
        """人户分离: lives somewhere other than the household registration address."""
        return bool(self.household_address and self.address) and (
            self.household_address != self.address
        )


class Organisation(GoldenRecord):
    """An organisation (实有单位), matched by credit code, else by name and address."""

    name = models.CharField(_("名称"), max_length=200)
    name_key = models.CharField(_("名称匹配键"), max_length=200, blank=True)
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, null=True, blank=True)
    org_type = models.CharField(_("单位类型"), max_length=50, blank=True)
    legal_rep = models.CharField(_("法定代表人"), max_length=100, blank=True)
    phone_encrypted = models.TextField(_("电话（加密）"), blank=True)
    phone_index = models.CharField(_("电话索引"), max_length=64, blank=True)
    phone_masked = models.CharField(_("电话（脱敏）"), max_length=32, blank=True)
    address = models.CharField(_("住所"), max_length=255, blank=True)
    house = models.ForeignKey(
        House,
        verbose_name=_("所在房屋"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="organisations",
    )
    status = models.CharField(_("登记状态"), max_length=16, choices=OrgStatus.choices, blank=True)
    founded_on = models.DateField(_("成立日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("单位")
        verbose_name_plural = _("单位")
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["uscc"], name="registry_org_uscc"),
            models.Index(fields=["name_key"], name="registry_org_name_key"),
            models.Index(fields=["grid", "is_active"], name="registry_org_grid"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["uscc"],
                condition=Q(is_active=True) & Q(uscc__isnull=False),
                name="registry_org_one_active_per_uscc",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Facility(GoldenRecord):
    """A facility or urban component (部件), identified by its component code."""

    code = models.CharField(_("部件编码"), max_length=16)
    name = models.CharField(_("名称"), max_length=100, blank=True)
    kind = models.CharField(_("部件类别"), max_length=10, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=FacilityStatus.choices, blank=True)
    department = models.ForeignKey(
        "org.Department",
        verbose_name=_("主管部门"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="registry_facilities",
    )
    lon = models.FloatField(_("经度"), null=True, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    address = models.CharField(_("地址"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("部件")
        verbose_name_plural = _("部件")
        ordering = ["code", "id"]
        indexes = [models.Index(fields=["grid", "is_active"], name="registry_facility_grid")]
        constraints = [
            models.UniqueConstraint(
                fields=["code"],
                condition=Q(is_active=True),
                name="registry_facility_one_active_per_code",
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


# --- source records --------------------------------------------------------------------------


class SourceRecord(TimeStampedModel):
    """One accepted row as the department gave it, normalised; linked to its golden record."""

    batch = models.ForeignKey(
        ImportBatch,
        verbose_name=_("导入批次"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="records",
    )
    source = models.ForeignKey(
        Source, verbose_name=_("数据来源"), on_delete=models.PROTECT, related_name="records"
    )
    entity_type = models.CharField(_("数据对象"), max_length=16, choices=EntityType.choices)
    row_number = models.PositiveIntegerField(_("行号"), default=0)
    source_key = models.CharField(_("来源编号"), max_length=64, blank=True)
    observed_at = models.DateField(_("数据日期"))
    data = models.JSONField(_("字段"), default=dict, blank=True)
    content_hash = models.CharField(_("内容指纹"), max_length=64, blank=True)
    name = models.CharField(_("名称"), max_length=200, blank=True)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    sex = models.CharField(_("性别"), max_length=1, choices=Sex.choices, blank=True)
    id_number_encrypted = models.TextField(_("身份证号（加密）"), blank=True)
    id_number_index = models.CharField(_("身份证号索引"), max_length=64, blank=True)
    id_number_masked = models.CharField(_("身份证号（脱敏）"), max_length=32, blank=True)
    phone_encrypted = models.TextField(_("电话（加密）"), blank=True)
    phone_index = models.CharField(_("电话索引"), max_length=64, blank=True)
    phone_masked = models.CharField(_("电话（脱敏）"), max_length=32, blank=True)
    address = models.CharField(_("地址"), max_length=255, blank=True)
    address_parts = models.JSONField(_("地址要素"), default=dict, blank=True)
    grid = models.ForeignKey(
        "org.Unit",
        verbose_name=_("所在网格"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    person = models.ForeignKey(
        Person,
        verbose_name=_("人员"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="records",
    )
    house = models.ForeignKey(
        House,
        verbose_name=_("房屋"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="records",
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("单位"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="records",
    )
    facility = models.ForeignKey(
        Facility,
        verbose_name=_("部件"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="records",
    )
    superseded = models.BooleanField(_("已被更正"), default=False)

    class Meta:
        verbose_name = _("来源记录")
        verbose_name_plural = _("来源记录")
        ordering = ["id"]
        indexes = [
            models.Index(fields=["id_number_index"], name="registry_rec_id_idx"),
            models.Index(fields=["phone_index"], name="registry_rec_phone_idx"),
            models.Index(fields=["entity_type", "superseded"], name="registry_rec_type"),
            models.Index(fields=["source", "content_hash"], name="registry_rec_content"),
            models.Index(fields=["batch", "row_number"], name="registry_rec_row"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "source_key"],
                condition=~Q(source_key="") & Q(superseded=False),
                name="registry_rec_one_current_per_source_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.source_id}:{self.batch_id}:{self.row_number}"


# --- review and merges -----------------------------------------------------------------------


class MatchCandidate(TimeStampedModel):
    """A pair of golden persons the model is unsure of: the review queue."""

    entity_type = models.CharField(
        _("数据对象"), max_length=16, choices=EntityType.choices, default=EntityType.PERSON
    )
    left = models.ForeignKey(
        Person, verbose_name=_("记录甲"), on_delete=models.CASCADE, related_name="+"
    )
    right = models.ForeignKey(
        Person, verbose_name=_("记录乙"), on_delete=models.CASCADE, related_name="+"
    )
    probability = models.FloatField(_("匹配概率"))
    match_weight = models.FloatField(_("匹配权重"), default=0)
    explanation = models.JSONField(_("比对说明"), default=dict, blank=True)
    status = models.CharField(
        _("状态"),
        max_length=16,
        choices=MatchStatus.choices,
        default=MatchStatus.PENDING,
        db_index=True,
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    note = models.TextField(_("备注"), blank=True)

    class Meta:
        verbose_name = _("疑似重复")
        verbose_name_plural = _("疑似重复")
        ordering = ["-probability", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(left__lt=models.F("right")), name="registry_match_ordered_pair"
            ),
            models.UniqueConstraint(fields=["left", "right"], name="registry_match_one_per_pair"),
        ]

    def __str__(self) -> str:
        return f"{self.left_id}~{self.right_id} ({self.probability:.2f})"


class MergeEvent(TimeStampedModel):
    """One merge of two golden persons, undoable: which records moved, why, by whom."""

    entity_type = models.CharField(
        _("数据对象"), max_length=16, choices=EntityType.choices, default=EntityType.PERSON
    )
    survivor = models.ForeignKey(
        Person, verbose_name=_("保留记录"), on_delete=models.PROTECT, related_name="+"
    )
    absorbed = models.ForeignKey(
        Person, verbose_name=_("并入记录"), on_delete=models.PROTECT, related_name="+"
    )
    moved_records = models.JSONField(_("移动的来源记录"), default=list)
    reason = models.CharField(_("合并方式"), max_length=16, choices=MergeReason.choices)
    probability = models.FloatField(_("匹配概率"), null=True, blank=True)
    candidate = models.ForeignKey(
        MatchCandidate,
        verbose_name=_("疑似重复"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="merges",
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    undone_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("撤销人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("合并记录")
        verbose_name_plural = _("合并记录")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["absorbed", "undone_at"], name="registry_merge_absorbed")]

    def __str__(self) -> str:
        return f"{self.absorbed_id} → {self.survivor_id} ({self.reason})"


class Visit(TimeStampedModel):
    """A grid worker's visit to a house; corrections become a community-visit record."""

    house = models.ForeignKey(
        House, verbose_name=_("房屋"), on_delete=models.CASCADE, related_name="visits"
    )
    person = models.ForeignKey(
        Person,
        verbose_name=_("人员"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="visits",
    )
    visited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("走访人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="registry_visits",
    )
    at = models.DateTimeField(_("走访时间"), default=timezone.now)
    note = models.TextField(_("情况记录"), blank=True)
    corrections = models.JSONField(_("更正"), default=dict, blank=True)
    record = models.ForeignKey(
        SourceRecord,
        verbose_name=_("形成的来源记录"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("走访")
        verbose_name_plural = _("走访")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["house", "at"], name="registry_visit_house")]

    def __str__(self) -> str:
        return f"{self.house_id} @ {self.at:%Y-%m-%d}"


from .models_sharing import *  # noqa: E402,F403
