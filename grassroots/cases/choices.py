from django.db import models
from django.utils.translation import gettext_lazy as _


class CategoryKind(models.TextChoices):
    COMPONENT = "component", _("部件")
    EVENT = "event", _("事件")
    HOTLINE = "hotline", _("热线诉求")


class Urgency(models.TextChoices):
    EMERGENCY = "emergency", _("紧急")
    UTILITY = "utility", _("水电气热")
    GENERAL = "general", _("一般")
    COMPLEX = "complex", _("复杂")


class LimitUnit(models.TextChoices):
    HOURS = "hours", _("自然小时")
    WORKING_HOURS = "working_hours", _("工作小时")
    WORKING_DAYS = "working_days", _("工作日")
    DAYS = "days", _("自然日")


class Channel(models.TextChoices):
    WEB = "web", _("网页/手机")
    PATROL = "patrol", _("网格员巡查")
    HOTLINE = "hotline", _("12345 热线")
    WINDOW = "window", _("窗口")
    SENSOR = "sensor", _("物联感知")
    OPEN311 = "open311", _("第三方应用")


class CaseStatus(models.TextChoices):
    SUBMITTED = "submitted", _("已提交")
    REGISTERED = "registered", _("已立案")
    NOT_ACCEPTED = "not_accepted", _("不予立案")
    DISPATCHED = "dispatched", _("已派遣")
    ACCEPTED = "accepted", _("处置中")
    RETURNED = "returned", _("已退回")
    SUSPENDED = "suspended", _("已挂起")
    HANDLED = "handled", _("已处置")
    VERIFIED = "verified", _("已核查")
    CLOSED = "closed", _("已结案")
    RATED = "rated", _("已评价")
    REOPENED = "reopened", _("已重启")
    MERGED = "merged", _("已合并")
    WITHDRAWN = "withdrawn", _("已撤回")


OPEN_STATUSES = frozenset(
    {
        CaseStatus.SUBMITTED,
        CaseStatus.REGISTERED,
        CaseStatus.DISPATCHED,
        CaseStatus.ACCEPTED,
        CaseStatus.RETURNED,
        CaseStatus.SUSPENDED,
        CaseStatus.HANDLED,
        CaseStatus.VERIFIED,
        CaseStatus.REOPENED,
    }
)


class Rating(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    BASIC = "basic", _("基本满意")
    DISSATISFIED = "dissatisfied", _("不满意")


class AssignmentRole(models.TextChoices):
    LEAD = "lead", _("主办")
    ASSIST = "assist", _("协办")


class DeadlineState(models.TextChoices):
    ON_TIME = "on_time", _("正常")
    YELLOW = "yellow", _("临期预警")
    RED = "red", _("已超期")
