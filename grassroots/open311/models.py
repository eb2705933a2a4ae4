"""API keys issued to third-party Open311 apps, and the log of their use."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from grassroots.core.models import TimeStampedModel


class ApiKey(TimeStampedModel):
    """A key for one third-party app. The key itself is never stored: only its blind
    index (``blind_index(key, purpose="open311")``) and a short prefix to recognise it."""

    app_name = models.CharField(_("app name"), max_length=100)
    contact = models.CharField(_("contact"), max_length=200, blank=True)
    key_index = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(_("key prefix"), max_length=12, editable=False)
    rate_limit_per_hour = models.PositiveIntegerField(_("requests per hour"), default=100)
    is_active = models.BooleanField(_("active"), default=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("Open311 API key")
        verbose_name_plural = _("Open311 API keys")
        ordering = ["app_name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True) | Q(is_active=False),
                name="open311_apikey_revoked_inactive",
            ),
            models.CheckConstraint(
                condition=Q(rate_limit_per_hour__gt=0), name="open311_apikey_limit_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.app_name} ({self.prefix}…)"


class ApiKeyUse(models.Model):
    """One request made with a key (what was called, the answer's status, from where)."""

    key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="uses")
    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    endpoint = models.CharField(_("endpoint"), max_length=100)
    status = models.PositiveSmallIntegerField(_("status"))
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        verbose_name = _("API key use")
        verbose_name_plural = _("API key uses")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.key_id} {self.endpoint} {self.status}"
