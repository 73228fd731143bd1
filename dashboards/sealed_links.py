"""The number in a link sent outside (a customer's order, a driver's run), sealed: signed
with the site's secret, so that nobody can make a link to another, and disguised by a keyed
permutation, so that a link does not tell its order's or shipment's number (and with it how
many there were before, or after)."""

import base64
import hashlib
import hmac

from django.core import signing
from django.http import Http404
from django.utils.crypto import salted_hmac

_HALF = 0xFFFF_FFFF
_ROUNDS = 4


def _key(salt: str) -> bytes:
    return salted_hmac(salt, "link-permutation").digest()


def _round(key: bytes, n: int, half: int) -> int:
    digest = hmac.new(key, bytes([n]) + half.to_bytes(4, "big"), hashlib.sha256).digest()
    return int.from_bytes(digest[:4], "big")


def _disguise(number: int, key: bytes) -> int:
    """A Feistel permutation of the 64-bit numbers: one to one, keyed."""
    left, right = number >> 32, number & _HALF
    for n in range(_ROUNDS):
        left, right = right, left ^ _round(key, n, right)
    return (left << 32) | right


def _undisguise(number: int, key: bytes) -> int:
    left, right = number >> 32, number & _HALF
    for n in reversed(range(_ROUNDS)):
        left, right = right ^ _round(key, n, left), left
    return (left << 32) | right


def seal(number: int, salt: str) -> str:
    """The token of `number` (0 ≤ number < 2**64) for links of this `salt`: the same every
    time, 13 letters and digits and a signature."""
    disguised = _disguise(number, _key(salt)).to_bytes(8, "big")
    text = base64.b32encode(disguised).decode().rstrip("=").lower()
    return signing.Signer(salt=salt).sign(text)


def unseal(token: str, salt: str) -> int:
    """The number a token of this `salt` was sealed from; Http404 for a token that is not
    one. A token of the earlier form (the number itself, signed) still opens its link."""
    try:
        text = signing.Signer(salt=salt).unsign(token)
    except signing.BadSignature:
        raise Http404 from None
    if text.isdigit():  # an earlier link, sent before links were disguised
        return int(text)
    try:
        disguised = base64.b32decode(text.upper() + "===")
    except ValueError:
        raise Http404 from None
    if len(disguised) != 8:
        raise Http404
    return _undisguise(int.from_bytes(disguised, "big"), _key(salt))
