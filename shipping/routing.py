"""A truck's route: the order of its stops, and when it is at each, in the customers'
delivery windows.

A stop is unloaded from the moment the truck is there and the ship-to's window is open: a
truck that comes early waits for the window to open; one that comes after it closed is
unloaded at once and is late by that much. Windows are times of day on the warehouse's
clock, on the day the truck gets there. Distances are road kilometres as estimated from the
great circle: its km times the roads' detour (`HANDOFF_ROAD_FACTOR`; 1.0, as the crow flies,
unless set: about 1.3 in a city), driven at an average road speed
(`HANDOFF_ROAD_SPEED_KMH`, 45), as everywhere in Handoff's planning.

A carrier that delivers through its own network (`network`: its km a day, above 0) is no
route of ours: its truck collects at the dock and is gone; each stop is delivered on its
own (`network_calls`), and the truck is not coming back to us (`back_at` is when it left).
"""

import bisect
import datetime
import hashlib
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache

from shipping.geo import distance_km
from shipping.models import ShipTo

UNLOADING_MINUTES = 20  # at each stop, before the truck drives on
EXACT_UP_TO = 6  # stops: every order is tried; beyond, a local search from two starts
SEARCH_TRIES = 6_000  # orders each local search may time at most: a long route stays quick
HORIZON_DAYS = 7  # windows are known this many days ahead of the departure
CACHED_FROM = 5  # stops: a route this long is kept once planned (it takes a while to find)
ROUTE_KEPT_S = 3600
# The longest trip a truck of ours is sent on, from the warehouse back to it: a shop farther
# than that (a part of an order split to a warehouse in another city, say) is for a carrier
# that delivers through its network.
DAY_TRIP = datetime.timedelta(hours=12)

Point = tuple[Decimal | float, Decimal | float]


def road_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Kilometres by road from `a` to `b` (latitude, longitude): the great circle's, times
    the roads' detour (`HANDOFF_ROAD_FACTOR`)."""
    return distance_km(*a, *b) * settings.HANDOFF_ROAD_FACTOR


def road_speed_kmh() -> float:
    """The average speed a truck makes on the road (`HANDOFF_ROAD_SPEED_KMH`)."""
    return settings.HANDOFF_ROAD_SPEED_KMH


@dataclass(frozen=True)
class Call:
    """One stop of a route: how far from the point before, when the truck gets there, and
    when unloading starts (`eta`: on arrival, or when the window opens)."""

    ship_to: ShipTo
    km: float
    arrives_at: datetime.datetime
    eta: datetime.datetime
    late: datetime.timedelta  # unloading starts this long after the window closed

    @property
    def waits(self) -> datetime.timedelta:
        return self.eta - self.arrives_at

    @property
    def waits_minutes(self) -> int:
        return round(self.waits.total_seconds() / 60)

    @property
    def late_minutes(self) -> int:
        return round(self.late.total_seconds() / 60)


class _Trip:
    """The numbers of one planning question, in seconds from the start: the kilometres
    between the start (index 0) and each stop (1..n), and each stop's windows by day."""

    def __init__(
        self, start: Point, at: datetime.datetime, ship_tos: Sequence[ShipTo], zone: ZoneInfo
    ) -> None:
        self.at, self.ship_tos = at, list(ship_tos)
        points = [(float(start[0]), float(start[1]))] + [
            (float(s.latitude), float(s.longitude)) for s in ship_tos
        ]
        self.km = [[road_km(a, b) for b in points] for a in points]
        self.kmh = road_speed_kmh()
        first_day = at.astimezone(zone).date()
        days = [first_day + datetime.timedelta(days=k) for k in range(HORIZON_DAYS + 1)]

        def seconds(day: datetime.date, time: datetime.time) -> float:
            return (datetime.datetime.combine(day, time, zone) - at).total_seconds()

        self.midnights = [seconds(day, datetime.time()) for day in days]
        self.windows = [
            [(seconds(day, s.window_opens), seconds(day, s.window_closes)) for day in days]
            for s in ship_tos
        ]

    def times(self, order: Sequence[int]) -> list[tuple[float, float, float]]:
        """(arrives, unloading starts, late) in seconds, for stops 1..n in this order."""
        out = []
        where, now = 0, 0.0
        for stop in order:
            arrives = now + self.km[where][stop] / self.kmh * 3600
            day = min(bisect.bisect_right(self.midnights, arrives) - 1, HORIZON_DAYS)
            opens, closes = self.windows[stop - 1][max(day, 0)]
            eta = max(arrives, opens)
            out.append((arrives, eta, max(eta - closes, 0.0)))
            where, now = stop, eta + UNLOADING_MINUTES * 60
        return out

    def cost(self, order: Sequence[int]) -> tuple[float, float, float]:
        """Minutes late in all, then seconds until the truck is back at the start, then km."""
        if not order:
            return (0.0, 0.0, 0.0)
        timed = self.times(order)
        home = self.km[order[-1]][0]
        back = timed[-1][1] + UNLOADING_MINUTES * 60 + home / self.kmh * 3600
        km = self.km[0][order[0]] + sum(self.km[a][b] for a, b in itertools.pairwise(order))
        return (round(sum(t[2] for t in timed) / 60, 6), round(back, 3), round(km + home, 6))

    def calls(self, order: Sequence[int]) -> list[Call]:
        calls, where = [], 0
        for stop, (arrives, eta, late) in zip(order, self.times(order), strict=True):
            calls.append(
                Call(
                    ship_to=self.ship_tos[stop - 1],
                    km=self.km[where][stop],
                    arrives_at=self.at + datetime.timedelta(seconds=arrives),
                    eta=self.at + datetime.timedelta(seconds=eta),
                    late=datetime.timedelta(seconds=late),
                )
            )
            where = stop
        return calls


def calls_timed(
    *,
    start: Point,
    at: datetime.datetime,
    ship_tos: Sequence[ShipTo],
    zone: ZoneInfo,
    network: int = 0,
) -> list[Call]:
    """The stops in the given order, the truck leaving `start` at `at`; with a `network`,
    each as `network_calls` has it, collected at `start` then."""
    if network:
        return network_calls(
            start=start, at=at, ship_tos=ship_tos, zone=zone, km_per_day=network, collected=True
        )
    trip = _Trip(start, at, ship_tos, zone)
    return trip.calls(range(1, len(ship_tos) + 1))


def network_calls(
    *,
    start: Point,
    at: datetime.datetime,
    ship_tos: Sequence[ShipTo],
    zone: ZoneInfo,
    km_per_day: int,
    collected: bool,
) -> list[Call]:
    """Each stop as a carrier's network delivers it, in the given order, the goods at `start`
    at `at`: they cover `km_per_day` km a day in a straight line, and are delivered when the
    ship-to is open, on the day they get there or the next day it opens; never late. Goods
    just `collected` at our dock go through the carrier's sorting overnight first: no
    delivery before the next day. ETAs to the minute; each call's `km` is from `start`;
    nobody waits."""
    calls = []
    for ship_to in ship_tos:
        km = _km_home(start, ship_to)
        there = at + datetime.timedelta(days=km / km_per_day, seconds=30)
        there = there.replace(second=0, microsecond=0)  # to the nearest minute, as told
        if collected:
            next_day = at.astimezone(zone).date() + datetime.timedelta(days=1)
            there = max(there, datetime.datetime.combine(next_day, datetime.time(), zone))
        eta = _open_from(ship_to, there, zone)
        late = datetime.timedelta(0)
        calls.append(Call(ship_to=ship_to, km=km, arrives_at=eta, eta=eta, late=late))
    return calls


def _open_from(ship_to: ShipTo, at: datetime.datetime, zone: ZoneInfo) -> datetime.datetime:
    """The first moment from `at` that the ship-to's window is open (on the clock of `zone`)."""
    day = at.astimezone(zone).date()
    while True:
        opens = datetime.datetime.combine(day, ship_to.window_opens, zone)
        closes = datetime.datetime.combine(day, ship_to.window_closes, zone)
        if at < closes:
            return max(at, opens)
        day += datetime.timedelta(days=1)


def back_at(
    *, origin: Point, leaves_at: datetime.datetime, calls: Sequence[Call], network: int = 0
) -> datetime.datetime:
    """When a truck that left `origin` at `leaves_at` on this route is back there: unloaded at
    its last stop, then driven home. With no stop, or a carrier's `network` truck (which
    does not come back to us), when it left."""
    if not calls or network:
        return leaves_at
    last = calls[-1]
    return home_at(origin=origin, ship_to=last.ship_to, unloading_from=last.eta)


def km_driven(*, origin: Point, calls: Sequence[Call], network: int = 0) -> float:
    """The kilometres a truck drives on this route: from `origin` to each stop in turn, and
    from the last back to `origin`. Through a carrier's `network`, the km each stop's goods
    are carried from `origin`, summed. 0 with no stop."""
    if not calls:
        return 0.0
    if network:
        return km_carried(origin=origin, ship_tos=[c.ship_to for c in calls])
    return sum(c.km for c in calls) + _km_home(origin, calls[-1].ship_to)


def km_carried(*, origin: Point, ship_tos: Sequence[ShipTo]) -> float:
    """The kilometres a carrier's network carries goods from `origin` to these stops, each
    on its own (as `km_driven` has it through a network)."""
    return sum(_km_home(origin, s) for s in ship_tos)


def _km_home(origin: Point, ship_to: ShipTo) -> float:
    return road_km(
        (float(ship_to.latitude), float(ship_to.longitude)), (float(origin[0]), float(origin[1]))
    )


def beyond_a_day(*, origin: Point, ship_to: ShipTo) -> bool:
    """Whether a truck from `origin` to `ship_to`, unloading there and driving back (with no
    window to wait for), takes longer than a `DAY_TRIP`: a shop for a carrier's network, not
    for one of our routes."""
    there_and_back = datetime.timedelta(
        minutes=UNLOADING_MINUTES, hours=2 * _km_home(origin, ship_to) / road_speed_kmh()
    )
    return there_and_back > DAY_TRIP


def home_at(
    *, origin: Point, ship_to: ShipTo, unloading_from: datetime.datetime
) -> datetime.datetime:
    """When a truck unloading at `ship_to` from `unloading_from` is back at `origin`."""
    return unloading_from + datetime.timedelta(
        minutes=UNLOADING_MINUTES, hours=_km_home(origin, ship_to) / road_speed_kmh()
    )


def route_plan(
    *,
    origin: Point,
    at: datetime.datetime,
    ship_tos: Sequence[ShipTo],
    zone: ZoneInfo,
    hint: Sequence[ShipTo] = (),
    network: int = 0,
) -> list[Call]:
    """The order of stops that is late the fewest minutes in all, then brings the truck back
    to `origin` soonest (waiting for windows counts), then drives the fewest kilometres;
    each ship-to once. Exact up to `EXACT_UP_TO` stops; beyond, the best of bounded local
    searches (move a stop elsewhere, reverse a stretch) from the nearest-neighbour order,
    from the earliest-closing order and from `hint` (an order of the same stops, if given),
    so never worse than `hint`. The same stops give the same route. Through a carrier's
    `network` (its km a day): each stop as `network_calls` delivers it, collected at
    `origin` at `at`, soonest first (then nearest)."""
    stops = sorted({s.pk: s for s in ship_tos}.values(), key=lambda s: s.pk)
    if network:
        calls = calls_timed(start=origin, at=at, ship_tos=stops, zone=zone, network=network)
        return sorted(calls, key=lambda c: (c.eta, c.km, c.ship_to.pk))
    trip = _Trip(origin, at, stops, zone)
    every = list(range(1, len(stops) + 1))
    if len(stops) < CACHED_FROM:
        return trip.calls(_best_order(trip, stops, every, hint))
    # The same question gets the same answer: the order found is kept for a while, so that
    # the alert rules, the board and the API asking about a load again do not search again.
    key = _plan_key(origin, at, stops, zone, hint)
    best = cache.get(key)
    if best is None or sorted(best) != every:
        best = _best_order(trip, stops, every, hint)
        cache.set(key, best, ROUTE_KEPT_S)
    return trip.calls(best)


def _plan_key(
    origin: Point,
    at: datetime.datetime,
    stops: list[ShipTo],
    zone: ZoneInfo,
    hint: Sequence[ShipTo],
) -> str:
    """Everything the order of a route depends on, the rules' numbers too (and the hint only
    where it is a start of the search)."""
    rules = (
        settings.HANDOFF_ROAD_FACTOR,
        road_speed_kmh(),
        UNLOADING_MINUTES,
        EXACT_UP_TO,
        SEARCH_TRIES,
        HORIZON_DAYS,
    )
    parts = [repr(rules), f"{origin[0]}", f"{origin[1]}", at.isoformat(), str(zone)]
    parts += [
        f"{s.pk}:{s.latitude}:{s.longitude}:{s.window_opens}:{s.window_closes}" for s in stops
    ]
    if len(stops) > EXACT_UP_TO:  # an exact search does not start from the hint
        parts += ["hint", *(str(s.pk) for s in hint)]
    return "handoff:route:" + hashlib.sha256("|".join(parts).encode()).hexdigest()


def _best_order(
    trip: _Trip, stops: list[ShipTo], every: list[int], hint: Sequence[ShipTo]
) -> list[int]:
    """The order `route_plan` drives (stop numbers 1..n of `stops`)."""
    if len(stops) <= EXACT_UP_TO:
        return list(min(itertools.permutations(every), key=trip.cost, default=()))
    starts = [
        _nearest_first(trip, every),
        sorted(every, key=lambda i: (trip.windows[i - 1][0][1], i)),
    ]
    index = {s.pk: i for i, s in enumerate(stops, start=1)}
    hinted = list(dict.fromkeys(index[s.pk] for s in hint if s.pk in index))
    if sorted(hinted) == every:
        starts.append(hinted)
    return min((_improved(trip, start) for start in starts), key=trip.cost)


def route_with(
    *,
    origin: Point,
    at: datetime.datetime,
    route: Sequence[ShipTo],
    ship_to: ShipTo,
    zone: ZoneInfo,
) -> list[Call]:
    """`route` (stops in driving order) with `ship_to` on it too: re-planned whole while that
    is exact (`EXACT_UP_TO` stops), else `ship_to` put between the two stops where it costs
    least, the others kept in their order. A stop already on the route changes nothing."""
    if any(s.pk == ship_to.pk for s in route):
        return calls_timed(start=origin, at=at, ship_tos=route, zone=zone)
    if len(route) + 1 <= EXACT_UP_TO:
        return route_plan(origin=origin, at=at, ship_tos=[*route, ship_to], zone=zone)
    trip = _Trip(origin, at, [*route, ship_to], zone)
    kept, new = list(range(1, len(route) + 1)), len(route) + 1
    best = min(
        ([*kept[:k], new, *kept[k:]] for k in range(len(kept) + 1)),
        key=trip.cost,
    )
    return trip.calls(best)


def _nearest_first(trip: _Trip, stops: list[int]) -> list[int]:
    left, order, where = list(stops), [], 0
    while left:
        nearest = min(left, key=lambda i: (trip.km[where][i], i))
        order.append(nearest)
        left.remove(nearest)
        where = nearest
    return order


def _improved(trip: _Trip, order: list[int]) -> list[int]:
    """Take each better neighbour (a stop moved elsewhere, or a stretch reversed) as it is
    found, pass after pass, until a whole pass finds none or `SEARCH_TRIES` are spent."""
    best, best_cost = list(order), trip.cost(order)
    better, tries = True, 0
    while better and tries < SEARCH_TRIES:
        better = False
        for i, j in itertools.permutations(range(len(best)), 2):
            tries += 2
            if tries > SEARCH_TRIES:
                break
            moved = best[:i] + best[i + 1 :]
            moved.insert(j, best[i])
            low, high = min(i, j), max(i, j)
            reversed_ = best[:low] + best[low : high + 1][::-1] + best[high + 1 :]
            for candidate in (moved, reversed_):
                cost = trip.cost(candidate)
                if cost < best_cost:
                    best, best_cost, better = candidate, cost, True
                    break
    return best
