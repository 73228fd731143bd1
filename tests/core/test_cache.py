"""The Redis cache shares its connections between the threads of a process."""

import threading

from core.cache import SharedRedisCache


def _cache_in_a_new_thread(location: str) -> object:
    got: list[object] = []

    def run() -> None:
        # What Django does for each thread (so each ASGI request): a new cache object.
        got.append(SharedRedisCache(location, {})._cache)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return got[0]


def test_every_request_thread_uses_one_client_and_so_one_connection_pool() -> None:
    first = _cache_in_a_new_thread("redis://127.0.0.1:6379/13")
    second = _cache_in_a_new_thread("redis://127.0.0.1:6379/13")
    assert first is second
    assert first._get_connection_pool(True) is second._get_connection_pool(True)


def test_other_servers_get_their_own_client() -> None:
    assert _cache_in_a_new_thread("redis://127.0.0.1:6379/13") is not _cache_in_a_new_thread(
        "redis://127.0.0.1:6379/12"
    )


def test_each_pool_has_one_redis_client() -> None:
    cache = _cache_in_a_new_thread("redis://127.0.0.1:6379/13")
    assert cache.get_client(write=True) is cache.get_client(write=False)
    assert cache.get_client(write=True).connection_pool is cache._get_connection_pool(True)
