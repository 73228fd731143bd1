"""Hypothesis drives random sequences of stock services; the books must be exact after each step."""

import pytest
from django.db import transaction
from django.db.models import F
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from core.exceptions import DomainError
from inventory import services
from inventory.models import Allocation, Reservation, StockBalance
from inventory.selectors import ledger_drift
from tests.factories import ItemFactory

quantities = st.integers(min_value=-3, max_value=12)


@pytest.mark.django_db(transaction=True)
def test_random_service_sequences_keep_the_ledger_exact(site):
    items = [ItemFactory() for _ in range(2)]
    spots = [site.loc["pf"], site.loc["a1"], site.loc["a2"]]
    stage = site.loc["stage"]
    warehouse = site.warehouse

    class Books(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self._atomic = transaction.atomic()
            self._atomic.__enter__()
            self.expected_on_hand = {item.pk: 0 for item in items}
            self.n = 0

        def teardown(self) -> None:
            transaction.set_rollback(True)
            self._atomic.__exit__(None, None, None)

        def _try(self, fn, **kwargs):
            try:
                return fn(**kwargs)
            except DomainError as refused:
                assert refused.message
                return None

        @rule(item=st.sampled_from(items), spot=st.sampled_from(spots), qty=quantities)
        def receive(self, item, spot, qty):
            if self._try(
                services.stock_receive, item=item, quantity=qty, location=spot, actor=None
            ):
                self.expected_on_hand[item.pk] += qty

        @rule(
            item=st.sampled_from(items),
            a=st.sampled_from(spots),
            b=st.sampled_from(spots),
            qty=quantities,
        )
        def move(self, item, a, b, qty):
            self._try(
                services.stock_move,
                item=item,
                lot=None,
                from_location=a,
                to_location=b,
                quantity=qty,
                actor=None,
            )

        @rule(item=st.sampled_from(items), spot=st.sampled_from(spots), delta=quantities)
        def adjust(self, item, spot, delta):
            done = self._try(
                services.stock_adjust,
                item=item,
                lot=None,
                location=spot,
                quantity_delta=delta,
                reason="test",
                actor=None,
            )
            if done:
                self.expected_on_hand[item.pk] += delta

        @rule(item=st.sampled_from(items), qty=quantities, partial=st.booleans())
        def reserve(self, item, qty, partial):
            self.n += 1
            self._try(
                services.stock_reserve,
                warehouse=warehouse,
                item=item,
                quantity=qty,
                reference=f"R{self.n}",
                allow_partial=partial,
                actor=None,
            )

        @rule(data=st.data(), qty=quantities)
        def pick(self, data, qty):
            open_allocations = list(
                Allocation.objects.filter(quantity__gt=0).select_related(
                    "reservation", "balance__location"
                )
            )
            if not open_allocations:
                return
            allocation = data.draw(st.sampled_from(open_allocations))
            self._try(
                services.stock_pick,
                reservation=allocation.reservation,
                location=allocation.balance.location,
                lot=None,
                quantity=qty,
                to_location=stage,
                actor=None,
            )

        @rule(data=st.data())
        def release(self, data):
            open_ones = list(Reservation.objects.filter(status="open"))
            if open_ones:
                self._try(
                    services.stock_release,
                    reservation=data.draw(st.sampled_from(open_ones)),
                    actor=None,
                )

        @invariant()
        def books_are_exact(self):
            assert ledger_drift() == []
            assert not StockBalance.objects.filter(on_hand__lt=0).exists()
            assert not StockBalance.objects.filter(reserved__gt=F("on_hand")).exists()
            for item in items:
                total = sum(
                    StockBalance.objects.filter(item=item).values_list("on_hand", flat=True)
                )
                assert total == self.expected_on_hand[item.pk]

    run_state_machine_as_test(
        Books,
        settings=settings(
            max_examples=20,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
