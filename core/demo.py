"""Demo warehouses and people (one per role), for `manage.py seed_demo`."""

from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token

from core.choices import Role
from core.models import Membership, Warehouse

WAREHOUSES = [
    {
        "code": "BJ1",
        "name": "北京顺义仓 Beijing Shunyi DC",
        "address": "北京市顺义区空港工业区B区裕华路28号",
        "city": "Beijing",
        "latitude": "40.080111",
        "longitude": "116.584556",
    },
    {
        "code": "TJ1",
        "name": "天津武清仓 Tianjin Wuqing DC",
        "address": "天津市武清区京滨工业园京滨睿城9号",
        "city": "Tianjin",
        "latitude": "39.376925",
        "longitude": "117.044049",
    },
    {
        "code": "SH1",
        "name": "上海嘉定仓 Shanghai Jiading DC",
        "address": "上海市嘉定区马陆镇宝安公路2999号",
        "city": "Shanghai",
        "latitude": "31.350000",
        "longitude": "121.250000",
    },
]

# (username, full name, role, warehouse codes or None for all)
PEOPLE = [
    ("admin", "Admin 管理员", Role.ADMIN, None),
    ("manager", "Li Na 李娜", Role.MANAGER, None),
    ("dispatcher", "Wang Wei 王伟", Role.DISPATCHER, None),
    ("supervisor", "Zhang Min 张敏", Role.SUPERVISOR, ["BJ1", "TJ1"]),
    ("operator", "Liu Yang 刘洋", Role.OPERATOR, ["BJ1"]),
    ("operator.sh", "Chen Jing 陈静", Role.OPERATOR, ["SH1"]),
    ("erp", "ERP system (integration)", Role.INTEGRATION, None),
]


def demo_password(username: str) -> str:
    return f"{username.replace('.', '-')}-demo-2026"


def core_demo_load() -> dict[str, Warehouse]:
    """Create the demo warehouses and users (idempotent; passwords are reset to the demo ones)."""
    warehouses = {}
    for spec in WAREHOUSES:
        warehouse, _ = Warehouse.objects.get_or_create(code=spec["code"], defaults=spec)
        warehouses[warehouse.code] = warehouse
    User = get_user_model()
    for username, full_name, role, codes in PEOPLE:
        first, _, last = full_name.partition(" ")
        user, _ = User.objects.get_or_create(
            username=username, defaults={"first_name": first, "last_name": last}
        )
        user.set_password(demo_password(username))
        user.is_staff = role == Role.ADMIN
        user.is_superuser = role == Role.ADMIN
        user.save()
        for code in codes or warehouses:
            Membership.objects.get_or_create(
                user=user, warehouse=warehouses[code], defaults={"role": role}
            )
        if role == Role.INTEGRATION:
            Token.objects.get_or_create(user=user)
    # Read back, so coordinates are Decimals as stored, not the strings of the spec.
    return {w.code: w for w in Warehouse.objects.filter(code__in=list(warehouses))}
