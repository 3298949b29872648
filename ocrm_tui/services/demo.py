"""The demo branch network behind `ocrm demo`: realistic, deterministic for a seed, fast.

What it builds: an organisation tree (1 head office, 2 tier-1 branches, 4 tier-2
branches, 8 sub-branches, 20 outlets), staff of every role with demo passwords,
products of every type, customers with Chinese names, valid resident ID numbers and
unique mobiles, their accounts, 12 months of transactions on all six channels,
monthly AUM snapshots consistent with the balances, tiers from the bank's thresholds,
tags of every family, a few service contacts and collaborators, service tickets
(about one per 20 customers: every RM has open tickets in their queue, a few are overdue,
some wait in the branch pools; each with its timeline, some with collaboration tasks), and
five marketing campaigns in every state (a draft, two live, one paused, one ended last
quarter with its cost), whose target lists the campaign service made from their saved
filters and shared among the RMs, with outcomes the RMs recorded and an SMS outbox.

How: the few reference rows (organisations, staff, products, tags) are ORM objects, so
the audit listener records each of them; customers and everything below them are
SQLAlchemy Core bulk inserts in chunks (an ORM object per row is ~10x slower), audited
as one ``demo.load`` event with the counts. Secondary indexes of the big tables are
dropped before the load and rebuilt after it (building an index once is much cheaper
than keeping it up to date row by row). The campaigns come last, through the campaign
services themselves (each list is one INSERT … SELECT); their outcomes are one UPDATE per
campaign.

Interruption: the whole build is ONE transaction. Stopped half-way (Ctrl+C, a killed
process, a full disk) it is rolled back — on SQLite by the rollback journal the next
time the file is opened — and the database is as it was before: no organisations, so
running `ocrm demo` again simply builds it again.

Speed: every value comes from pools prepared once (names, counties, streets) and one
``random.Random(seed)``; ID check digits, mobiles and pinyin are cheap string work.
Faker is used only for its zh_CN name lists, never per row (~75 s per 1M rows). From
50,000 customers the rows are generated in one worker process while this one writes
(same random stream, same rows). Measured numbers: docs/BENCHMARKS.md.
"""

from __future__ import annotations

import os
import random
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from functools import lru_cache
from operator import itemgetter
from pathlib import Path
from typing import Protocol

from sqlalchemy import (
    BigInteger,
    Connection,
    DateTime,
    Interval,
    String,
    Table,
    and_,
    case,
    cast,
    func,
    insert,
    literal,
    null,
    select,
    update,
)
from sqlmodel import Session

from ocrm_tui.db.models import (
    Account,
    AumSnapshot,
    Campaign,
    CampaignStatus,
    CampaignTarget,
    CampaignType,
    Customer,
    CustomerCollaborator,
    CustomerTag,
    LoginAttempt,
    Organisation,
    Product,
    Role,
    ServiceContact,
    SmsMessage,
    StaffUser,
    Tag,
    TargetStatus,
    Ticket,
    TicketEvent,
    TicketHelp,
    Transaction,
)
from ocrm_tui.i18n import _
from ocrm_tui.services import audit, campaigns
from ocrm_tui.services.actor import Actor
from ocrm_tui.services.auth import hash_password
from ocrm_tui.services.campaign_filter import CampaignFilter
from ocrm_tui.services.clock import Clock, system_clock
from ocrm_tui.services.errors import ValidationError
from ocrm_tui.services.pinyin import name_chars, pinyin_keys
from ocrm_tui.services.settings import get_setting
from ocrm_tui.services.tickets import sla_hours
from ocrm_tui.services.tiers import tier_for

DEFAULT_SEED = 20260101
MAX_CUSTOMERS = 1_000_000
CHUNK = 20_000  # customers per generated chunk (about 14 rows of other tables each)
MONTHS = 12
PARALLEL_FROM = 50_000  # customers from which rows are generated in a worker process (start-up ~1 s)

# Tables loaded in bulk, in foreign-key order.
BULK_TABLES: tuple[Table, ...] = (
    Customer.__table__, Account.__table__, Transaction.__table__, AumSnapshot.__table__,  # type: ignore[attr-defined]
    CustomerTag.__table__, CustomerCollaborator.__table__, ServiceContact.__table__,  # type: ignore[attr-defined]
    Ticket.__table__, TicketEvent.__table__, TicketHelp.__table__,  # type: ignore[attr-defined]
)
TABLE_BY_NAME = {t.name: t for t in BULK_TABLES}
_CAMPAIGN: Table = Campaign.__table__  # type: ignore[attr-defined]
_TARGET: Table = CampaignTarget.__table__  # type: ignore[attr-defined]
_SMS: Table = SmsMessage.__table__  # type: ignore[attr-defined]

# -- the branch network ------------------------------------------------------------------

# (code, name, level, parent, city key)
ORGS: list[tuple[str, str, str, str | None, str | None]] = [
    ("HO", "总行", "head", None, None),
    ("JS", "江苏省分行", "branch1", "HO", None),
    ("ZJ", "浙江省分行", "branch1", "HO", None),
    ("NJ", "南京分行", "branch2", "JS", "nj"),
    ("SZ", "苏州分行", "branch2", "JS", "sz"),
    ("HZ", "杭州分行", "branch2", "ZJ", "hz"),
    ("NB", "宁波分行", "branch2", "ZJ", "nb"),
    ("NJGL", "南京鼓楼支行", "subbranch", "NJ", "nj"),
    ("NJJY", "南京建邺支行", "subbranch", "NJ", "nj"),
    ("SZGS", "苏州姑苏支行", "subbranch", "SZ", "sz"),
    ("SZYQ", "苏州工业园区支行", "subbranch", "SZ", "sz"),
    ("HZXH", "杭州西湖支行", "subbranch", "HZ", "hz"),
    ("HZBJ", "杭州滨江支行", "subbranch", "HZ", "hz"),
    ("NBHS", "宁波海曙支行", "subbranch", "NB", "nb"),
    ("NBYZ", "宁波鄞州支行", "subbranch", "NB", "nb"),
]
OUTLETS: dict[str, list[str]] = {
    "NJGL": ["中山北路", "湖南路", "宁海路"],
    "NJJY": ["河西万达", "奥体中心"],
    "SZGS": ["观前街", "十全街", "石路"],
    "SZYQ": ["金鸡湖", "星海街"],
    "HZXH": ["文三路", "黄龙", "西溪"],
    "HZBJ": ["江南大道", "长河"],
    "NBHS": ["天一广场", "鼓楼", "南门"],
    "NBYZ": ["钟公庙", "东部新城"],
}
# city key → (province code, prefecture code, province name, city name)
CITIES = {
    "nj": ("32", "3201", "江苏省", "南京市"),
    "sz": ("32", "3205", "江苏省", "苏州市"),
    "hz": ("33", "3301", "浙江省", "杭州市"),
    "nb": ("33", "3302", "浙江省", "宁波市"),
}
NEIGHBOUR_PROVINCES = ("31", "34", "36", "37", "41")  # Shanghai, Anhui, Jiangxi, Shandong, Henan

# (product_code, name, product_type, risk level)
PRODUCTS: list[tuple[str, str, str, str | None]] = [
    ("DEP-CUR", "活期储蓄", "deposit", "R1"),
    ("DEP-3M", "三个月定期存款", "deposit", "R1"),
    ("DEP-1Y", "一年期定期存款", "deposit", "R1"),
    ("DEP-CD3Y", "三年期大额存单", "deposit", "R1"),
    ("WM-30D", "稳盈30天理财", "wealth", "R2"),
    ("WM-QTR", "季季盈理财", "wealth", "R2"),
    ("WM-1Y", "年年丰理财", "wealth", "R3"),
    ("WM-AGG", "进取增强理财", "wealth", "R4"),
    ("FD-MMF", "货币市场基金A", "fund", "R1"),
    ("FD-BOND", "稳健债券基金", "fund", "R2"),
    ("FD-CSI300", "沪深300指数基金", "fund", "R4"),
    ("FD-TECH", "科技成长混合基金", "fund", "R5"),
    ("INS-ANN", "安心养老年金保险", "insurance", "R2"),
    ("INS-LIFE", "福满终身寿险(分红型)", "insurance", "R3"),
    ("LN-MORT", "个人住房贷款", "loan", None),
    ("LN-CONS", "个人消费贷款", "loan", None),
    ("LN-BIZ", "个人经营贷款", "loan", None),
    ("CC-STD", "标准信用卡", "credit_card", None),
    ("CC-PLAT", "白金信用卡", "credit_card", None),
    ("MT-ACC", "如意积存金", "metal", "R3"),
    ("MT-BAR", "实物投资金条", "metal", "R3"),
]
ACCOUNT_PREFIX = {"deposit": "622202", "wealth": "880101", "fund": "880201", "insurance": "880301",
                  "loan": "770101", "credit_card": "625802", "metal": "880401"}
ASSET_TYPES = ("deposit", "wealth", "fund", "insurance", "metal")  # count towards AUM; loans and cards do not

# (name, family)
TAGS: list[tuple[str, str]] = [
    ("青年客户", "demographic"), ("中年客户", "demographic"), ("老年客户", "demographic"),
    ("外地客户", "demographic"),
    ("手机银行活跃", "behaviour"), ("理财偏好", "behaviour"), ("基金偏好", "behaviour"),
    ("信用卡消费活跃", "behaviour"), ("柜面依赖", "behaviour"),
    ("保守型", "attitude"), ("稳健型", "attitude"), ("进取型", "attitude"),
    ("关注养老", "attitude"), ("关注子女教育", "attitude"),
    ("家庭客户", "relationship"), ("代发工资客户", "relationship"), ("企业主圈层", "relationship"),
    ("房贷客户", "custom"), ("基金定投意向", "custom"), ("出国金融需求", "custom"),
]

CHANNELS = ("mobile", "online", "atm", "pos", "counter", "phone")
CHANNEL_WEIGHTS = (36, 14, 15, 15, 15, 5)
STREETS = ("中山路", "人民路", "解放路", "建设路", "和平路", "新华路", "长江路", "湖滨路", "文化路", "学院路",
           "青年路", "胜利路", "北京路", "延安路", "凤凰路", "东风路", "朝阳路", "滨江大道", "环城北路", "工业园路",
           "幸福路", "光明路", "民主路", "健康路", "科技路", "花园路", "西湖大道", "运河路", "钱江路", "太湖路")
COMMUNITIES = ("阳光花园", "锦绣家园", "翠苑", "金色港湾", "绿城桂花园", "香榭里", "万科城", "碧桂园",
               "东方名苑", "湖畔居", "新城花园", "枫林湾", "名都小区", "世纪新村", "丽景苑")
OCCUPATIONS = ("企业职员", "公务员", "教师", "医生", "护士", "工程师", "会计", "销售人员", "个体工商户",
               "企业主", "退休人员", "自由职业者", "学生", "农民", "司机", "律师", "程序员", "厨师", "设计师", "军人")
MARITAL = ("未婚", "已婚", "已婚", "已婚", "离异", "丧偶")
EDUCATION = ("初中及以下", "高中/中专", "大专", "本科", "本科", "硕士", "博士")
FAMILIES = ("单身", "夫妻二人", "三口之家", "三口之家", "四口之家", "三代同堂")
FINANCIAL = ("收入稳定", "收入较高", "有房贷", "有车贷", "资产充裕", "收入一般")
HOBBIES = ("旅游", "摄影", "阅读", "跑步", "高尔夫", "书法", "钓鱼", "瑜伽", "美食", "茶艺", "音乐", "登山")
CONTACT_TIMES = ("工作日上午", "工作日下午", "工作日晚上", "周末")
EMAIL_DOMAINS = ("qq.com", "163.com", "126.com", "sina.com", "139.com", "foxmail.com")
MOBILE_PREFIXES = ("130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "150", "151", "152",
                   "153", "155", "156", "157", "158", "159", "166", "173", "175", "176", "177", "178", "180",
                   "181", "182", "183", "184", "185", "186", "187", "188", "189", "191", "198", "199")
MERCHANTS = ("苏果超市", "华润万家", "永辉超市", "中石化加油站", "肯德基", "星巴克", "银泰百货", "京东商城",
             "美团外卖", "滴滴出行", "国家电网", "中国移动", "携程旅行", "万达影城")
# (memo, direction) per channel
MEMOS = {
    "counter": (("现金存入", "in"), ("现金支取", "out"), ("转账汇款", "out"), ("定期存入", "in"), ("理财申购", "out")),
    "atm": (("ATM取款", "out"), ("ATM存款", "in")),
    "pos": (("POS消费", "out"), ("POS消费", "out"), ("退货退款", "in")),
    "phone": (("电话银行转账", "out"), ("信用卡还款", "out")),
    "online": (("网银转账", "out"), ("网银转入", "in"), ("基金申购", "out"), ("理财赎回", "in")),
    "mobile": (("手机银行转账", "out"), ("工资", "in"), ("转入", "in"), ("缴费", "out"), ("理财申购", "out")),
}

# Staff per node (role, count, skills cycle); employee numbers by role letter.
STAFF_PLAN = {
    "head": [("admin", 2), ("manager", 1)],
    "branch1": [("manager", 1)],
    "branch2": [("manager", 1)],
    "subbranch": [("manager", 1), ("rm", 1)],
    "outlet": [("teller", 2), ("rm", 2)],
}
RM_SKILLS = ("wealth", "loan", "credit_card", "wealth,fund", "", "insurance")
ROLE_LETTER = {"teller": "T", "rm": "R", "manager": "M", "admin": "A"}


# -- results -------------------------------------------------------------------------------

@dataclass(frozen=True)
class DemoStaff:
    employee_no: str
    name: str
    role: str
    org_code: str
    org_name: str
    skills: str
    password: str


@dataclass
class TableLoad:
    rows: int = 0
    seconds: float = 0.0  # time spent writing to the database

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


@dataclass
class CampaignLoad:
    """The demo's campaigns: how many, their targets, outcomes and queued messages."""

    campaigns: int = 0
    targets: int = 0
    outcomes: int = 0  # targets with a recorded outcome
    sms: int = 0  # messages in the outbox
    seconds: float = 0.0


@dataclass
class DemoSummary:
    customers: int
    seed: int
    staff: list[DemoStaff]
    tables: dict[str, TableLoad] = field(default_factory=dict)
    orgs: int = 0
    products: int = 0
    tags: int = 0
    generate_seconds: float = 0.0  # building row values in Python
    index_seconds: float = 0.0  # rebuilding secondary indexes
    campaigns: CampaignLoad = field(default_factory=CampaignLoad)
    alerts: int = 0  # raised by the first alert scan (maturities, birthdays, customers due a call …)
    total_seconds: float = 0.0

    @property
    def bulk_rows(self) -> int:
        return sum(t.rows for t in self.tables.values())


# progress(stage, done, total, rows written so far); stage: setup / customers / indexes / done
Progress = Callable[[str, int, int, int], None]


class BulkWriter(Protocol):
    def write(self, conn: Connection, table: Table, rows: list[dict]) -> None: ...


class CoreWriter:
    """SQLAlchemy Core executemany (``insert(table)`` with a list of dicts)."""

    def write(self, conn: Connection, table: Table, rows: list[dict]) -> None:
        conn.execute(insert(table), rows)


def _sqlite_time(value: datetime) -> str:
    """A time as SQLAlchemy's SQLite dialect stores it: UTC, no offset, microseconds
    ("2026-01-05 09:00:00.000000"), at the cost of sqlite3's own conversion."""
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value.isoformat(" ", "microseconds")


class SqliteTupleWriter:
    """Core's ``exec_driver_sql`` executemany of tuples: what `ocrm demo` uses on SQLite.

    Core's ``insert()`` spends about two thirds of a 1M-customer load building parameter
    dictionaries row by row; here each value goes through its column type's own bind
    processor and the driver's executemany does the rest. A time is written as the text
    SQLAlchemy's SQLite dialect writes (``_sqlite_time``): the type's own processor leaves it to
    sqlite3, whose text ("… 09:00:00+00:00") compares differently in SQL from what the ORM
    stores ("… 09:00:00.000000"), and ranges and keyset pages compare times as text.
    """

    def __init__(self) -> None:
        self._plans: dict[tuple[str, tuple[str, ...]], tuple[str, list[tuple[int, Callable]]]] = {}

    def _plan(self, conn: Connection, table: Table, keys: tuple[str, ...]):
        plan = self._plans.get((table.name, keys))
        if plan is None:
            sql = f"INSERT INTO {table.name} ({', '.join(keys)}) VALUES ({', '.join('?' * len(keys))})"
            procs = []
            for i, k in enumerate(keys):
                column_type = table.c[k].type
                is_time = isinstance(getattr(column_type, "impl", column_type), DateTime)  # a TypeDecorator's impl
                proc = _sqlite_time if is_time else column_type.bind_processor(conn.dialect)
                if proc is not None:
                    procs.append((i, proc))
            plan = self._plans[(table.name, keys)] = (sql, procs)
        return plan

    def write(self, conn: Connection, table: Table, rows: list[dict]) -> None:
        keys = tuple(rows[0])
        sql, procs = self._plan(conn, table, keys)
        get = itemgetter(*keys)
        if procs:
            tuples = []
            for r in rows:
                values = list(get(r))
                for i, proc in procs:
                    if values[i] is not None:
                        values[i] = proc(values[i])
                tuples.append(tuple(values))
        else:
            tuples = [get(r) for r in rows] if len(keys) > 1 else [(get(r),) for r in rows]
        conn.exec_driver_sql(sql, tuples)


# -- reference data, prepared once ----------------------------------------------------------

@dataclass(frozen=True)
class _County:
    code: str
    start: int
    end: int


def _parse_loc_dat() -> list[tuple[str, str, str, int, int]]:
    """(province code, 4-digit code, county name, valid from, valid to) from stdnum's loc.dat."""
    import stdnum

    path = Path(stdnum.__file__).parent / "cn" / "loc.dat"
    out = []
    province = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        if not line.startswith(" "):
            province = line.split()[0]
            continue
        code, _sep, rest = line.strip().partition(" ")
        names = rest.split("=", 1)[1].strip('"')
        for piece in names.split(","):
            start, end = 0, 9999
            if piece.startswith("["):
                span, piece = piece[1:].split("]", 1)
                a, b = span.split("-")
                start, end = int(a or 0), int(b or 9999)
            out.append((province, code, piece, start, end))
    return out


@lru_cache(maxsize=1)
def _county_pools() -> tuple[dict[str, list[_County]], dict[str, list[str]]]:
    """Counties by province (for ID numbers) and today's districts by prefecture (for addresses)."""
    by_province: dict[str, list[_County]] = {}
    districts: dict[str, list[str]] = {}
    for province, code, name, start, end in _parse_loc_dat():
        if code.endswith("00") or name in ("市辖区", "市区", "郊区") or not name:
            continue
        by_province.setdefault(province, []).append(_County(province + code, start, end))
        if end == 9999 and name.endswith(("区", "县", "市")):
            districts.setdefault(province + code[:2], []).append(name)
    return by_province, districts


@lru_cache(maxsize=1)
def _name_pools() -> tuple[list[str], list[float], list[str], list[str], list[str], list[str]]:
    """Surnames with cumulative weights and given-name parts, from Faker's zh_CN lists."""
    from faker.providers.person.zh_CN import Provider  # data only: no Faker instance

    surnames = list(Provider.last_names.keys())
    cum, total = [], 0.0
    for w in Provider.last_names.values():
        total += w
        cum.append(total)
    male = list(Provider.first_names_male)
    female = list(Provider.first_names_female)
    male_chars = sorted({c for n in male for c in n})
    female_chars = sorted({c for n in female for c in n})
    return surnames, cum, male, female, male_chars, female_chars


def person_name(rng: random.Random, male: bool) -> str:
    """A Chinese name: a surname by its real frequency, a one- or two-character given name."""
    surnames, cum, male_names, female_names, male_chars, female_chars = _name_pools()
    surname = rng.choices(surnames, cum_weights=cum)[0]
    if rng.random() < 0.5:
        given = rng.choice(male_names if male else female_names)
    else:
        chars = male_chars if male else female_chars
        given = rng.choice(chars) + rng.choice(chars)
    return surname + given


def check_digit(first17: str) -> str:
    """ISO 7064 MOD 11-2 check digit of a resident ID number's first 17 digits."""
    c = (1 - 2 * int(first17, 13)) % 11
    return "X" if c == 10 else str(c)


def _money(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


# -- the generator -------------------------------------------------------------------------

@dataclass
class _Outlet:
    id: int
    code: str
    city: str
    rm_ids: list[int]
    teller_ids: list[int]


class _Generator:
    """Rows of the bulk tables for customers [start, stop), deterministic for the seed."""

    def __init__(self, seed: int, customers: int, now: datetime, thresholds: dict, outlets: list[_Outlet],
                 products: dict[str, list[tuple[int, str]]], tag_ids: dict[str, int]):
        self.rng = random.Random(seed)
        self.n = customers
        self.now = now
        self.thresholds = thresholds
        self.outlets = outlets
        self.products = products  # product_type → [(id, code)]
        self.tag_ids = tag_ids
        self.by_province, self.districts = _county_pools()
        self.provinces = sorted(self.by_province)
        self.seen_ids: set[str] = set()
        self.account_id = 0
        self.mobile_prefixes = list(MOBILE_PREFIXES)
        self.rng.shuffle(self.mobile_prefixes)
        # Unique mobiles: customer k gets prefix k % P and a suffix from an affine bijection of k // P.
        self.mobile_mult = self.rng.randrange(10_000_001, 99_999_999) | 1
        while self.mobile_mult % 5 == 0:
            self.mobile_mult += 2
        self.mobile_add = self.rng.randrange(100_000_000)
        today = now.date()
        self.today = today
        self.months = [_add_months(date(today.year, today.month, 1), -k) for k in range(MONTHS - 1, -1, -1)]
        self.year_start_ts = (now - timedelta(days=365)).timestamp()
        t = thresholds
        # Daily-average AUM ranges per tier, from the bank's thresholds (so tiers hold for any policy).
        self.tier_ranges = {
            "mass": (100, t["vip"] * 0.98),
            "vip": (t["vip"], t["wealth"] * 0.98),
            "wealth": (t["wealth"], t["private"] * 0.98),
            "private": (t["private"], t["private"] * 5),
        }
        self.contact_pool: dict[int, list[int]] = {o.id: [] for o in outlets}  # outlet → a few customer ids
        self.collaborators: list[dict] = []
        self.customer_org: dict[int, int] = {}

    # one customer's identity -------------------------------------------------------------
    def _name(self, male: bool) -> str:
        return person_name(self.rng, male)

    def _id_number(self, home_province: str, birth: date, male: bool) -> str:
        rng = self.rng
        u = rng.random()
        if u < 0.65:
            province = home_province
        elif u < 0.8:
            province = rng.choice(NEIGHBOUR_PROVINCES)
        else:
            province = rng.choice(self.provinces)
        pool = self.by_province[province]
        year = birth.year
        county = rng.choice(pool)
        tries = 0
        while not (county.start <= year <= county.end):
            county = rng.choice(pool)
            tries += 1
            if tries > 50:  # pragma: no cover - every province has counties valid in every year
                pool = self.by_province[home_province]
        body = f"{county.code}{year:04d}{birth.month:02d}{birth.day:02d}"
        seq = rng.randrange(500) * 2 + (1 if male else 0)  # order code: odd for men, even for women
        while True:
            first17 = f"{body}{seq:03d}"
            number = first17 + check_digit(first17)
            if number not in self.seen_ids:
                self.seen_ids.add(number)
                return number
            seq = (seq + 2) % 1000

    def _mobile(self, k: int) -> str:
        p = len(self.mobile_prefixes)
        suffix = ((k // p) * self.mobile_mult + self.mobile_add) % 100_000_000
        return f"{self.mobile_prefixes[k % p]}{suffix:08d}"

    # the chunk ------------------------------------------------------------------------------
    def chunk(self, start: int, stop: int) -> dict[str, list[dict]]:
        rng = self.rng
        rand = rng.random
        randrange = rng.randrange
        choice = rng.choice
        now = self.now
        thresholds = self.thresholds
        customers: list[dict] = []
        accounts: list[dict] = []
        txns: list[dict] = []
        snaps: list[dict] = []
        ctags: list[dict] = []
        tag = self.tag_ids
        products = self.products
        months = self.months
        today = self.today
        utc = timezone.utc
        for k in range(start, stop):
            cid = k + 1
            outlet = choice(self.outlets)
            province, prefecture, province_name, city_name = CITIES[outlet.city]
            male = rand() < 0.5
            age = int(18 + min(67, abs(rng.gauss(0, 1)) * 22 + rand() * 12))
            birth = date.fromordinal(date(today.year - age, 1, 1).toordinal() + randrange(365))
            if birth > _add_years(today, -18):
                birth = _add_years(today, -18) - timedelta(days=randrange(1, 300))
            age = today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))
            name = self._name(male)
            full, initials = pinyin_keys(name)
            id_number = self._id_number(province, birth, male)
            rm_id = choice(outlet.rm_ids) if rand() < 0.78 else None
            # Tier first, then a daily-average AUM inside that tier's range (log-uniform).
            if k == 0:
                tier_goal = "private"
            elif k == 1:
                tier_goal = "wealth"
            elif k == 2:
                tier_goal = "vip"
            else:
                u = rand()
                tier_goal = "private" if u < 0.006 else "wealth" if u < 0.07 else "vip" if u < 0.30 else "mass"
            lo, hi = self.tier_ranges[tier_goal]
            avg_cents = int(lo * (hi / lo) ** rand() * 100)
            end_cents = int(avg_cents * (0.95 + rand() * 0.1))
            risk = None if rand() < 0.15 else min(5, max(1, int(rng.gauss(2.6 + (0.5 if tier_goal in ("wealth", "private") else 0) - (age > 60) * 0.8, 1.0) + 0.5)))
            occupation = "退休人员" if age >= 62 and rand() < 0.8 else ("学生" if age < 23 and rand() < 0.6 else choice(OCCUPATIONS))
            district = choice(self.districts.get(prefecture, [city_name]))
            email = None
            if rand() < 0.3:
                email = f"{full}{randrange(1, 9999)}@{choice(EMAIL_DOMAINS)}"
            aum_avg = _money(avg_cents)
            customers.append({
                "id": cid,
                "customer_no": f"{9_100_000_000 + cid}",
                "name": name, "name_pinyin": full, "name_initials": initials, "name_chars": name_chars(name),
                "gender": "M" if male else "F", "birth_date": birth,
                "id_type": "居民身份证", "id_number": id_number,
                "mobile": self._mobile(k), "email": email,
                "address": f"{province_name}{city_name}{district}{choice(STREETS)}{randrange(1, 999)}号{choice(COMMUNITIES)}{randrange(1, 30)}幢{randrange(1, 28)}0{randrange(1, 5)}室",
                "occupation": occupation,
                "marital_status": None if rand() < 0.2 else ("未婚" if age < 25 else choice(MARITAL)),
                "education": None if rand() < 0.25 else choice(EDUCATION),
                "family": None if rand() < 0.4 else choice(FAMILIES),
                "financial_status": None if rand() < 0.5 else choice(FINANCIAL),
                "risk_preference": risk,
                "hobbies": None if rand() < 0.6 else "、".join(sorted({choice(HOBBIES), choice(HOBBIES)})),
                "preferred_contact_time": None if rand() < 0.5 else choice(CONTACT_TIMES),
                "org_id": outlet.id, "rm_id": rm_id,
                "tier": tier_for(aum_avg, thresholds), "tier_manual": False,
                "aum": _money(end_cents), "aum_daily_avg": aum_avg,
                "created_at": now, "updated_at": now, "version": 1,
            })
            # Accounts: a current account always, others by tier; asset balances sum to the AUM.
            rich = ("mass", "vip", "wealth", "private").index(tier_goal)
            held = [("deposit", 0)]
            if rand() < 0.35:
                held.append(("deposit", 1 + randrange(3)))
            if rand() < (0.06, 0.45, 0.8, 0.95)[rich]:
                held.append(("wealth", randrange(4)))
            if rand() < (0.08, 0.35, 0.6, 0.8)[rich]:
                held.append(("fund", randrange(4)))
            if rand() < (0.04, 0.2, 0.35, 0.5)[rich]:
                held.append(("insurance", randrange(2)))
            if rand() < (0.02, 0.08, 0.15, 0.3)[rich]:
                held.append(("metal", randrange(2)))
            weights = [0.1 + rand() for _ in held]
            wsum = sum(weights)
            shares = [int(end_cents * w / wsum) for w in weights]
            shares[0] += end_cents - sum(shares)
            acct_ids: list[int] = []
            card_id = None
            has_mortgage = False
            for (ptype, idx), cents in zip(held, shares):
                pid, code = products[ptype][idx]
                self.account_id += 1
                aid = self.account_id
                acct_ids.append(aid)
                opened = today - timedelta(days=randrange(30, 3650))
                matures = None
                if code.startswith(("DEP-3M", "DEP-1Y", "DEP-CD", "WM-")) and code != "DEP-CUR":
                    matures = today + timedelta(days=randrange(1, 720))
                accounts.append({"id": aid, "account_no": f"{ACCOUNT_PREFIX[ptype]}{aid:013d}", "customer_id": cid,
                                 "product_id": pid, "currency": "CNY", "balance": _money(cents),
                                 "opened_on": opened, "matures_on": matures, "status": "active"})
            for ptype, p, lo_c, hi_c in (("loan", 0.12, 5_000_000, 200_000_000), ("credit_card", 0.35, 0, 3_000_000)):
                if rand() < p:
                    idx = 0 if ptype == "loan" and rand() < 0.7 else randrange(len(products[ptype]))
                    pid, code = products[ptype][idx]
                    self.account_id += 1
                    aid = self.account_id
                    if ptype == "credit_card":
                        card_id = aid
                    else:
                        has_mortgage = code == "LN-MORT"
                    accounts.append({"id": aid, "account_no": f"{ACCOUNT_PREFIX[ptype]}{aid:013d}", "customer_id": cid,
                                     "product_id": pid, "currency": "CNY", "balance": _money(randrange(lo_c, hi_c)),
                                     "opened_on": today - timedelta(days=randrange(30, 3650)),
                                     "matures_on": today + timedelta(days=randrange(365, 9000)) if ptype == "loan" else None,
                                     "status": "active"})
            # Twelve month-ends walked backwards from today's AUM; daily averages between them.
            declining = rand() < 0.05
            ends = [end_cents]
            for _m in range(MONTHS - 1):
                g = (0.86 + rand() * 0.09) if declining and len(ends) <= 3 else (0.94 + rand() * 0.13)
                ends.append(int(ends[-1] / g))
            ends.reverse()
            prev = int(ends[0] * (0.96 + rand() * 0.06))
            for m, month in enumerate(months):
                avg = avg_cents if m == MONTHS - 1 else int((prev + ends[m]) / 2 * (0.98 + rand() * 0.04))
                snaps.append({"customer_id": cid, "month": month, "aum": _money(ends[m]), "aum_daily_avg": _money(avg)})
                prev = ends[m]
            # Transactions over the last year on every channel.
            n_txn = randrange(21)
            mobile_n = pos_n = counter_n = 0
            scale = (3000, 12000, 40000, 120000)[rich]
            for _t in range(n_txn):
                channel = _CHANNEL_DRAW[int(rand() * _CHANNEL_N)]
                memo, direction = choice(MEMOS[channel])
                if channel == "pos":
                    pos_n += 1
                    aid = card_id or acct_ids[0]
                    counterparty = choice(MERCHANTS)
                else:
                    aid = acct_ids[0] if rand() < 0.8 else choice(acct_ids)
                    counterparty = None if rand() < 0.5 else choice(MERCHANTS) if direction == "out" and rand() < 0.3 else None
                    if channel == "mobile":
                        mobile_n += 1
                    elif channel == "counter":
                        counter_n += 1
                txns.append({
                    "txn_id": None, "account_id": aid, "customer_id": cid,
                    "posted_at": datetime.fromtimestamp(self.year_start_ts + rand() * 31_536_000, utc),
                    "amount": _money(int(scale * (0.02 + rand() * rand() * 3) * 100) + 100),
                    "direction": direction, "channel": channel, "counterparty": counterparty, "memo": memo,
                })
            # Tags of every family, from what was generated.
            tags = [tag["青年客户"] if age < 35 else tag["中年客户"] if age < 60 else tag["老年客户"]]
            if id_number[:2] != province:
                tags.append(tag["外地客户"])
            if mobile_n >= 4:
                tags.append(tag["手机银行活跃"])
            if counter_n >= 3:
                tags.append(tag["柜面依赖"])
            if pos_n >= 3 and card_id:
                tags.append(tag["信用卡消费活跃"])
            types_held = {t for t, _i in held}
            if "wealth" in types_held:
                tags.append(tag["理财偏好"])
            if "fund" in types_held:
                tags.append(tag["基金偏好"])
            if risk is not None:
                tags.append(tag["保守型"] if risk <= 2 else tag["稳健型"] if risk == 3 else tag["进取型"])
            if age > 50 and rand() < 0.3:
                tags.append(tag["关注养老"])
            if 28 < age < 50 and rand() < 0.15:
                tags.append(tag["关注子女教育"])
            if rand() < 0.25:
                tags.append(tag["家庭客户"])
            if occupation in ("企业职员", "公务员", "教师", "医生", "护士", "工程师") and rand() < 0.5:
                tags.append(tag["代发工资客户"])
            if occupation in ("企业主", "个体工商户"):
                tags.append(tag["企业主圈层"])
            if has_mortgage:
                tags.append(tag["房贷客户"])
            if rand() < 0.05:
                tags.append(tag["基金定投意向"])
            if rand() < 0.02:
                tags.append(tag["出国金融需求"])
            for tid in tags:
                ctags.append({"tag_id": tid, "customer_id": cid, "created_at": now, "created_by": None})
            pool = self.contact_pool[outlet.id]
            if len(pool) < 12:
                pool.append(cid)
            if rm_id is not None and len(outlet.rm_ids) > 1 and rand() < 0.005:
                other = choice([r for r in outlet.rm_ids if r != rm_id])
                self.collaborators.append({"customer_id": cid, "user_id": other, "created_at": now})
        return {"customer": customers, "account": accounts, "txn": txns, "aum_snapshot": snaps, "customer_tag": ctags}

    def contacts(self) -> list[dict]:
        """Counter visits for every teller and calls for every RM, with customers of their outlet."""
        rows = []
        rng = self.rng
        for outlet in self.outlets:
            pool = self.contact_pool[outlet.id]
            if not pool:
                continue
            for uid, kind, n in [(t, "counter", 5) for t in outlet.teller_ids] + [(r, "phone", 3) for r in outlet.rm_ids]:
                for cid in rng.sample(pool, min(n, len(pool))):
                    rows.append({"customer_id": cid, "user_id": uid, "kind": kind,
                                 "at": self.now - timedelta(days=rng.randrange(0, 60), minutes=rng.randrange(0, 600)),
                                 "note": "柜面业务办理" if kind == "counter" else "电话回访"})
        return rows


# One entry per weight unit: drawing a channel is one index (random.choices costs ~5x more).
_CHANNEL_DRAW = tuple(c for c, w in zip(CHANNELS, CHANNEL_WEIGHTS) for _i in range(w))
_CHANNEL_N = len(_CHANNEL_DRAW)


def _add_months(d: date, months: int) -> date:
    y, m = divmod(d.year * 12 + d.month - 1 + months, 12)
    return date(y, m + 1, 1)


def _add_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


# -- tickets ---------------------------------------------------------------------------------

TICKETS_PER_CUSTOMERS = 20  # about one ticket per 20 customers
MIN_TICKETS = 40
MAX_TICKETS = 100_000
OPEN_PER_RM = 2  # every RM's queue holds at least this many open tickets
TICKET_HISTORY_DAYS = 90
# Shares of the tickets drawn at random; each status appears at least once.
TICKET_STATUS_SHARES = (("closed", 0.55), ("in_progress", 0.20), ("new", 0.15), ("responded", 0.10))
TICKET_TYPE_WEIGHTS = (("consultation", 50), ("complaint", 32), ("suggestion", 18))
TICKET_CHANNEL_WEIGHTS = (("counter", 35), ("phone", 30), ("mobile", 20), ("online", 10), ("atm", 3), ("pos", 2))
OVERDUE_SHARE = 0.08  # of open tickets: past their due time
POOL_SHARE = 0.3  # of new tickets of customers without an RM: waiting unassigned in the branch pool
MIN_POOL = 3  # the pool is never empty in a fresh demo
HELP_SHARE = 0.06  # of tickets being worked: a colleague's help was asked
RATED_SHARE = 0.7  # of closed tickets: the customer gave a rating
RATING_WEIGHTS = ((5, 46), (4, 30), (3, 13), (2, 7), (1, 4))  # most customers are satisfied


@dataclass(frozen=True)
class TicketTemplate:
    type: str
    priority: str  # high / medium / low; "" for medium or low
    skill: str  # the skill a ticket of this kind may require
    subject: str
    description: str  # may use {amount}, {cash}, {fee}, {date}, {product}
    response: str
    solution: str


TICKET_TEMPLATES: tuple[TicketTemplate, ...] = (
    # Consultations.
    TicketTemplate("consultation", "", "wealth", "理财产品到期后如何续购",
                   "客户持有的{product}将于{date}到期，咨询到期资金的续购方式及当前在售同类产品的业绩比较基准。",
                   "已电话告知客户在售产品清单及风险等级，客户表示考虑后答复。",
                   "已为客户介绍同风险等级在售产品，客户到期后通过手机银行自行续购。"),
    TicketTemplate("consultation", "", "loan", "咨询个人住房贷款提前还款",
                   "客户计划提前偿还房贷本金约{amount}元，咨询办理条件、是否收取违约金及所需材料。",
                   "已说明提前还款需提前预约，客户正在准备材料。",
                   "已告知提前还款预约流程及无违约金的规定，客户已预约到网点办理并完成还款。"),
    TicketTemplate("consultation", "", "credit_card", "信用卡额度调整咨询",
                   "客户希望将信用卡固定额度提高到{amount}元，咨询申请条件和审批时间。",
                   "已指导客户在手机银行提交提额申请，审批结果以短信通知。",
                   "提额申请已审批通过，已短信通知客户新的固定额度。"),
    TicketTemplate("consultation", "", "", "手机银行更换手机后无法登录",
                   "客户反映更换手机后手机银行无法登录，提示“设备未绑定”，客户{date}曾尝试自行解绑未成功。",
                   "已告知客户携带身份证到网点或通过视频客服办理设备解绑。",
                   "已在柜面为客户重置设备绑定，客户确认可正常登录手机银行。"),
    TicketTemplate("consultation", "", "", "大额存单起存金额及利率咨询",
                   "客户有一笔定期存款即将到期，咨询三年期大额存单的起存金额、当前利率及能否提前支取。",
                   "已发送大额存单产品说明，客户将于近日到网点办理。",
                   "已告知起存金额20万元、当前执行利率及提前支取按活期计息的规定，客户已购买。"),
    TicketTemplate("consultation", "", "fund", "基金定投业务咨询",
                   "客户对{product}定投感兴趣，咨询扣款日、定投金额调整及赎回到账时间。",
                   "已为客户完成风险承受能力评估，待客户选择定投金额。",
                   "已介绍定投规则并协助客户在手机银行设置每月定投，客户表示清楚。"),
    TicketTemplate("consultation", "", "insurance", "养老年金保险产品咨询",
                   "客户临近退休，咨询{product}的领取方式、保障范围及退保损失。",
                   "已提供产品说明书，约定客户经理上门讲解。",
                   "客户经理已上门讲解条款，客户将与家人商量后再作决定。"),
    TicketTemplate("consultation", "", "", "代发工资卡开通短信提醒",
                   "客户单位代发工资，客户咨询如何为工资卡开通动账短信提醒及收费标准。",
                   "已告知可在手机银行自助开通，客户稍后自行办理。",
                   "已协助客户开通动账短信提醒，告知每月收费标准，客户认可。"),
    TicketTemplate("consultation", "", "", "境外汇款所需材料咨询",
                   "客户子女出国留学，需汇出学费约{amount}元等值美元，咨询办理材料和到账时间。",
                   "已列出所需材料清单并发送给客户。",
                   "客户已携带材料到网点办理境外汇款，款项已汇出。"),
    # Complaints about fees or disputed transactions: high priority.
    TicketTemplate("complaint", "high", "", "对小额账户管理费扣收有异议",
                   "客户反映{date}账户被扣收小额账户管理费，认为事先未告知，要求退还并说明收费依据。",
                   "已向客户解释收费依据，正在核实客户是否符合免收条件。",
                   "经核实客户为代发工资客户，符合免收条件，已退还管理费并设置免收标识，已向客户致歉。"),
    TicketTemplate("complaint", "high", "credit_card", "信用卡年费争议",
                   "客户称办卡时被告知首年免年费，但{date}被扣收年费{fee}元，要求退还。",
                   "已调阅办卡录音，正在与信用卡中心核实。",
                   "核实办卡时承诺属实，已申请退还年费并为客户调整为刷卡满额免年费。"),
    TicketTemplate("complaint", "high", "credit_card", "信用卡交易存在争议，怀疑被盗刷",
                   "客户称卡片一直在身边，但{date}信用卡出现一笔{cash}元的境外网站消费，怀疑被盗刷。",
                   "已为客户临时冻结卡片并登记争议交易，等待调单结果。",
                   "已为客户挂失换卡并提交争议交易调单，争议款项已先行调账，客户认可处理结果。"),
    TicketTemplate("complaint", "high", "", "ATM取款未出钞但账户已扣款",
                   "客户{date}在ATM取款{cash}元，机器未吐钞，但账户显示已扣款。",
                   "已登记差错并安排清机核对，预计两个工作日内处理完毕。",
                   "经清机核对ATM长款与客户金额一致，款项已退回客户账户并短信告知。"),
    TicketTemplate("complaint", "high", "", "跨行转账手续费收取有异议",
                   "客户认为{date}手机银行跨行转账被收取手续费不合理，网点宣传为免费，要求退还。",
                   "已向客户说明柜面与手机银行收费标准的区别，正在核实扣费记录。",
                   "核实系统参数配置有误，已退还手续费并修正配置，已向客户致歉。"),
    # Other complaints.
    TicketTemplate("complaint", "medium", "", "网点排队等候时间过长",
                   "客户反映{date}上午在网点排队超过一小时，只开放了一个对私柜口。",
                   "已向客户致歉并了解当日柜口开放情况。",
                   "已向客户致歉，网点已调整周末弹性排班并增开柜口，高峰期安排大堂经理分流。"),
    TicketTemplate("complaint", "medium", "wealth", "理财经理讲解产品风险不清楚",
                   "客户反映购买{product}时理财经理未讲清产品风险，现产品净值回撤，客户不满。",
                   "已调阅双录视频，约客户面谈。",
                   "网点负责人已与客户面谈并致歉，重新讲解产品风险，客户表示理解，继续持有。"),
    TicketTemplate("complaint", "medium", "", "账户变动未收到短信提醒",
                   "客户称{date}账户有资金转出，但未收到短信提醒，担心账户安全。",
                   "已查询短信发送记录，正在与运营商核实。",
                   "检查发现客户预留手机号已停用，已更新手机号并测试短信发送正常。"),
    # Suggestions.
    TicketTemplate("suggestion", "low", "", "建议周末增加营业网点",
                   "客户建议周末开放更多网点，方便上班族办理业务。",
                   "已将建议转交分行运营管理部。",
                   "已向客户反馈：分行将试点周末轮值营业，并在网点公告。"),
    TicketTemplate("suggestion", "low", "", "建议手机银行增加账单导出功能",
                   "客户建议手机银行支持将交易明细导出为电子表格，方便记账。",
                   "已记录建议并反馈至总行电子银行部。",
                   "已告知客户新版手机银行将支持明细导出，客户表示感谢。"),
    TicketTemplate("suggestion", "low", "", "建议设置老年人爱心窗口",
                   "客户陪同父母办理业务时建议网点设置老年人爱心窗口并配备老花镜、放大镜。",
                   "已将建议转交网点负责人。",
                   "网点已设置爱心窗口并配备便民用品，已向客户致谢。"),
    TicketTemplate("suggestion", "low", "wealth", "建议理财产品说明书更通俗易懂",
                   "客户认为{product}的说明书专业术语过多，建议提供简明版本。",
                   "已记录客户建议。",
                   "已向客户提供产品简明说明，并将建议反馈至总行资产管理部。"),
)
CARD_FEES = ("100", "200", "300", "600", "1000", "2000", "3600")
TICKET_PRODUCTS = ("稳盈30天理财", "季季盈理财", "年年丰理财", "稳健债券基金", "沪深300指数基金", "安心养老年金保险")
RATING_COMMENTS = {
    5: ("处理及时，非常满意", "客户经理很专业", None),
    4: ("服务不错", "解决了问题", None),
    3: ("一般", None),
    2: ("处理时间太长", "多次催问才有回复"),
    1: ("问题没有真正解决", "对处理结果不满意"),
}
REOPEN_REASONS = ("客户对处理结果不满意，要求重新核实", "客户反映问题再次出现")
# Help asked on a ticket of each type: (addressed to: teller / manager / colleague, task, answer).
HELP_TASKS = {
    "complaint": (("teller", "请协助调取客户在网点办理业务的凭证影像", "凭证影像已调取并上传，请查收。"),
                  ("manager", "客户要求退还费用，请审批", "同意退还，请按流程办理。")),
    "consultation": (("colleague", "客户咨询的问题涉及您的专业领域，请协助解答", "已与客户电话沟通并解答，详情见备注。"),),
    "suggestion": (("manager", "请评估客户建议并给出答复口径", "建议已转交分行相关部门，可按“已受理、将研究改进”答复客户。"),),
}


def ticket_count(customers: int) -> int:
    """How many tickets a demo of ``customers`` customers draws (RMs' queues may add a few)."""
    return min(MAX_TICKETS, max(MIN_TICKETS, customers // TICKETS_PER_CUSTOMERS))


def _weighted(pairs) -> tuple:
    return tuple(value for value, weight in pairs for _i in range(weight))


_TICKET_TYPE_DRAW = _weighted(TICKET_TYPE_WEIGHTS)
_TICKET_CHANNEL_DRAW = _weighted(TICKET_CHANNEL_WEIGHTS)
_RATING_DRAW = _weighted(RATING_WEIGHTS)
_TEMPLATES_BY_TYPE = {t: [tpl for tpl in TICKET_TEMPLATES if tpl.type == t] for t in ("consultation", "complaint",
                                                                                       "suggestion")}


@dataclass
class _TicketDesk:
    """Who works tickets where in the demo network."""

    outlet_rms: dict[int, list[int]]  # outlet → its RMs
    outlet_tellers: dict[int, list[int]]
    outlet_sub: dict[int, int]  # outlet → its sub-branch
    sub_rms: dict[int, list[int]]  # sub-branch → its own RMs
    sub_manager: dict[int, int]
    staff_org: dict[int, int]
    skills: dict[int, set[str]]
    rms: list[int]  # every RM, by id


class _TicketSeen:
    """What the ticket generator needs to know of the customers, gathered while they stream by."""

    KEEP = 8  # customers kept per RM book and per outlet (for the RMs' own queues)

    def __init__(self, wanted: set[int]) -> None:
        self.wanted = wanted
        self.customer: dict[int, tuple[int, int | None]] = {}  # id → (organisation, RM)
        self.book: dict[int, list[int]] = {}  # RM → a few of their customers
        self.unowned: dict[int, list[int]] = {}  # outlet → a few customers without an RM
        self.anyone: dict[int, list[int]] = {}  # outlet → a few customers

    def add(self, rows: list[dict]) -> None:
        wanted, customer, keep = self.wanted, self.customer, self.KEEP
        for r in rows:
            cid, org, rm = r["id"], r["org_id"], r["rm_id"]
            kept = False
            if rm is not None:
                book = self.book.setdefault(rm, [])
                if len(book) < keep:
                    book.append(cid)
                    kept = True
            else:
                pool = self.unowned.setdefault(org, [])
                if len(pool) < keep:
                    pool.append(cid)
                    kept = True
            some = self.anyone.setdefault(org, [])
            if len(some) < keep:
                some.append(cid)
                kept = True
            if kept or cid in wanted:
                customer[cid] = (org, rm)


class _TicketGenerator:
    """Tickets with their timelines and collaboration tasks, deterministic for the seed.

    Assignment follows the service's rule (``tickets.pick_assignee``) computed in Python: the
    customer's own RM, else the least-loaded handler of the outlet (with the skill, when one is
    needed), else of the sub-branch; some tickets wait in the branch pool, some were taken from
    it by an RM, some were given out by the sub-branch manager.
    """

    def __init__(self, rng: random.Random, now: datetime, hours: dict[str, float], desk: _TicketDesk,
                 seen: _TicketSeen) -> None:
        self.rng = rng
        self.now_ts = int(now.timestamp())
        self.sla_seconds = {priority: int(h * 3600) for priority, h in hours.items()}
        self.desk = desk
        self.seen = seen
        self.load: dict[int, int] = {uid: 0 for uid in desk.staff_org}  # open tickets per handler
        self.tickets: list[dict] = []
        self.events: list[list[tuple]] = []  # per ticket: (at, order, actor, kind, from, to, text)
        self.helps: list[list[dict]] = []

    # -- who --------------------------------------------------------------------------------
    def _least_loaded(self, candidates: list[int], skill: str | None) -> int | None:
        desk = self.desk
        able = [u for u in candidates if not skill or skill in desk.skills[u]]
        return min(able, key=lambda u: (self.load[u], u)) if able else None

    def _handlers_of_sub(self, sub: int) -> list[int]:
        manager = self.desk.sub_manager.get(sub)
        return self.desk.sub_rms.get(sub, []) + ([manager] if manager else [])

    def _assign(self, org: int, rm: int | None, skill: str | None, status: str) -> tuple[int | None, str]:
        """(assignee, how): auto (the rule at creation), claim (taken from the pool by an RM),
        manager (given out by the sub-branch manager) or pool (still waiting)."""
        desk, rand = self.desk, self.rng.random
        if rm is not None and (not skill or skill in desk.skills[rm]):
            return rm, "auto"
        sub = desk.outlet_sub[org]
        if rm is None and not skill:
            u = rand()
            if status == "new" and u < POOL_SHARE:
                return None, "pool"
            if status != "new" and u < 0.25:
                return self.rng.choice(desk.outlet_rms[org]), "claim"
            if u > 0.88 and desk.sub_rms.get(sub):
                return self._least_loaded(desk.sub_rms[sub], None), "manager"
        found = self._least_loaded(desk.outlet_rms[org], skill) or self._least_loaded(self._handlers_of_sub(sub), skill)
        if found is not None:
            return found, "auto"
        if status == "new":
            return None, "pool"
        # Nobody with the skill: the manager gave it to the least-loaded RM of the outlet.
        return self._least_loaded(desk.outlet_rms[org], None), "manager"

    # -- one ticket -----------------------------------------------------------------------------
    def add(self, cid: int, status: str, *, overdue: bool = False, assignee: int | None = None,
            how: str | None = None, reopen: bool = False) -> None:
        """One ticket of customer ``cid`` in ``status``; times are whole seconds since the epoch
        until ``rows`` turns them into datetimes (datetime arithmetic per row is slow)."""
        rng, rand, desk, now = self.rng, self.rng.random, self.desk, self.now_ts
        org, rm = self.seen.customer[cid]
        template = rng.choice(_TEMPLATES_BY_TYPE[rng.choice(_TICKET_TYPE_DRAW)])
        priority = template.priority or ("medium" if rand() < 0.6 else "low")
        channel = rng.choice(_TICKET_CHANNEL_DRAW)
        # A ticket given to someone by name (an RM's own queue) needs no particular skill.
        skill = template.skill if template.skill and assignee is None and rand() < 0.3 else None
        if assignee is None and how is None:
            assignee, how = self._assign(org, rm, skill, status)
        tellers = desk.outlet_tellers.get(org) or desk.outlet_rms[org]
        creator = (rm or rng.choice(desk.outlet_rms[org])) if channel == "phone" else rng.choice(tellers)
        sla = self.sla_seconds[priority]
        # When it was raised: open ones within their SLA window (a few past it), closed ones
        # over the last three months.
        if status == "closed":
            created = int(now - sla * 1.5 - rand() * TICKET_HISTORY_DAYS * 86400)
            end = created + sla * (0.1 + rand() * 1.2)  # a few were closed late
        elif overdue:
            created = int(now - sla - 1800 - rand() * 72 * 3600)
            end = now
        else:
            created = int(now - sla * (0.02 + rand() * 0.8))
            end = now
        # Moments along the way, in order.
        span = end - created
        marks = sorted([created + int(span * rand()) for _i in range(5)])
        due = created + sla
        happened = datetime.fromtimestamp(created - rng.randrange(0, 5) * 86400, timezone.utc)
        values = {"amount": str(rng.randrange(5, 300) * 1000), "cash": str(rng.randrange(1, 50) * 100),
                  "fee": rng.choice(CARD_FEES), "product": rng.choice(TICKET_PRODUCTS),
                  "date": f"{happened.month}月{happened.day}日"}
        events: list[tuple] = [(created, 0, creator, "created", None, "new", None)]
        assigned_at = None
        if how == "auto":
            assigned_at = created
            events.append((created, 1, creator, "assigned", None, str(assignee), None))
        elif how == "manager":
            assigned_at = marks[0]
            events.append((marks[0], 1, desk.sub_manager.get(desk.outlet_sub[org]), "assigned", None, str(assignee),
                           None))
        elif how == "claim":
            assigned_at = marks[0]
            events.append((marks[0], 1, assignee, "assigned", None, str(assignee), None))
            events.append((marks[0], 2, assignee, "status", "new", "in_progress", None))
        solution = closed_at = rating = comment = rated_at = None
        if status != "new":
            if how != "claim":
                events.append((marks[1], 3, assignee, "status", "new", "in_progress", None))
            if status == "responded" or (status == "closed" and rand() < 0.5):
                events.append((marks[2], 4, assignee, "status", "in_progress", "responded", template.response))
            if status == "closed" or reopen:
                solution = template.solution
                closed_at = marks[3]
                events.append((closed_at, 5, assignee, "status", events[-1][5], "closed", solution))
            if status == "closed" and rand() < RATED_SHARE:
                rating = rng.choice(_RATING_DRAW)
                comment = rng.choice(RATING_COMMENTS[rating])
                rated_at = min(closed_at + rng.randrange(60, 36_000), now)
                events.append((rated_at, 6, assignee, "rated", None, str(rating), comment))
            if reopen:
                events.append((marks[4], 7, assignee, "reopened", "closed", "in_progress", rng.choice(REOPEN_REASONS)))
                due = marks[4] + sla
                closed_at = None  # the solution stays, as when the service reopens a ticket
        if status != "closed" and assignee is not None:
            self.load[assignee] += 1
        last = max(events)
        self.tickets.append({
            "id": None, "customer_id": cid, "org_id": org, "type": template.type, "priority": priority,
            "channel": channel, "subject": template.subject, "description": template.description.format(**values),
            "status": status, "assignee_id": assignee, "assigned_at": assigned_at,
            "unread": status == "new" and assignee is not None, "required_skill": skill, "due_at": due,
            "solution": solution, "rating": rating, "rating_comment": comment, "rated_at": rated_at,
            "closed_at": closed_at, "created_by": creator, "created_at": created, "updated_by": last[2],
            "updated_at": last[0], "version": 1,
        })
        self.events.append(events)
        self.helps.append([])

    def ask_help(self, index: int) -> None:
        """A collaboration task on a ticket being worked; about half are answered."""
        rng, desk, now = self.rng, self.desk, self.now_ts
        ticket = self.tickets[index]
        events = self.events[index]
        assignee, org = ticket["assignee_id"], ticket["org_id"]
        start = max(e[0] for e in events)
        asked = start + int((now - start) * rng.random() * 0.5)
        to, task, answer = rng.choice(HELP_TASKS[ticket["type"]])
        others = [u for u in desk.outlet_rms.get(org, []) if u != assignee]
        if to == "colleague" and not others:
            to, task, answer = HELP_TASKS["complaint"][0]
        to_user = to_role = None
        # The timeline names who was asked as the service does: an id, or "role:" and the role.
        if to == "colleague":
            to_user = rng.choice(others)
            target = str(to_user)
            answerer = to_user
        else:
            to_role = to
            target = f"role:{to}"
            answerer = (rng.choice(desk.outlet_tellers[org]) if to == "teller" and desk.outlet_tellers.get(org)
                        else desk.sub_manager.get(desk.outlet_sub[org]))
        help_row = {"id": None, "ticket_id": None, "requested_by": assignee, "to_user_id": to_user, "to_role": to_role,
                    "task": task, "status": "open", "answer": None, "answered_by": None, "answered_at": None,
                    "created_at": asked}
        events.append((asked, 8, assignee, "help_requested", None, target, task))
        if rng.random() < 0.5 and answerer is not None:
            answered = asked + int((now - asked) * rng.random())
            help_row.update(status="answered", answer=answer, answered_by=answerer, answered_at=answered)
            events.append((answered, 9, answerer, "help_answered", None, None, answer))
            if answerer != assignee:
                ticket["unread"] = True
            if answered >= ticket["updated_at"]:
                ticket["updated_by"], ticket["updated_at"] = answerer, answered
        self.helps[index].append(help_row)

    # -- all of them -----------------------------------------------------------------------------
    def rows(self) -> dict[str, list[dict]]:
        """Tickets numbered in the order they were raised; their timelines and tasks."""
        utc = timezone.utc
        when = datetime.fromtimestamp
        order = sorted(range(len(self.tickets)), key=lambda i: (self.tickets[i]["created_at"], i))
        tickets, events, helps = [], [], []
        event_id = help_id = 0
        for number, i in enumerate(order, 1):
            ticket = self.tickets[i]
            ticket["id"] = number
            for key in ("assigned_at", "due_at", "rated_at", "closed_at", "created_at", "updated_at"):
                if ticket[key] is not None:
                    ticket[key] = when(ticket[key], utc)
            tickets.append(ticket)
            for at, _order, actor, kind, from_value, to_value, text in sorted(self.events[i]):
                event_id += 1
                events.append({"id": event_id, "ticket_id": number, "at": when(at, utc), "actor_id": actor,
                               "kind": kind, "from_value": from_value, "to_value": to_value, "text": text})
            for h in self.helps[i]:
                help_id += 1
                h.update(id=help_id, ticket_id=number, created_at=when(h["created_at"], utc),
                         answered_at=None if h["answered_at"] is None else when(h["answered_at"], utc))
                helps.append(h)
        return {"ticket": tickets, "ticket_event": events, "ticket_help": helps}


def _status_quota(rng: random.Random, n: int) -> list[str]:
    """``n`` statuses in the demo's shares (each at least once when there is room), shuffled."""
    counts = {status: int(n * share) for status, share in TICKET_STATUS_SHARES}
    for status, _share in TICKET_STATUS_SHARES:
        if sum(counts.values()) >= n:
            break
        if counts[status] == 0:
            counts[status] = 1
    counts["closed"] += n - sum(counts.values())
    statuses = [status for status, count in counts.items() for _i in range(count)]
    rng.shuffle(statuses)
    return statuses


def _ticket_picks(seed: int, customers: int) -> tuple[random.Random, list[int]]:
    """The random stream of the tickets (apart from the customers': same customers whether or
    not tickets are made) and the customers who raised the drawn tickets."""
    rng = random.Random(seed ^ 0x71C4E7)
    return rng, [rng.randrange(customers) + 1 for _i in range(ticket_count(customers))]


def _generate_tickets(rng: random.Random, picks: list[int], now: datetime, hours: dict[str, float],
                      desk: _TicketDesk, seen: _TicketSeen) -> dict[str, list[dict]]:
    gen = _TicketGenerator(rng, now, hours, desk, seen)
    statuses = _status_quota(rng, len(picks))
    open_n = sum(1 for s in statuses if s != "closed")
    overdue_left = max(1, round(open_n * OVERDUE_SHARE))
    for cid, status in zip(picks, statuses):
        overdue = status != "closed" and overdue_left > 0 and rng.random() < OVERDUE_SHARE * 2
        overdue_left -= overdue
        gen.add(cid, status, overdue=overdue, reopen=status == "in_progress" and not overdue and rng.random() < 0.04)
    # Every RM has a queue: top up the ones the draw left with fewer than OPEN_PER_RM open tickets,
    # from their own customers, else with customers of their branch given to them by the manager.
    held = {uid: 0 for uid in desk.rms}
    for t in gen.tickets:
        if t["status"] != "closed" and t["assignee_id"] in held:
            held[t["assignee_id"]] += 1
    for uid in desk.rms:
        org = desk.staff_org[uid]
        outlets = [org] if org in desk.outlet_rms else [o for o, sub in desk.outlet_sub.items() if sub == org]
        own = seen.book.get(uid, [])
        others = ([c for o in outlets for c in seen.unowned.get(o, [])]
                  or [c for o in outlets for c in seen.anyone.get(o, [])]
                  or [c for cs in seen.anyone.values() for c in cs])
        for k in range(OPEN_PER_RM - held[uid]):
            status = "new" if k == 0 else "in_progress"
            if own:
                gen.add(own[k % len(own)], status, assignee=uid, how="auto")
            elif others:
                gen.add(others[k % len(others)], status, assignee=uid, how="manager")
    # Some tickets wait in a branch pool for someone to take them.
    waiting = sum(1 for t in gen.tickets if t["assignee_id"] is None)
    unowned = [c for cs in seen.unowned.values() for c in cs] or [c for cs in seen.anyone.values() for c in cs]
    for k in range(min(len(unowned), MIN_POOL - waiting)):
        gen.add(unowned[k * 7 % len(unowned)], "new", how="pool")
    # A few tickets being worked need a colleague's help.
    working = [i for i, t in enumerate(gen.tickets) if t["status"] in ("in_progress", "responded")]
    for i in sorted(rng.sample(working, min(len(working), max(3, round(len(working) * HELP_SHARE))))):
        gen.ask_help(i)
    return gen.rows()


# -- campaigns -------------------------------------------------------------------------------

@dataclass(frozen=True)
class CampaignPlan:
    """One demo campaign: what it is, where it stands, and what its RMs have recorded so far."""

    name: str
    type: str
    goal: str
    org_code: str | None  # None: bank-wide (an administrator organises it); else that node's manager does
    product_code: str | None  # the product promoted (its risk level leaves out customers it does not suit)
    filter: CampaignFilter
    sms_template: str | None
    status: str  # draft (no list yet), active, paused or ended
    starts: int  # its first day, in days from today (negative: it has started)
    days: int  # length of its period
    budget: int  # yuan: the first estimate, before the list is made
    per_target: int  # yuan per target: the budget once the list's size is known
    spent_share: float  # of the budget, spent so far (the actual cost recorded)
    outcomes: tuple[tuple[str, int], ...] = ()  # (outcome, per mille of the targets) recorded by the RMs
    amounts: tuple[int, int, int] = (0, 0, 1)  # a conversion's new business in yuan: lowest, highest, step
    notes: tuple[tuple[str, tuple[str | None, ...]], ...] = ()  # what RMs wrote, per outcome
    paused_days: int = 0  # paused this many days ago
    keeps_work: bool = False  # every RM on the list still has a target of it to contact
    last_quarter: bool = False  # ran in the middle of the previous quarter (``starts`` is ignored)


CAMPAIGNS: tuple[CampaignPlan, ...] = (
    CampaignPlan(
        "信用卡激活有礼", CampaignType.SMS, "提升新发信用卡激活率和首刷率：活动期内激活率提高到60%",
        "HO", None,
        CampaignFilter(products_held=("credit_card",), tags_none=("信用卡消费活跃",)),
        "尊敬的{surname}{title}：您的信用卡尚未激活或近期未使用。活动期间激活并累计消费满3笔（每笔满10元），"
        "即赠50元话费。如需帮助请联系您的客户经理{rm_name}。拒收请回复R",
        CampaignStatus.ACTIVE, starts=-18, days=45, budget=50_000, per_target=8, spent_share=0.45, keeps_work=True,
        outcomes=(("contacted", 160), ("interested", 50), ("converted", 120), ("declined", 40), ("unreachable", 30)),
        amounts=(300, 20_000, 100),
        notes=(("contacted", ("已电话提醒激活", None)), ("interested", ("客户表示近期激活", "约定到网点激活")),
               ("converted", ("已激活并完成首刷", None)), ("declined", ("已有他行信用卡", "客户表示暂不使用")),
               ("unreachable", ("电话无人接听", "号码已停机"))),
    ),
    CampaignPlan(
        "年年丰理财新客专享", CampaignType.PHONE, "向尚未购买理财的中高端客户推介年年丰理财，新增理财销售5,000万元",
        None, "WM-1Y",
        CampaignFilter(tiers=("vip", "wealth"), aum_min=Decimal(100_000), aum_max=Decimal(3_000_000),
                       products_not_held=("wealth",)),
        "尊敬的{surname}{title}：{product}新客专享额度已开放，1万元起购，期限一年。详情请咨询您的客户经理{rm_name}。"
        "理财非存款，产品有风险，投资须谨慎。",
        CampaignStatus.ACTIVE, starts=-30, days=90, budget=200_000, per_target=30, spent_share=0.35,
        outcomes=(("contacted", 150), ("interested", 100), ("converted", 80), ("declined", 110), ("unreachable", 60)),
        amounts=(10_000, 1_000_000, 10_000),
        notes=(("contacted", ("已介绍产品要素", None)), ("interested", ("约定到网点面谈", "需与家人商量")),
               ("converted", ("已购买年年丰理财", "到期存款转购")), ("declined", ("客户偏好定期存款", "收益预期不符")),
               ("unreachable", ("电话无人接听", "号码为空号"))),
    ),
    CampaignPlan(
        "养老金融沙龙", CampaignType.SALON, "邀请关注养老的中老年中高端客户参加养老规划沙龙，推介安心养老年金保险",
        "HZ", "INS-ANN",
        CampaignFilter(tags_any=("老年客户", "关注养老"), tiers=("vip", "wealth", "private")),
        "尊敬的{surname}{title}：诚邀您参加本行养老金融沙龙，专家讲解养老规划与{product}。名额有限，"
        "报名请联系您的客户经理{rm_name}。",
        CampaignStatus.PAUSED, starts=-40, days=80, budget=60_000, per_target=120, spent_share=0.4, paused_days=6,
        outcomes=(("contacted", 180), ("interested", 120), ("converted", 40), ("declined", 90), ("unreachable", 50)),
        amounts=(20_000, 300_000, 5_000),
        notes=(("interested", ("已报名参加沙龙", "携配偶参加")), ("converted", ("沙龙后投保安心养老年金", None)),
               ("declined", ("时间不方便", "已有商业养老保险")), ("unreachable", ("电话无人接听",))),
    ),
    CampaignPlan(
        "手机银行绑卡权益", CampaignType.BENEFIT, "鼓励客户在手机银行绑定本行借记卡并领取10元立减金，提升手机银行活跃度",
        "NJ", None,
        CampaignFilter(tiers=("mass", "vip"), tags_none=("手机银行活跃",), age_min=18, age_max=60),
        "尊敬的{surname}{title}：在手机银行绑定本行借记卡即可领取10元立减金，详询您的客户经理{rm_name}。拒收请回复R",
        CampaignStatus.DRAFT, starts=7, days=60, budget=80_000, per_target=10, spent_share=0,
    ),
    CampaignPlan(
        "季末大额存单专享", CampaignType.PHONE, "季末存款冲刺：向中高端客户推介三年期大额存单，新增存款2亿元",
        "SZ", "DEP-CD3Y",
        CampaignFilter(tiers=("vip", "wealth", "private"), aum_min=Decimal(200_000), tags_none=("进取型",)),
        None,
        CampaignStatus.ENDED, starts=0, days=62, budget=80_000, per_target=25, spent_share=0.93, last_quarter=True,
        outcomes=(("contacted", 200), ("interested", 90), ("converted", 150), ("declined", 250), ("unreachable", 170)),
        amounts=(200_000, 2_000_000, 50_000),
        notes=(("interested", ("到期后再考虑", None)), ("converted", ("已购买三年期大额存单", "他行存款转入")),
               ("declined", ("利率不如预期", "资金另有安排", None)), ("unreachable", ("多次致电未接通",))),
    ),
)
# Contacts are made in office hours, 09:00–18:00 in China (UTC+8).
_OFFICE_OPENS = 3600  # after midnight UTC (08:00 in China): the first contacts at 09:00
_OFFICE_SECONDS = 9 * 3600
_UTC = timezone.utc


def campaign_period(plan: CampaignPlan, today: date) -> tuple[date, date]:
    """The first and last day of a demo campaign."""
    if plan.last_quarter:
        quarter = date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
        first = _add_months(quarter, -3) + timedelta(days=14)
    else:
        first = today + timedelta(days=plan.starts)
    return first, first + timedelta(days=plan.days - 1)


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=_UTC)


def _seconds_after(conn: Connection, base: datetime, seconds):
    """SQL for ``base`` plus an SQL number of whole seconds, as the time column stores it."""
    if conn.dialect.name == "sqlite":
        # The text SQLAlchemy's SQLite dialect writes for a time ("2026-01-05 09:00:00.000000").
        shifted = func.strftime("%Y-%m-%d %H:%M:%S", base.strftime("%Y-%m-%d %H:%M:%S"),
                                literal("+").concat(cast(seconds, String)).concat(" seconds"))
        return shifted.concat(".000000")
    return literal(base, DateTime(timezone=True)) + func.make_interval(0, 0, 0, 0, 0, 0, seconds, type_=Interval)


def _unit_coprime(rng: random.Random) -> int:
    """A multiplier that spreads consecutive ids evenly over the 1,000 buckets of a per mille."""
    while True:
        a = rng.randrange(101, 1000)
        if a % 2 and a % 5:
            return a


def _record_outcomes(conn: Connection, plan: CampaignPlan, campaign_id: int, rng: random.Random, first: date,
                     last: date, *, keep_one: bool) -> int:
    """The outcomes the RMs have recorded so far, in one UPDATE: each target falls in one of
    1,000 buckets by a hash of its customer's id (the plan's shares per mille), is contacted at
    a working hour of a day of the period up to ``last``, converts with an amount drawn the
    same way, and sometimes has a note. Hashing the customer, not the target, keeps the
    outcomes the same whatever order the database inserted the list in. ``keep_one`` leaves
    every RM's first customer pending (their list still has work in it). Reaching a customer
    is a service contact, as when an RM records the outcome."""
    t = _TARGET
    tid = cast(t.c.customer_id, BigInteger)
    a, b = _unit_coprime(rng), rng.randrange(1000)
    day_mul, day_add = rng.randrange(1, 10_000), rng.randrange(10_000)
    sec_mul, sec_add = rng.randrange(1, 100_000), rng.randrange(100_000)
    amt_mul1, amt_mul2, amt_add = rng.randrange(1, 10_000), rng.randrange(1, 10_000), rng.randrange(10_000)
    days = (last - first).days + 1
    if not plan.outcomes or days < 1:
        return 0
    bucket = (tid * a + b) % 1000
    cuts, top = [], 0
    for status, share in plan.outcomes:
        cuts.append((status, top, top + share))
        top += share
    status_of = case(*[(bucket < hi, literal(status)) for status, _lo, hi in cuts])
    at = _seconds_after(conn, _midnight(first),
                        ((tid * day_mul + day_add) % days) * 86400 + _OFFICE_OPENS
                        + (tid * sec_mul + sec_add) % _OFFICE_SECONDS)
    low, high, step = plan.amounts
    steps = (high - low) // step + 1
    # The product of two even draws: most conversions are small, a few large.
    amount = low + (((tid * amt_mul1 + amt_add) % steps) * ((tid * amt_mul2 + amt_add) % steps) // steps) * step
    in_range = {status: and_(bucket >= lo, bucket < hi) for status, lo, hi in cuts}
    notes = dict(plan.notes)
    note_whens = [(and_(in_range[status], tid % len(texts) == i), literal(text))
                  for status, texts in notes.items() if status in in_range
                  for i, text in enumerate(texts) if text is not None]
    where = [t.c.campaign_id == campaign_id, bucket < top]
    if keep_one:
        where.append(t.c.customer_id.not_in(select(func.min(t.c.customer_id)).where(t.c.campaign_id == campaign_id)
                                            .group_by(t.c.rm_id)))
    converted = in_range.get(TargetStatus.CONVERTED)
    values = {"status": status_of, "contacted_at": at, "updated_at": at, "updated_by": t.c.rm_id,
              "converted_amount": case((converted, amount), else_=null()) if converted is not None else null(),
              "note": case(*note_whens, else_=null()) if note_whens else null()}
    changed = int(conn.execute(update(t).where(*where).values(**values)).rowcount or 0)
    contact = ServiceContact.__table__  # type: ignore[attr-defined]
    conn.execute(insert(contact).from_select(
        ["customer_id", "user_id", "at", "kind", "note"],
        select(t.c.customer_id, t.c.rm_id, t.c.contacted_at, literal("campaign"),
               literal(f"campaign {campaign_id}: ").concat(t.c.status))
        .where(t.c.campaign_id == campaign_id, t.c.status.in_([s.value for s in campaigns.REACHED]),
               t.c.rm_id.is_not(None))))
    return changed


def _organisers(s: Session) -> tuple[Actor, dict[str, Actor]]:
    """The first administrator (bank-wide campaigns) and the manager of each organisation node."""
    admin = None
    managers: dict[str, Actor] = {}
    for r in s.execute(select(StaffUser.id, StaffUser.employee_no, StaffUser.name, StaffUser.role, StaffUser.org_id,
                              Organisation.path, Organisation.code, Organisation.name.label("org_name"))
                       .join(Organisation, Organisation.id == StaffUser.org_id)
                       .where(StaffUser.role.in_((Role.ADMIN, Role.MANAGER))).order_by(StaffUser.id)):
        actor = Actor(r.id, r.employee_no, r.name, r.role, r.org_id, r.path, r.code, r.org_name)
        if r.role == Role.ADMIN:
            admin = admin or actor
        else:
            managers.setdefault(r.code, actor)
    return admin or Actor.system(), managers


def _build_campaigns(conn: Connection, *, seed: int, now: datetime, clock: Clock) -> CampaignLoad:
    """The demo's campaigns, made through the campaign services as a manager or an
    administrator would make them (the same filter, the same list generation and
    distribution among RMs, the same state changes and SMS queue), then given a history:
    outcomes recorded by the RMs, dates in the campaign's period.

    The services commit as they go; here they share the demo's one transaction, which
    only the demo commits (``rollback_only``: their commits are not passed on to it).
    """
    t0 = time.perf_counter()
    load = CampaignLoad()
    rng = random.Random(seed ^ 0xCA3B1E)
    today = now.date()
    with Session(bind=conn, join_transaction_mode="rollback_only", expire_on_commit=False) as s:
        admin, managers = _organisers(s)
        for plan in CAMPAIGNS:
            plan_rng = random.Random(rng.getrandbits(64))  # each campaign its own stream
            actor = managers[plan.org_code] if plan.org_code else admin
            first, last = campaign_period(plan, today)
            values = {"name": plan.name, "type": plan.type, "goal": plan.goal, "org_code": plan.org_code or "",
                      "starts_on": first.isoformat(), "ends_on": last.isoformat(), "budget": str(plan.budget),
                      "actual_cost": "0", "product_code": plan.product_code or "",
                      "sms_template": plan.sms_template or "", "filter": plan.filter}
            cid = campaigns.create_campaign(s, actor, values, clock=clock)
            load.campaigns += 1
            created = _midnight(first - timedelta(days=10)) + timedelta(hours=2)
            generated = updated = None
            listed = 0
            if plan.status != CampaignStatus.DRAFT:
                listed = campaigns.generate(s, actor, cid, clock=clock).total
                load.targets += listed
            # A small demo may have no customer for a campaign: it stays a draft, as it would in the bank.
            if listed:
                # The budget follows the list's size; the cost is recorded as it is spent.
                budget = max(plan.budget, round(listed * plan.per_target, -3))
                values["budget"] = str(budget)
                campaigns.update_campaign(s, actor, cid, values, clock=clock)
                generated = _midnight(first - timedelta(days=2)) + timedelta(hours=7)
                updated = _midnight(first) + timedelta(hours=1)  # started on its first morning
                campaigns.set_status(s, actor, cid, CampaignStatus.ACTIVE, clock=clock)
                if plan.type == CampaignType.SMS and plan.status == CampaignStatus.ACTIVE:
                    load.sms += campaigns.send_sms(s, actor, cid, clock=clock).queued
                    queued = updated + timedelta(minutes=30)  # sent out on the first morning
                    s.execute(update(_SMS).where(_SMS.c.campaign_id == cid).values(queued_at=queued))
                until = min(last, today - timedelta(days=1))
                if plan.status == CampaignStatus.PAUSED:
                    until = min(until, today - timedelta(days=plan.paused_days + 1))
                    updated = _midnight(today - timedelta(days=plan.paused_days)) + timedelta(hours=8)
                elif plan.status == CampaignStatus.ENDED:
                    updated = _midnight(last + timedelta(days=1)) + timedelta(hours=1)
                load.outcomes += _record_outcomes(s.connection(), plan, cid, plan_rng, first, until,
                                                  keep_one=plan.keeps_work)
                if plan.status != CampaignStatus.ACTIVE:
                    campaigns.set_status(s, actor, cid, plan.status, clock=clock)
                values["actual_cost"] = str(int(round(budget * plan.spent_share, -1)))
                campaigns.update_campaign(s, actor, cid, values, clock=clock)
                s.execute(update(_TARGET).where(_TARGET.c.campaign_id == cid).values(added_at=generated))
            # The campaign's own dates tell its story (the audit trail keeps when the demo made it).
            s.execute(update(_CAMPAIGN).where(_CAMPAIGN.c.id == cid).values(
                created_at=created, generated_at=generated, updated_at=updated or created))
        s.commit()
    load.seconds = time.perf_counter() - t0
    return load


# -- generating in this process or in a worker process ---------------------------------------

def _chunks_here(gen_args: tuple, chunk: int) -> Iterator[tuple]:
    gen = _Generator(*gen_args)
    n = gen.n
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        yield ("chunk", stop, gen.chunk(start, stop))
    yield ("end", gen.collaborators, gen.contacts())


def _worker_main(gen_args: tuple, chunk: int, queue) -> None:  # pragma: no cover - runs in the worker
    for item in _chunks_here(gen_args, chunk):
        queue.put(item)


def _chunks_in_worker(gen_args: tuple, chunk: int) -> Iterator[tuple]:
    """The same rows, in the same order, generated by one worker process.

    With two cores, generating rows (Python) and writing them (SQLAlchemy + the database)
    overlap: the next chunk is built while this one is written. One worker keeps one
    random stream, so the output is identical to generating here.
    """
    import multiprocessing as mp
    import queue as queue_mod

    ctx = mp.get_context("spawn")  # no inherited database connections or threads
    q = ctx.Queue(maxsize=2)
    proc = ctx.Process(target=_worker_main, args=(gen_args, chunk, q), daemon=True, name="ocrm-demo-generator")
    proc.start()
    try:
        while True:
            try:
                item = q.get(timeout=1.0)
            except queue_mod.Empty:
                if not proc.is_alive():
                    raise RuntimeError("the demo generator process stopped unexpectedly") from None
                continue
            yield item
            if item[0] == "end":
                return
    finally:
        if proc.is_alive():
            proc.terminate()
        proc.join(timeout=5)


# -- building --------------------------------------------------------------------------------

def demo_passwords() -> dict[str, str]:
    """One fresh password per role for this demo (printed once, never stored in clear)."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return {role.value: f"{role.value}-{''.join(secrets.choice(alphabet) for _ in range(8))}" for role in Role}


def _ticket_desk(staff_rows: list[tuple[StaffUser, Organisation]], by_code: dict[str, Organisation],
                 tree: list[tuple]) -> _TicketDesk:
    """Who works tickets where, from the staff just created."""
    level = {by_code[code].id: lvl for code, _n, lvl, _p, _c in tree}
    outlet_sub = {by_code[code].id: by_code[parent].id for code, _n, lvl, parent, _c in tree if lvl == "outlet"}
    desk = _TicketDesk(outlet_rms={o: [] for o in outlet_sub}, outlet_tellers={o: [] for o in outlet_sub},
                       outlet_sub=outlet_sub, sub_rms={}, sub_manager={}, staff_org={}, skills={}, rms=[])
    for user, org in staff_rows:
        desk.staff_org[user.id] = org.id
        desk.skills[user.id] = {k.strip() for k in user.skills.split(",") if k.strip()}
        if user.role == "rm":
            desk.rms.append(user.id)
        where = level[org.id]
        if where == "outlet" and user.role == "rm":
            desk.outlet_rms[org.id].append(user.id)
        elif where == "outlet" and user.role == "teller":
            desk.outlet_tellers[org.id].append(user.id)
        elif where == "subbranch" and user.role == "rm":
            desk.sub_rms.setdefault(org.id, []).append(user.id)
        elif where == "subbranch" and user.role == "manager":
            desk.sub_manager[org.id] = user.id
    desk.rms.sort()
    return desk


def _drop_secondary_structures(conn: Connection, tables: list[str]) -> list[str]:
    """Drop the non-unique indexes and the triggers of ``tables``, as the database has them
    (models, expression and full-text indexes alike); return the DDL that re-creates them.

    A bulk load is several times faster without them, and building an index once over
    sorted data beats maintaining it row by row.
    """
    statements: list[str] = []
    if conn.dialect.name == "sqlite":
        for name, kind, sql in conn.exec_driver_sql(
            "SELECT name, type, sql FROM sqlite_master WHERE type IN ('index', 'trigger') AND sql IS NOT NULL "
            f"AND tbl_name IN ({','.join('?' * len(tables))}) ORDER BY type, name", tuple(tables)
        ).all():
            if kind == "index" and sql.upper().startswith("CREATE UNIQUE"):
                continue
            conn.exec_driver_sql(f"DROP {kind.upper()} {name}")
            statements.append(sql)
    else:
        for name, sql in conn.exec_driver_sql(
            "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid "
            "WHERE NOT i.indisunique AND NOT i.indisprimary AND t.relname = ANY(%(tables)s) "
            "AND t.relnamespace = current_schema()::regnamespace ORDER BY c.relname", {"tables": tables}
        ).all():
            conn.exec_driver_sql(f'DROP INDEX "{name}"')
            statements.append(sql)
    return statements


def _sqlite_pragmas(conn: Connection, **values) -> dict[str, object]:
    """Set connection pragmas outside any transaction; return what they were."""
    import sqlite3

    raw = conn.connection.driver_connection
    old = {}
    for name, value in values.items():
        old[name] = raw.execute(f"PRAGMA {name}").fetchone()[0]
        try:
            raw.execute(f"PRAGMA {name}={value}").fetchall()
        except sqlite3.OperationalError:  # another process has the file open in WAL: load in WAL
            pass
    return old


def _login_history(conn: Connection, staff_rows: list[tuple[StaffUser, Organisation]], *, seed: int,
                   now: datetime) -> None:
    """A year of successful logins per member of staff (the usage report): most log in on most
    working days, some only now and then, below the monthly target."""
    rng = random.Random(seed ^ 0x1061)
    rows = []
    for user, _org in staff_rows:
        habit = rng.choice((0.9, 0.8, 0.7, 0.6, 0.3, 0.15))  # the share of working days they log in
        for back in range(365, 0, -1):
            day = now - timedelta(days=back)
            if day.weekday() < 5 and rng.random() < habit:
                at = day.replace(hour=8, minute=rng.randrange(30), second=rng.randrange(60), microsecond=0)
                rows.append({"employee_no": user.employee_no, "user_id": user.id, "at": at, "success": True,
                             "outcome": "ok", "purpose": "login", "terminal": "demo"})
    for i in range(0, len(rows), 5000):
        conn.execute(insert(LoginAttempt.__table__), rows[i:i + 5000])  # type: ignore[attr-defined]


ACCESS_REASONS = (
    "客户到本网点办理业务，其客户经理休假，需临时查看客户资料",
    "协助同事跟进理财产品到期客户",
    "处理客户投诉，需要查看客户往来记录",
)


def _access_requests(db, *, clock: Clock) -> int:
    """A few access requests, made and decided through the access service: the first RMs each
    ask for a customer of a colleague at their outlet; the last request is approved by the
    first administrator, the others wait on their managers' work platforms."""
    from ocrm_tui.services import access
    from ocrm_tui.services.auth import actor_for

    made = 0
    with db.session(write=True) as s:
        colleague_customer = (select(Customer.id).where(Customer.org_id == StaffUser.org_id, Customer.rm_id.is_not(None),
                                                        Customer.rm_id != StaffUser.id).exists())
        rms = list(s.scalars(select(StaffUser).where(StaffUser.role == Role.RM, StaffUser.active, colleague_customer)
                             .order_by(StaffUser.id).limit(len(ACCESS_REASONS))))
        admin = s.scalars(select(StaffUser).where(StaffUser.role == Role.ADMIN).order_by(StaffUser.id).limit(1)).first()
        for i, rm in enumerate(rms):
            customer_no = s.scalar(select(Customer.customer_no).where(
                Customer.org_id == rm.org_id, Customer.rm_id.is_not(None), Customer.rm_id != rm.id)
                .order_by(Customer.id).limit(1))
            if customer_no is None:
                continue
            row = access.request_customers(s, actor_for(s, rm), reason=ACCESS_REASONS[i], hours=8,
                                           customer_nos=[customer_no], clock=clock)
            made += 1
            if i == len(ACCESS_REASONS) - 1 and admin is not None:
                access.approve(s, actor_for(s, admin), row.id, note="同意，限本次业务使用", clock=clock)
    return made


def build_demo(
    db,
    *,
    customers: int = 2000,
    seed: int = DEFAULT_SEED,
    progress: Progress | None = None,
    actor: Actor | None = None,
    clock: Clock = system_clock,
    writer: BulkWriter | None = None,
    chunk: int | None = None,
    parallel: bool | None = None,
) -> DemoSummary:
    """Fill an empty database (no organisations yet) with the demo; one transaction.

    Returns the summary with the staff and their demo passwords, to be shown once.
    Raises ValidationError when the database already holds organisations or N is out of range.
    """
    if not 1 <= customers <= MAX_CUSTOMERS:
        raise ValidationError(_("The number of customers must be between 1 and {max}", max=f"{MAX_CUSTOMERS:,}"),
                              field="customers")
    actor = actor or Actor.system()
    writer = writer or (SqliteTupleWriter() if db.is_sqlite else CoreWriter())
    # Chunks of about 2% for a progress bar that moves; at most CHUNK (memory). The chunking
    # does not change the rows: one random stream runs through all customers in order.
    chunk = chunk or min(CHUNK, max(500, customers // 50))
    report = progress or (lambda *_a: None)
    t_start = time.perf_counter()
    now = clock().astimezone(timezone.utc)
    passwords = demo_passwords()
    sqlite = db.is_sqlite
    if sqlite:
        # Leaving WAL needs the only connection to the file: close idle pooled ones.
        db.engine.dispose()
    with db.engine.connect() as conn:
        conn.execution_options(ocrm_write=True)
        restore: dict[str, object] = {}
        if sqlite:
            # A rollback journal instead of WAL for the load: pages appended to a file are
            # not journalled, so the bulk is written once (WAL would write it twice) and an
            # interrupted load still rolls back. Foreign keys are correct by construction.
            restore = _sqlite_pragmas(conn, journal_mode="DELETE", foreign_keys="OFF", cache_size=-262144)
        try:
            summary = _build(conn, customers=customers, seed=seed, report=report, actor=actor, clock=clock,
                             writer=writer, chunk=chunk, now=now, passwords=passwords, sqlite=sqlite,
                             parallel=parallel)
        finally:
            if sqlite:
                if conn.in_transaction():
                    conn.rollback()
                _sqlite_pragmas(conn, journal_mode="WAL", foreign_keys=restore.get("foreign_keys", 1),
                                cache_size=restore.get("cache_size", -2000))
        if not sqlite:
            conn.rollback()
            conn.execution_options(isolation_level="AUTOCOMMIT")
            for name in (*TABLE_BY_NAME, "campaign_target", "sms_message"):
                conn.exec_driver_sql(f"ANALYZE {name}")
    # The scheduled alert scan, once, so that the work platform shows today's alerts and reminders.
    from ocrm_tui.services import alerts

    with db.session(write=True) as s:
        summary.alerts = alerts.scan(s, actor, clock=clock).raised
    # The monthly summaries of the reports.
    from ocrm_tui.services import reports_data

    with db.session(write=True) as s:
        reports_data.refresh(s, actor, clock=clock)
    _access_requests(db, clock=clock)
    summary.total_seconds = time.perf_counter() - t_start
    report("done", customers, customers, summary.bulk_rows)
    return summary


def _build(conn: Connection, *, customers, seed, report, actor, clock, writer, chunk, now, passwords, sqlite,
           parallel) -> DemoSummary:
    report("setup", 0, customers, 0)
    with Session(bind=conn, expire_on_commit=False) as s:
        audit.acting_as(s, actor, clock=clock)
        if s.scalar(select(func.count()).select_from(Organisation)):
            raise ValidationError(_("The database already holds organisations; the demo is built only into an empty database."))
        summary = DemoSummary(customers=customers, seed=seed, staff=[])
        rng = random.Random(seed ^ 0x5EED)
        # Organisations.
        by_code: dict[str, Organisation] = {}
        tree = list(ORGS)
        for sub, names in OUTLETS.items():
            city = next(c for code, _n, _l, _p, c in ORGS if code == sub)
            city_name = CITIES[city][3].rstrip("市")
            for i, street in enumerate(names, 1):
                tree.append((f"{sub}{i:02d}", f"{city_name}{street}网点", "outlet", sub, city))
        for code, name, level, parent, city in tree:
            p = by_code.get(parent) if parent else None
            org = Organisation(code=code, name=name, level=level, parent_id=p.id if p else None,
                               path=f"{p.path if p else '/'}{code}/", created_at=now)
            s.add(org)
            s.flush()
            by_code[code] = org
        summary.orgs = len(tree)
        # Staff. Hashing a password costs ~0.15 s (argon2id), so each role's one demo
        # password is hashed once and that hash shared by the role's staff: ~100 users in
        # ~0.6 s instead of ~15 s. Each still logs in with the password printed for the role.
        hashes = {role: hash_password(pw) for role, pw in passwords.items()}
        numbers = {r: 0 for r in ROLE_LETTER}
        staff_rows: list[tuple[StaffUser, Organisation]] = []
        for code, _name, level, _parent, _city in tree:
            org = by_code[code]
            for role, count in STAFF_PLAN[level]:
                for _i in range(count):
                    numbers[role] += 1
                    skills = RM_SKILLS[numbers[role] % len(RM_SKILLS)] if role == "rm" else ""
                    user = StaffUser(employee_no=f"{ROLE_LETTER[role]}{numbers[role]:04d}",
                                     name=person_name(rng, rng.random() < 0.5), role=role, org_id=org.id, skills=skills,
                                     password_hash=hashes[role], password_changed_at=now, created_at=now, updated_at=now)
                    s.add(user)
                    staff_rows.append((user, org))
        s.flush()
        summary.staff = [DemoStaff(u.employee_no, u.name, u.role, o.code, o.name, u.skills, passwords[u.role])
                         for u, o in staff_rows]
        outlets = []
        for code, _name, level, parent, city in tree:
            if level == "outlet":
                org = by_code[code]
                here = [u for u, o in staff_rows if o.id == org.id]
                outlets.append(_Outlet(org.id, code, city or "nj", [u.id for u in here if u.role == "rm"],
                                       [u.id for u in here if u.role == "teller"]))
        # Products and tags (reused when they already exist, e.g. from an import).
        products: dict[str, list[tuple[int, str]]] = {}
        existing = {p.product_code: p for p in s.scalars(select(Product))}
        for code, name, ptype, risk in PRODUCTS:
            p = existing.get(code)
            if p is None:
                p = Product(product_code=code, name=name, product_type=ptype, risk_level=risk)
                s.add(p)
                summary.products += 1
            s.flush()
            products.setdefault(ptype, []).append((p.id, code))
        existing_tags = {t.name: t for t in s.scalars(select(Tag))}
        tag_ids = {}
        for name, family in TAGS:
            t = existing_tags.get(name)
            if t is None:
                t = Tag(name=name, family=family, created_at=now)
                s.add(t)
                summary.tags += 1
            s.flush()
            tag_ids[name] = t.id
        thresholds = get_setting(s, "tier.thresholds")
        hours = sla_hours(s)
        desk = _ticket_desk(staff_rows, by_code, tree)

        # Bulk load.
        conn = s.connection()
        dropped = _drop_secondary_structures(conn, [t.name for t in BULK_TABLES])
        loads = {t.name: TableLoad() for t in BULK_TABLES}
        summary.tables = loads
        txn_seq = 0
        txn_prefix = f"TX{now:%Y}"
        written = 0

        def write(table_name: str, rows: list[dict]) -> None:
            nonlocal written
            if not rows:
                return
            table = TABLE_BY_NAME[table_name]
            t0 = time.perf_counter()
            for i in range(0, len(rows), 50_000):
                writer.write(conn, table, rows[i:i + 50_000])
            loads[table_name].seconds += time.perf_counter() - t0
            loads[table_name].rows += len(rows)
            written += len(rows)

        ticket_rng, ticket_picks = _ticket_picks(seed, customers)
        seen = _TicketSeen(set(ticket_picks))
        gen_args = (seed, customers, now, thresholds, outlets, products, tag_ids)
        use_worker = parallel if parallel is not None else (customers >= PARALLEL_FROM and (os.cpu_count() or 1) > 1)
        stream = _chunks_in_worker(gen_args, chunk) if use_worker else _chunks_here(gen_args, chunk)
        report("customers", 0, customers, 0)
        try:
            while True:
                t0 = time.perf_counter()
                item = next(stream)
                if item[0] == "end":
                    _tag, collaborators, contacts = item
                    break
                _tag, stop, rows = item
                for r in rows["txn"]:
                    txn_seq += 1
                    r["txn_id"] = f"{txn_prefix}{txn_seq:012d}"
                seen.add(rows["customer"])
                # Generating rows here, or waiting for the worker's next chunk.
                summary.generate_seconds += time.perf_counter() - t0
                for name in ("customer", "account", "txn", "aum_snapshot", "customer_tag"):
                    write(name, rows[name])
                report("customers", stop, customers, written)
        finally:
            stream.close()
        write("customer_collaborator", collaborators)
        write("service_contact", contacts)
        t0 = time.perf_counter()
        ticket_rows = _generate_tickets(ticket_rng, ticket_picks, now, hours, desk, seen)
        summary.generate_seconds += time.perf_counter() - t0
        for name in ("ticket", "ticket_event", "ticket_help"):
            write(name, ticket_rows[name])
        report("indexes", customers, customers, written)
        t0 = time.perf_counter()
        for ddl in dropped:
            conn.exec_driver_sql(ddl)
        if sqlite:
            # The name-fragment index was not kept in step during the load (its triggers were
            # dropped with the indexes): build it once from the loaded names.
            conn.exec_driver_sql("INSERT INTO customer_name_fts(customer_name_fts) VALUES ('rebuild')")
            conn.exec_driver_sql("PRAGMA analysis_limit=1000")
            conn.exec_driver_sql("ANALYZE")
        else:
            for table in ("customer", "account", "txn", "service_contact", "ticket", "ticket_event", "ticket_help"):
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT COALESCE(max(id), 0) + 1 FROM {table}), false)")
            # The campaigns' filters read these tables: plan their queries on what was loaded.
            for table in ("customer", "customer_tag", "account", "service_contact"):
                conn.exec_driver_sql(f"ANALYZE {table}")
        summary.index_seconds = time.perf_counter() - t0
        summary.campaigns = _build_campaigns(conn, seed=seed, now=now, clock=clock)
        if sqlite:
            conn.exec_driver_sql("ANALYZE campaign_target")
        _login_history(conn, staff_rows, seed=seed, now=now)
        audit.log_event(s, "demo.load", "demo", None, {
            "customers": customers, "seed": seed, "organisations": summary.orgs, "staff": len(summary.staff),
            **{name: load.rows for name, load in loads.items()},
            "campaign": summary.campaigns.campaigns, "campaign_target": summary.campaigns.targets,
            "sms_message": summary.campaigns.sms,
        })
        s.commit()
    return summary
