"""Test settings: the same as base, with a fast password hasher and a test database."""

from .base import *  # noqa: F403
from .base import DATABASES, REDIS_URL, env

# A server the tests start keeps still unless a test sets HANDOFF_CLOCK=1 (config.beat).
HANDOFF_CLOCK = not REDIS_URL and env.bool("HANDOFF_CLOCK", default=False)

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file (not :memory:) so threads in tests share one database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}  # noqa: F405
