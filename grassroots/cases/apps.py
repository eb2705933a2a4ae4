from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _ensure_reference_data(sender: AppConfig, **kwargs: object) -> None:
    """After ``migrate`` or ``flush`` (which empties every table, the data migration's
    rows included), put the shipped taxonomy and calendar back if they are missing."""
    from .reference import ensure_reference_data

    ensure_reference_data(using=str(kwargs.get("using") or "default"))


class CasesConfig(AppConfig):
    name = "grassroots.cases"
    label = "cases"
    verbose_name = _("接诉即办")

    def ready(self) -> None:
        post_migrate.connect(_ensure_reference_data, sender=self)
