"""Redis cache whose connections are shared by every thread of the process.

Django keeps one cache object per thread, and under ASGI every request runs in a thread of
its own: with the stock `RedisCache`, each request made a new connection pool and opened a
new TCP connection to Redis (and left it for the garbage collector), and every cache call
built a new `redis.Redis` (a few hundred callbacks set up each time). Here the client, and
so its connection pools (which redis-py makes thread-safe), is made once per process for
the same servers and options, and each pool has one `redis.Redis`.
"""

import threading
from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.utils.functional import cached_property

_clients: dict[str, RedisCacheClient] = {}
_clients_lock = threading.Lock()


class SharedRedisCacheClient(RedisCacheClient):
    """One `redis.Redis` per connection pool, made on first use."""

    def __init__(self, servers: list[str], **options: Any) -> None:
        super().__init__(servers, **options)
        self._redis: dict[int, Any] = {}
        self._lock = threading.Lock()

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        index = self._get_connection_pool_index(write)
        client = self._redis.get(index)
        if client is None:
            with self._lock:
                client = self._redis.get(index)
                if client is None:
                    if index not in self._pools:
                        self._pools[index] = self._pool_class.from_url(
                            self._servers[index], **self._pool_options
                        )
                    client = self._redis[index] = self._client(connection_pool=self._pools[index])
        return client


class SharedRedisCache(RedisCache):
    """`RedisCache` with one client (and connection pool) per process, not per thread."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = SharedRedisCacheClient

    @cached_property
    def _cache(self) -> Any:
        key = repr((self._servers, sorted(self._options.items())))
        with _clients_lock:
            client = _clients.get(key)
            if client is None:
                client = _clients[key] = self._class(self._servers, **self._options)
        return client
