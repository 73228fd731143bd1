"""The shipping tests' fixtures, for what carriers send in about shipments."""

from tests.integrations.test_edi_204_990 import tendered  # noqa: F401
from tests.integrations.test_edi_210 import carried  # noqa: F401
from tests.integrations.test_edi_940_945 import erp  # noqa: F401
from tests.shipping.conftest import beijing_shop, floor, network  # noqa: F401
from tests.shipping.test_carrier_network import (  # noqa: F401
    collected_two_days_ago,
    parcel,
    three_shops,
)
