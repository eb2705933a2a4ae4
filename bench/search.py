"""Chinese full-text search over 1,000,000 cases (``--quick``: 100,000).

A throwaway SQLite database in a temporary ``GRASSROOTS_VAR_DIR`` is migrated and filled
with ``bulk_create``: cases with realistic Chinese reports (a place, a problem phrased as
residents phrase it, a detail; one in ten written in traditional characters), over a year,
in 30 categories and 40 communities. Then the search index of ``cases.search`` is built
(the SQLite FTS5 ``trigram`` table and its triggers, as the migration does).

Ours: ``cases.search.search_cases`` — normalised query (traditional → simplified), every
term looked up in the trigram index (a two-character term as the OR of the indexed
trigrams that begin with it, read from the index's vocabulary), newest first.
Baseline: the plain query an inbox would otherwise run, ``description__icontains`` for
each term (AND), newest first. Each query, as the inbox runs it, fetches the first page
(25 rows) and counts the matches; both sides run the same queries, alternating, several
rounds. Figure: ``search_p50_ms`` (median over every query and round), plus the same
for queries whose terms all have three or more characters and for those with a
two-character term. The two sides' counts are printed to stderr (ours also finds traditional text).

``grassroots bench search [--quick]``
"""

from __future__ import annotations

import os
import random
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # also as python bench/search.py
from bench._common import emit, note, parse_args, setup_django

BENCH = "search"
PAGE = 25
ROUNDS = 5

PLACES = [
    "幸福路",
    "建设大街",
    "和平里小区",
    "东风路",
    "人民公园",
    "光明小区",
    "长青街",
    "新华路",
    "团结湖社区",
    "滨河路",
    "文化广场",
    "学府路",
    "春晖园",
    "金桥小区",
    "北环路",
    "菜市场",
    "实验小学",
    "地铁站",
    "公交总站",
    "中心医院",
    "体育馆",
    "农贸市场",
    "老年活动中心",
    "锦绣家园",
    "阳光花园",
    "解放路",
    "胜利街",
    "青年路",
    "翠湖小区",
    "工业园",
]
SPOTS = [
    "门口",
    "东门",
    "西门",
    "南侧",
    "北侧",
    "路口",
    "3号楼下",
    "12号楼旁",
    "停车场",
    "便道上",
    "绿化带边",
    "公交站旁",
    "小广场",
    "楼道里",
    "地下车库入口",
    "十字路口",
    "天桥下",
]
PROBLEMS = [
    "下水道堵塞，污水漫到路面上",
    "下水道反水，味道很大",
    "雨水箅子被垃圾堵住，一下雨就积水",
    "井盖松动，车一压就响",
    "井盖丢失，很危险",
    "路灯不亮已经好几天了",
    "路灯白天一直亮着",
    "垃圾桶满了没人清运",
    "垃圾堆了好几天，苍蝇很多",
    "建筑垃圾乱倒",
    "有人占道经营卖水果",
    "流动摊贩占用人行道",
    "店外经营，桌椅摆到路上",
    "机动车乱停放堵住消防通道",
    "共享单车乱停，挡住盲道",
    "电动车在楼道里充电，有安全隐患",
    "广场舞音响声音太大",
    "工地晚上十点后还在施工，噪音扰民",
    "工地扬尘很大，没有覆盖",
    "小广告贴得到处都是",
    "有人在绿地里种菜",
    "行道树倒伏压到电线",
    "自来水管破裂，路面冒水",
    "燃气味道很重，怀疑漏气",
    "路面塌陷出现大坑",
    "交通标志牌被撞歪",
    "公交站亭玻璃碎了",
    "公共厕所没人打扫",
    "露天烧烤油烟很大",
    "空调外机滴水到行人身上",
    "废弃自行车长期占用车位",
    "暖气不热，室温很低",
    "楼上漏水到我家",
    "物业不管电梯经常坏",
    "餐馆油烟直排",
    "夜市摊位半夜还很吵",
]
DETAILS = [
    "",
    "",
    "希望尽快处理。",
    "老人小孩出行很不方便。",
    "已经反映过一次了，还没有人来。",
    "晚上路过很黑，担心摔倒。",
    "影响孩子上学。",
    "请相关部门来看看。",
    "附近居民意见很大。",
    "从上周开始就这样了。",
    "昨天晚上发现的。",
    "下雨天更严重。",
    "麻烦派人来看一下，谢谢。",
]
QUERIES = [
    # three characters or more: the trigram index answers
    "下水道",
    "占道经营",
    "广场舞",
    "消防通道",
    "电动车",
    "自来水管破裂",
    "幸福路",
    "公交站亭",
    "燃气 漏气",
    "下水道 污水 路面",
    # traditional characters find simplified text (and the other way round)
    "廣場舞",
    "電動車 樓道",
    # a term under three characters somewhere in the query
    "井盖",
    "路灯",
    "噪音",
    "垃圾 清运",
    "路燈 不亮",
    "工地 扬尘",
]


def _setup_environment(var_dir: str) -> None:
    """A throwaway database and development secrets, before Django starts."""
    os.environ["GRASSROOTS_VAR_DIR"] = var_dir
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("GRASSROOTS_ENV_FILE", None)
    os.environ.setdefault("SECRET_KEY", "bench-" + secrets.token_urlsafe(32))
    os.environ.setdefault("FIELD_ENCRYPTION_KEY", "bench-" + secrets.token_urlsafe(32))


@contextmanager
def _keep_created_at(model: Any) -> Iterator[None]:
    """Let ``bulk_create`` store the generated report times (``auto_now_add`` would
    overwrite them with now)."""
    field = model._meta.get_field("created_at")
    field.auto_now_add = False
    try:
        yield
    finally:
        field.auto_now_add = True


def _units() -> tuple[Any, list[Any]]:
    from grassroots.org.models import Unit

    district = Unit.objects.create(code="110199", name="基准区", level="district", path="/110199/")
    communities = []
    for s in range(1, 6):
        street = Unit.objects.create(
            code=f"110199{s:03d}",
            name=f"第{s}街道",
            level="street",
            parent=district,
            path=f"/110199/110199{s:03d}/",
            depth=1,
        )
        for c in range(1, 9):
            code = f"{street.code}{c:03d}"
            communities.append(
                Unit.objects.create(
                    code=code,
                    name=f"第{s}街道第{c}社区",
                    level="community",
                    parent=street,
                    path=f"{street.path}{code}/",
                    depth=2,
                )
            )
    return district, communities


def _phrases(rng: random.Random) -> Callable[[], tuple[str, str, str]]:
    """A generator of (address, description, its normalised search text part)."""
    import opencc

    from grassroots.cases.search import normalise

    s2t = opencc.OpenCC("s2t")
    problems_t = [s2t.convert(p) for p in PROBLEMS]
    details_t = [s2t.convert(d) for d in DETAILS]
    norm_problem = [normalise(p) for p in PROBLEMS]
    norm_detail = [normalise(d) for d in DETAILS]

    def make() -> tuple[str, str, str]:
        place = rng.choice(PLACES)
        spot = rng.choice(SPOTS)
        p = rng.randrange(len(PROBLEMS))
        d = rng.randrange(len(DETAILS))
        traditional = rng.random() < 0.1
        problem = problems_t[p] if traditional else PROBLEMS[p]
        detail = details_t[d] if traditional else DETAILS[d]
        address = f"{place}{rng.randint(1, 300)}号"
        description = f"{place}{spot}{problem}。{detail}".strip()
        search = " ".join(
            part
            for part in (address, place + spot + norm_problem[p] + "。", norm_detail[d])
            if part
        )
        return address, description, search

    return make


def _fill(n: int, seed: int) -> None:
    from django.db import transaction
    from django.utils import timezone

    from grassroots.cases.models import Case, Category

    rng = random.Random(seed)
    _district, communities = _units()
    categories = list(Category.objects.filter(kind="event"))[:30]
    make = _phrases(rng)
    start = timezone.now() - timedelta(days=365)
    statuses = ["closed"] * 6 + ["rated"] * 6 + ["accepted", "dispatched", "registered", "handled"]
    channels = ["web", "web", "hotline", "patrol", "window", "open311"]
    batch: list[Case] = []
    started = time.perf_counter()
    with _keep_created_at(Case), transaction.atomic():
        for i in range(n):
            category = rng.choice(categories)
            community = rng.choice(communities)
            address, description, search = make()
            code = f"B{i:09d}"
            created: datetime = start + timedelta(seconds=rng.randrange(365 * 86400))
            batch.append(
                Case(
                    tracking_code=code,
                    category=category,
                    channel=rng.choice(channels),
                    status=(status := rng.choice(statuses)),
                    rating="satisfied" if status == "rated" else "",
                    description=description,
                    address=address,
                    lon=116.3 + rng.random() * 0.2,
                    lat=39.8 + rng.random() * 0.2,
                    area=community,
                    community=community,
                    street_id=community.parent_id,
                    owner_unit=community,
                    urgency=category.urgency,
                    created_at=created,
                    search_text=f"{code.lower()} {category.name} {search}",
                )
            )
            if len(batch) >= 5000:
                Case.objects.bulk_create(batch, batch_size=5000)
                batch.clear()
        if batch:
            Case.objects.bulk_create(batch, batch_size=5000)
    note(f"{n:,} cases inserted in {time.perf_counter() - started:.1f} s")


def _replicate(pool: int, n: int, seed: int) -> None:
    """Grow the table from ``pool`` generated cases to ``n`` by copying them in SQL with
    new tracking codes and report times (Django's per-row work in ``bulk_create`` costs
    about half a millisecond a case; a million would take most of ten minutes)."""
    from django.db import connection, transaction

    from grassroots.cases.models import Case

    columns = [f.column for f in Case._meta.concrete_fields if f.column != "id"]
    start = int(time.time()) - 365 * 86400
    replaced = {
        "tracking_code": "'B' || printf('%09d', id + {offset})",
        "search_text": "lower('B' || printf('%09d', id + {offset})) || substr(search_text, 11)",
        "created_at": (
            f"datetime({start} + ((id * 7919 + {{k}} * 104729 + {seed}) % 31536000), 'unixepoch')"
        ),
    }
    made = pool
    k = 0
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        while made < n:
            k += 1
            take = min(pool, n - made)
            exprs = [
                replaced[c].format(offset=made, k=k) if c in replaced else f'"{c}"' for c in columns
            ]
            cursor.execute(
                f"INSERT INTO cases_case ({', '.join(columns)}) "
                f"SELECT {', '.join(exprs)} FROM cases_case WHERE id <= %s ORDER BY id LIMIT %s",
                [pool, take],
            )
            made += take
    note(f"copied up to {n:,} cases in {time.perf_counter() - started:.1f} s")


def _page_and_count(qs: Any) -> int:
    list(qs.values_list("pk", flat=True)[:PAGE])
    return qs.count()


def main() -> None:
    args = parse_args(__doc__ or BENCH)
    n = 100_000 if args.quick else 1_000_000
    pool = 20_000 if args.quick else 100_000
    var_dir = tempfile.mkdtemp(prefix="grassroots-bench-search-")
    try:
        _setup_environment(var_dir)
        setup_django()
        from django.core.management import call_command
        from django.db import connection
        from django.db.models import Q

        from grassroots.cases import search
        from grassroots.cases.models import Case

        call_command("migrate", verbosity=0)
        note(
            f"SQLite {search.sqlite3.sqlite_version}; trigram tokenizer: "
            f"{search.sqlite_has_trigram()}"
        )
        _fill(pool, args.seed)
        _replicate(pool, n, args.seed)
        started = time.perf_counter()
        assert search.install_index(), "no search index for this database"
        note(f"trigram index built in {time.perf_counter() - started:.1f} s")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

        def ours(query: str) -> Callable[[], int]:
            return lambda: _page_and_count(search.search_cases(Case.objects.all(), query))

        def baseline(query: str) -> Callable[[], int]:
            q = Q()
            for term in query.split():
                q &= Q(description__icontains=term)
            return lambda: _page_and_count(Case.objects.filter(q).order_by("-created_at", "-pk"))

        timings: dict[str, dict[str, list[float]]] = {"ours": {}, "baseline": {}}
        for query in QUERIES:
            counts = (ours(query)(), baseline(query)())  # warm the cache, check the answers
            note(f"{query!r}: ours {counts[0]:,} matches, icontains {counts[1]:,}")
        for _ in range(ROUNDS):
            for query in QUERIES:
                for side, make in (("ours", ours), ("baseline", baseline)):
                    run = make(query)
                    t0 = time.perf_counter()
                    run()
                    timings[side].setdefault(query, []).append((time.perf_counter() - t0) * 1000)

        def p50(side: str, queries: list[str]) -> float:
            return statistics.median(t for q in queries for t in timings[side][q])

        long_queries = [q for q in QUERIES if all(len(t) >= 3 for t in q.split())]
        short_queries = [q for q in QUERIES if q not in long_queries]
        for metric, queries in (
            ("search_p50_ms", QUERIES),
            ("search_p50_ms_long_terms", long_queries),
            ("search_p50_ms_short_term", short_queries),
        ):
            ours_ms, base_ms = p50("ours", queries), p50("baseline", queries)
            emit(BENCH, metric, ours_ms, "ms", base_ms, base_ms / ours_ms)
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
