from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _ensure_sources(sender: AppConfig, **kwargs: object) -> None:
    """After ``migrate`` or ``flush`` (which empties every table), put the shipped
    department sources back if they are missing; trust set by an administrator is kept."""
    from .sources import ensure_sources

    ensure_sources(using=str(kwargs.get("using") or "default"))


class RegistryConfig(AppConfig):
    name = "grassroots.registry"
    label = "registry"
    verbose_name = _("基础数据库")

    def ready(self) -> None:
        post_migrate.connect(_ensure_sources, sender=self)
