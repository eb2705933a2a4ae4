"""Data sharing (数据共享): access requests, grants and the log of every read.

A department asks for a dataset of the base database (``AccessRequest``: purpose,
scenario, legal basis, the fields it needs, a period); an approver grants it (``Grant``:
possibly fewer fields and a shorter period) or refuses it with a reason. A grant is in force
from ``valid_from`` to ``valid_until`` inclusive (local dates) unless revoked. Every read
of a record under a grant, or by staff in their own scope, is one ``AccessLog`` row.

The rules (who may ask, grant, revoke; which fields exist and which are sensitive) live in
``registry.sharing`` and ``registry.catalogue``; these models hold the data and its
invariants only. Imported at the end of ``registry.models``.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grassroots.core.models import TimeStampedModel

__all__ = ["AccessChannel", "AccessLog", "AccessRequest", "DatasetKey", "Grant", "RequestStatus"]


class DatasetKey(models.TextChoices):
    """The datasets of the catalogue (``registry.catalogue`` describes each)."""

    PERSON = "person", _("实有人口")
    HOUSE = "house", _("实有房屋")
    ORGANISATION = "organisation", _("实有单位")
    FACILITY = "facility", _("部件")
    SOURCE_RECORD = "source_record", _("部门原始记录")


class RequestStatus(models.TextChoices):
    PENDING = "pending", _("待审批")
    GRANTED = "granted", _("已授权")
    REFUSED = "refused", _("已拒绝")
    WITHDRAWN = "withdrawn", _("已撤回")


class AccessChannel(models.TextChoices):
    API = "api", _("接口")
    PAGE = "page", _("页面")
    EXPORT = "export", _("导出")


class AccessRequest(TimeStampedModel):
    """A department's request to use a dataset (共享申请)."""

    department = models.ForeignKey(
        "org.Department",
        verbose_name=_("申请部门"),
        on_delete=models.PROTECT,
        related_name="data_requests",
    )
    dataset = models.CharField(_("数据集"), max_length=32, choices=DatasetKey.choices)
    fields = models.JSONField(_("申请字段"), default=list)
    # Sensitive fields asked for in full (unmasked); a subset of ``fields``.
    full_fields = models.JSONField(_("申请明文字段"), default=list, blank=True)
    purpose = models.TextField(_("用途"))
    scenario = models.CharField(_("应用场景"), max_length=200)
    legal_basis = models.CharField(_("法律依据"), max_length=300, blank=True)
    valid_from = models.DateField(_("申请开始日期"))
    valid_until = models.DateField(_("申请结束日期"))
    status = models.CharField(
        _("状态"),
        max_length=16,
        choices=RequestStatus.choices,
        default=RequestStatus.PENDING,
        db_index=True,
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人"),
        on_delete=models.PROTECT,
        related_name="data_requests",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审批人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="data_requests_decided",
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_reason = models.TextField(_("审批意见"), blank=True)

    class Meta:
        verbose_name = _("共享申请")
        verbose_name_plural = _("共享申请")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["department", "status"], name="registry_req_dept_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__gte=F("valid_from")), name="registry_req_period_order"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "withdrawn"]) | Q(decided_at__isnull=False),
                name="registry_req_decided_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.department} {self.get_dataset_display()}"


class Grant(TimeStampedModel):
    """Permission for one department to read some fields of one dataset for a period."""

    request = models.OneToOneField(
        AccessRequest, verbose_name=_("申请"), on_delete=models.PROTECT, related_name="grant"
    )
    department = models.ForeignKey(
        "org.Department", verbose_name=_("部门"), on_delete=models.PROTECT, related_name="grants"
    )
    dataset = models.CharField(_("数据集"), max_length=32, choices=DatasetKey.choices)
    fields = models.JSONField(_("授权字段"), default=list)
    # Sensitive fields granted in full (unmasked); a subset of ``fields``.
    full_fields = models.JSONField(_("授权明文字段"), default=list, blank=True)
    valid_from = models.DateField(_("生效日期"))
    valid_until = models.DateField(_("截止日期"))
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("授权人"),
        on_delete=models.PROTECT,
        related_name="grants_given",
    )
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("撤销人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="grants_revoked",
    )
    revoke_reason = models.TextField(_("撤销理由"), blank=True)

    class Meta:
        verbose_name = _("共享授权")
        verbose_name_plural = _("共享授权")
        ordering = ["-valid_until", "-id"]
        indexes = [
            models.Index(fields=["department", "dataset"], name="registry_grant_dept_dataset"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__gte=F("valid_from")), name="registry_grant_period_order"
            ),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True) | Q(revoked_by__isnull=False),
                name="registry_grant_revoked_by_someone",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.department} · {self.get_dataset_display()} · {self.valid_until}"

    def is_active_on(self, day: date | None = None) -> bool:
        """In force on ``day`` (a local date; today when omitted)."""
        today = day or timezone.localdate()
        return self.revoked_at is None and self.valid_from <= today <= self.valid_until


class AccessLog(models.Model):
    """One read of one record: who, which record, which fields, under which grant, why.

    Append-only. ``fields`` are the fields returned; ``full_fields`` those of them returned
    unmasked. ``grant`` is empty for reads by staff within their own data scope.
    """

    at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("读取人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    department = models.ForeignKey(
        "org.Department",
        verbose_name=_("部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    grant = models.ForeignKey(
        Grant,
        verbose_name=_("授权"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reads",
    )
    dataset = models.CharField(_("数据集"), max_length=32, choices=DatasetKey.choices)
    record_type = models.CharField(_("记录类型"), max_length=32)
    record_id = models.PositiveBigIntegerField(_("记录编号"))
    fields = models.JSONField(_("读取字段"), default=list)
    full_fields = models.JSONField(_("明文字段"), default=list, blank=True)
    purpose = models.CharField(_("用途"), max_length=300, blank=True)
    channel = models.CharField(
        _("渠道"), max_length=16, choices=AccessChannel.choices, default=AccessChannel.API
    )

    class Meta:
        verbose_name = _("数据访问记录")
        verbose_name_plural = _("数据访问记录")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["grant", "at"], name="registry_log_grant_at"),
            models.Index(fields=["department", "at"], name="registry_log_dept_at"),
            models.Index(fields=["record_type", "record_id"], name="registry_log_record"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.dataset}:{self.record_id}"
