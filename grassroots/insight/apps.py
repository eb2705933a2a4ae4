from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightConfig(AppConfig):
    name = "grassroots.insight"
    label = "insight"
    verbose_name = _("研判预警与考评")

    def ready(self) -> None:
        from . import receivers  # noqa: F401  (connects to cases.signals.case_changed)
