from django.apps import AppConfig


class CoreConfig(AppConfig):
    verbose_name = "core"
    name = "grassroots.core"
    label = "core"
