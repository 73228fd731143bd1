from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    OPERATOR = "operator", _("Operator")
    SUPERVISOR = "supervisor", _("Supervisor")
    DISPATCHER = "dispatcher", _("Dispatcher")
    MANAGER = "manager", _("Manager")
    INTEGRATION = "integration", _("Integration (system)")
    ADMIN = "admin", _("Administrator")


# Who may do what; a role missing from a set may still read what its warehouse holds.
FLOOR_ROLES = frozenset({Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN, Role.INTEGRATION})
STOCK_CONTROL_ROLES = frozenset({Role.SUPERVISOR, Role.MANAGER, Role.ADMIN, Role.INTEGRATION})
MASTER_DATA_ROLES = frozenset({Role.ADMIN, Role.MANAGER, Role.INTEGRATION})
# A lot is held in every warehouse at once (a quality or recall decision): an admin or a
# manager, or the ERP's or quality system's integration account, in any warehouse.
QUALITY_HOLD_ROLES = MASTER_DATA_ROLES
# Who takes a held lot's goods back out of an order: the floor, by hand, or quality.
LOT_PULL_ROLES = FLOOR_ROLES | QUALITY_HOLD_ROLES
PLANNING_ROLES = frozenset({Role.DISPATCHER, Role.SUPERVISOR, Role.MANAGER, Role.ADMIN})
# Orders and carriers' tracking come from the office by hand, or from another system.
ORDER_ROLES = PLANNING_ROLES | {Role.INTEGRATION}
TRACKING_ROLES = ORDER_ROLES
# Cold-chain readings come from sensors' gateways, or from a hand-held thermometer read in a
# cold room by whoever keeps the stock.
SENSOR_ROLES = STOCK_CONTROL_ROLES
# Procedures are written, and trainings recorded, by those who run the floor.
SOP_WRITER_ROLES = frozenset({Role.SUPERVISOR, Role.MANAGER, Role.ADMIN})
# The EDI log: the office, and who keeps the integrations.
EDI_LOG_ROLES = PLANNING_ROLES | MASTER_DATA_ROLES
# Carriers' bills are settled by the office, or by the accounts payable system over the API.
FREIGHT_BILL_ROLES = frozenset({Role.DISPATCHER, Role.MANAGER, Role.ADMIN, Role.INTEGRATION})
# Tickets: everyone in the warehouse, and another system (an ERP or WMS) raising one.
TICKET_ROLES = frozenset(
    {Role.OPERATOR, Role.SUPERVISOR, Role.DISPATCHER, Role.MANAGER, Role.ADMIN, Role.INTEGRATION}
)
