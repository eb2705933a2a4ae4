"""What residents say, per profile (``profiles.PROFILES``): ``{place}`` is filled with the
place of the report (a building of the community, or the night market)."""

from __future__ import annotations

TEXTS: dict[str, tuple[str, ...]] = {
    "rubbish": (
        "{place}有暴露垃圾，几天没人清运，味道很大。",
        "{place}垃圾堆在路边，招苍蝇，请尽快清理。",
    ),
    "spoil": (
        "{place}堆放建筑渣土，没有苫盖。",
        "{place}积存垃圾渣土很久了，影响通行。",
    ),
    "dirty_road": (
        "{place}路面很脏，有油污和泥土。",
        "{place}道路不洁，早上清扫不到位。",
    ),
    "furniture": (
        "{place}有人扔了旧沙发和床垫，占着路。",
        "{place}废弃家具堆了一周了。",
    ),
    "green_litter": ("{place}绿地里有很多垃圾，没人管。",),
    "abandoned_car": ("{place}有一辆僵尸车停了半年，落满灰。",),
    "flyers": (
        "{place}电线杆和墙上贴满了小广告。",
        "{place}楼道里又被贴了办证小广告。",
    ),
    "construction_noise": (
        "{place}工地夜里还在施工，吵得睡不着。",
        "{place}施工噪音很大，早上六点就开始了。",
    ),
    "dust": (
        "{place}工地扬尘很严重，没有洒水降尘。",
        "{place}刮风天工地尘土飞扬，车上一层灰。",
    ),
    "illegal_building": (
        "{place}有人在楼顶私搭乱建。",
        "{place}一楼住户私自扩建院子。",
    ),
    "collapse": ("{place}路面塌陷了一个坑，很危险。",),
    "water_main": (
        "{place}自来水管爆了，水往外冒。",
        "{place}地下水管破裂，路面都是水。",
    ),
    "gas": ("{place}闻到很重的燃气味，怀疑管道泄漏。",),
    "sewer": (
        "{place}下水道堵了，污水冒到路面上。",
        "{place}雨后下水道返水，楼前全是积水。",
        "{place}化粪池满了往外溢，味道很大。",
    ),
    "vendor": (
        "{place}晚上有很多无照游商占道摆摊。",
        "{place}流动摊贩堵住了人行道。",
    ),
    "outside_shop": (
        "{place}商户把桌椅摆到人行道上经营。",
        "{place}饭馆店外经营，占用盲道。",
    ),
    "parking": (
        "{place}机动车乱停放，堵住了消防通道。",
        "{place}有车堵在小区门口，车主联系不上。",
    ),
    "bikes": ("{place}共享单车乱停，人都过不去。",),
    "piles": ("{place}楼道和路边乱堆杂物，有消防隐患。",),
    "noise": (
        "{place}商户音响声音太大，晚上十点还在放。",
        "{place}夜市噪音扰民，吵到半夜。",
    ),
    "barbecue": (
        "{place}露天烧烤油烟很大，熏得没法开窗。",
        "{place}晚上有人在路边烧烤，烟很大。",
    ),
    "laundry": ("{place}沿街晾晒衣物，影响市容。",),
    "street_light": (
        "{place}路灯不亮，晚上一片黑。",
        "{place}好几盏路灯坏了，走路不安全。",
    ),
    "grate": ("{place}雨水箅子堵了，一下雨就积水。",),
    "storm_cover": ("{place}雨水井盖破损，有安全隐患。",),
    "sewage_cover": ("{place}污水井盖松动，车一过就响。",),
    "water_cover": ("{place}上水井盖缺失，很危险。",),
    "litter_bin": ("{place}垃圾箱满了没人倒，还坏了一个。",),
    "toilet": ("{place}公共厕所太脏了，冲水也坏了。",),
    "tree": (
        "{place}行道树被风刮断了树枝，挡住了路。",
        "{place}行道树树枝挡住了路灯和窗户，需要修剪。",
    ),
    "fitness": ("{place}健身器材坏了，螺丝松了。",),
    "barrier": ("{place}交通护栏被撞歪了。",),
    "bus_shelter": ("{place}公交站亭玻璃碎了。",),
    "heating": (
        "{place}家里暖气不热，室温只有十五度。",
        "{place}暖气漏水了，物业联系不上。",
        "{place}供暖以后暖气还是凉的。",
    ),
    "utility": (
        "{place}突然停电了，也没有通知。",
        "{place}停水一天了，什么时候恢复？",
    ),
    "property": (
        "{place}电梯又坏了，老人上不了楼，物业不管。",
        "{place}物业不作为，楼道灯坏了一个月。",
        "{place}小区门禁坏了，谁都能进。",
    ),
    "housing": (
        "{place}顶楼漏雨，墙都泡了。",
        "{place}外墙皮脱落，砸到了电动车。",
    ),
    "consumer": (
        "在{place}的超市买到过期食品，商家不退。",
        "{place}健身房跑路了，预付卡退不了费。",
    ),
    "wages": ("在{place}附近工地干活，老板拖欠工资三个月。",),
    "health": ("{place}社区卫生服务站排队太久，想咨询家医签约。",),
    "education": ("孩子在{place}附近上学，想咨询入学政策。",),
    "traffic": (
        "{place}路口红绿灯时间太短，建议调整。",
        "{place}早高峰拥堵严重，希望加派交警。",
    ),
    "neighbours": (
        "{place}楼上住户漏水到我家，协商不成。",
        "{place}邻居在楼道里养狗，不拴绳。",
    ),
    "noise_complaint": (
        "{place}楼上装修噪音太大，周末一早就开始。",
        "{place}晚上广场舞音响太响了。",
        "{place}夜市太吵了，半夜还在喧哗。",
    ),
    "emergency": ("{place}有老人摔倒在路边，需要帮助。",),
    "policy": (
        "想咨询{place}所在社区的养老补贴怎么申请。",
        "咨询{place}的老旧小区改造什么时候开始。",
    ),
}
