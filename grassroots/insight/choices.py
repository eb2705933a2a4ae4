from django.db import models
from django.utils.translation import gettext_lazy as _


class AlertKind(models.TextChoices):
    SPIKE = "spike", _("数量异常升高")
    CLUSTER = "cluster", _("相邻区域聚集")
    REPEAT = "repeat", _("重复诉求")
    SENSOR = "sensor", _("感知设备超限")


class Severity(models.TextChoices):
    INFO = "info", _("提示")
    WARNING = "warning", _("预警")
    CRITICAL = "critical", _("严重")


class AlertStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    ACKNOWLEDGED = "acknowledged", _("已确认")
    DISMISSED = "dismissed", _("已忽略")
    CONVERTED = "converted", _("已转办")


# An alert in one of these statuses is "live": at most one live alert per dedup_key, so a
# scan updates the alert it raised before instead of raising a duplicate.
LIVE_ALERT_STATUSES = (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED)


class TopicStatus(models.TextChoices):
    PROPOSED = "proposed", _("拟定")
    ADOPTED = "adopted", _("已确定")
    DONE = "done", _("已完成")


class AssessmentLevel(models.TextChoices):
    """What the assessment page ranks: departments, or units of one level of the tree."""

    DEPARTMENT = "department", _("职能部门")
    STREET = "street", _("街道/乡镇")
    COMMUNITY = "community", _("社区/村")
    GRID = "grid", _("网格")
