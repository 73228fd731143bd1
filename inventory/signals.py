"""What inventory tells whoever owns its reservations, inside the same transaction."""

from django.dispatch import Signal

# Sent once by a service that gave back reserved units because they may not go out (a count
# found fewer, a lot was put on hold): `lost`, a list of (reservation, units given back),
# every reservation still locked; `actor`. All of them at once, so an owner that lost units
# in two reservations books both before it makes up for them. Inventory knows no orders; the
# owner of each reservation's reference makes up for the loss (another place, another
# warehouse, a backorder) before the transaction commits.
reservations_lost = Signal()
