from django.db import models
from django.utils.translation import gettext_lazy as _


class UnitLevel(models.TextChoices):
    """Levels of the administrative tree, from the top down.

    Which levels a deployment uses is data: a district deployment has its district as the
    root, a city deployment puts the city (and its districts) above it. ``rank`` orders
    them so that a child is always below its parent.
    """

    PROVINCE = "province", _("省")
    CITY = "city", _("市")
    DISTRICT = "district", _("区县")
    STREET = "street", _("街道/乡镇")
    COMMUNITY = "community", _("社区/村")
    GRID = "grid", _("网格")

    @property
    def rank(self) -> int:
        return LEVEL_RANK[self.value]


LEVEL_RANK: dict[str, int] = {level.value: i for i, level in enumerate(UnitLevel)}
# National grid coding: length of the code at each level (GB/T 2260 division code for the
# district and above; +3 street, +3 community, +3 grid sequence = 15 digits).
CODE_LENGTH: dict[str, int] = {
    UnitLevel.PROVINCE: 6,
    UnitLevel.CITY: 6,
    UnitLevel.DISTRICT: 6,
    UnitLevel.STREET: 9,
    UnitLevel.COMMUNITY: 12,
    UnitLevel.GRID: 15,
}


class Role(models.TextChoices):
    RESIDENT = "resident", _("居民")
    GRID_WORKER = "grid_worker", _("网格员")
    OPERATOR = "operator", _("热线/窗口受理员")
    DEPT_HANDLER = "dept_handler", _("部门承办人")
    DISPATCHER = "dispatcher", _("调度员")
    LEADER = "leader", _("领导")
    DATA_STEWARD = "data_steward", _("数据管理员")
    ADMIN = "admin", _("系统管理员")


# Roles whose home is a unit of the tree; the department handler's home is a department.
UNIT_ROLES = frozenset(
    {
        Role.GRID_WORKER,
        Role.OPERATOR,
        Role.DISPATCHER,
        Role.LEADER,
        Role.DATA_STEWARD,
        Role.ADMIN,
    }
)
