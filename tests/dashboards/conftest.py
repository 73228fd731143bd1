"""Dashboards read everything: reuse the shipping network of warehouses and customers."""

from tests.shipping.conftest import beijing_shop, floor, network  # noqa: F401
