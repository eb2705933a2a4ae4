from django.db import models
from django.utils.translation import gettext_lazy as _


class EntityType(models.TextChoices):
    PERSON = "person", _("人口")
    HOUSE = "house", _("房屋")
    ORGANISATION = "organisation", _("单位")
    FACILITY = "facility", _("部件")


class ImportStatus(models.TextChoices):
    PENDING = "pending", _("等待中")
    VALIDATING = "validating", _("校验中")
    IMPORTING = "importing", _("导入中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("已拒绝")


FINISHED_IMPORT_STATUSES = frozenset({ImportStatus.DONE, ImportStatus.FAILED})


class FileFormat(models.TextChoices):
    CSV = "csv", _("CSV")
    XLSX = "xlsx", _("Excel (xlsx)")


class Sex(models.TextChoices):
    MALE = "M", _("男")
    FEMALE = "F", _("女")
    UNKNOWN = "", _("未知")


class PersonType(models.TextChoices):
    REGISTERED = "registered", _("户籍人口")
    RESIDENT = "resident", _("常住人口")
    FLOATING = "floating", _("流动人口")
    OVERSEAS = "overseas", _("境外人员")


class HouseUse(models.TextChoices):
    SELF_OCCUPIED = "self_occupied", _("自住")
    RENTED = "rented", _("出租")
    BUSINESS = "business", _("经营")
    VACANT = "vacant", _("空置")


class OrgStatus(models.TextChoices):
    EXISTING = "existing", _("存续")
    OPERATING = "operating", _("在业")
    CANCELLED = "cancelled", _("注销")
    REVOKED = "revoked", _("吊销")


class FacilityStatus(models.TextChoices):
    INTACT = "intact", _("完好")
    DAMAGED = "damaged", _("破损")
    LOST = "lost", _("丢失")
    ABANDONED = "abandoned", _("废弃")
    REMOVED = "removed", _("移除")


class MatchStatus(models.TextChoices):
    PENDING = "pending", _("待审核")
    CONFIRMED = "confirmed", _("已确认")
    REJECTED = "rejected", _("已否决")


class MergeReason(models.TextChoices):
    AUTO = "auto", _("自动合并")
    REVIEW = "review", _("审核确认")
    MANUAL = "manual", _("人工合并")
