"""Redis cache whose connections are shared by every thread of the process.

Django keeps one cache object per thread, and under ASGI every request runs in a thread of
its own: with the stock `RedisCache`, each request made a new connection pool and opened a
new TCP connection to Redis (and left it for the garbage collector). Here the client, and
so its connection pool (which redis-py makes thread-safe), is made once per process for the
same servers and options.
"""

import threading
from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.utils.functional import cached_property

_clients: dict[str, RedisCacheClient] = {}
_clients_lock = threading.Lock()


class SharedRedisCache(RedisCache):
    """`RedisCache` with one client (and connection pool) per process, not per thread."""

    @cached_property
    def _cache(self) -> Any:
        key = repr((self._servers, sorted(self._options.items())))
        with _clients_lock:
            client = _clients.get(key)
            if client is None:
                client = _clients[key] = self._class(self._servers, **self._options)
        return client
