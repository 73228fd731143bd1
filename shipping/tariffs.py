"""What a trip costs, by its carrier's tariff: the rate per trip, per stop and per kg of
the carrier (`Carrier`), and the vehicle's rate per km driven (`Vehicle.cost_per_km`: the
running cost of an own truck, or the hire rate of a carrier's), the way back included;
never less than the carrier's minimum charge. Amounts in `settings.HANDOFF_CURRENCY`, to
the cent. A carrier and vehicle with every rate 0 have no tariff known: no cost, rather
than a trip for nothing.

The choice of vehicle for a load (`shipping.selectors.vehicles_ranked`) and the proposals
(`shipping.planning`) go to the cheapest vehicle that takes the goods, among those with a
tariff.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings

from shipping.models import Vehicle

CENT = Decimal("0.01")


def tariff_known(vehicle: Vehicle) -> bool:
    """Whether the vehicle or its carrier has any rate above 0."""
    carrier = vehicle.carrier
    return any(
        (
            carrier.rate_per_trip,
            carrier.rate_per_stop,
            carrier.rate_per_kg,
            carrier.minimum_charge,
            vehicle.cost_per_km,
        )
    )


def trip_cost(vehicle: Vehicle, *, km: float, stops: int, kg: Decimal) -> Decimal | None:
    """The trip's cost on this vehicle: `km` driven in all, `stops` unloaded, `kg` carried;
    None if no tariff is known for it (`tariff_known`)."""
    if not tariff_known(vehicle):
        return None
    carrier = vehicle.carrier
    cost = (
        carrier.rate_per_trip
        + carrier.rate_per_stop * stops
        + carrier.rate_per_kg * kg
        + vehicle.cost_per_km * Decimal(str(km))
    )
    return max(carrier.minimum_charge, cost).quantize(CENT, rounding=ROUND_HALF_UP)


def currency() -> str:
    return settings.HANDOFF_CURRENCY
