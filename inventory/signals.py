"""What inventory tells whoever owns its reservations, inside the same transaction."""

from django.dispatch import Signal

# Sent by a service that gave back reserved units because they are not there (a count found
# fewer): `reservation` (a Reservation, still locked), `quantity` (units given back),
# `actor`. Inventory knows no orders; the owner of the reservation's reference makes up for
# the loss (another place, another warehouse, a backorder) before the transaction commits.
reservation_lost = Signal()
