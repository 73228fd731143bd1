from core.exceptions import Conflict, DomainError


class InsufficientStock(Conflict):
    code = "insufficient_stock"


class LocationRefused(DomainError):
    """The location cannot take this stock (blocked, temperature, hazmat, capacity)."""

    code = "location_refused"


class WrongScan(DomainError):
    code = "wrong_scan"
