"""What a vehicle takes: the one check of weight, volume and temperature for everything that
puts goods on a truck (building a load, adding an order, ordering more of a line)."""

from django.utils.translation import gettext as _

from core.exceptions import DomainError
from shipping.models import Vehicle
from shipping.selectors import Fill, vehicle_carries


def vehicle_fits(vehicle: Vehicle, fill: Fill, field: str = "orders") -> None:
    """Refuse goods heavier or bulkier than the vehicle takes (DomainError naming `field`,
    code overweight or over_volume), or colder than it keeps them (naming the vehicle)."""
    if fill.weight_pct > 100:
        raise DomainError(
            _("Overweight: %(kg)s kg for %(plate)s's %(capacity)s kg.")
            % {
                "kg": f"{fill.weight_kg:.0f}",
                "plate": vehicle.plate,
                "capacity": f"{vehicle.capacity_weight_kg:.0f}",
            },
            field=field,
            code="overweight",
        )
    if fill.volume_pct > 100:
        raise DomainError(
            _("Too bulky: %(l)s l for %(plate)s's %(capacity)s l.")
            % {
                "l": f"{fill.volume_l:.0f}",
                "plate": vehicle.plate,
                "capacity": f"{vehicle.capacity_volume_l:.0f}",
            },
            field=field,
            code="over_volume",
        )
    if not vehicle_carries(vehicle, fill.coldest):
        raise DomainError(
            _("%(plate)s is %(has)s; the goods need %(needs)s.")
            % {"plate": vehicle.plate, "has": vehicle.temperature_class, "needs": fill.coldest},
            field="vehicle",
        )
