"""Fixed-window rate limits in the shared cache (Redis when REDIS_URL is set, so that several
app servers count together)."""

import time

from django.conf import settings
from django.core.cache import cache

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """'5/h' → (5, 3600)."""
    count, _, period = rate.partition("/")
    return int(count), PERIODS[period.strip()[0]]


def client_ip(request) -> str:
    if settings.SECURE_PROXY_SSL_HEADER and (forwarded := request.META.get("HTTP_X_FORWARDED_FOR")):
        # Behind our own proxy the last address is the one the proxy saw.
        return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "")


def over_limit(scope: str, key: str, rate: str) -> bool:
    """Count one hit for ``key``; True once it has exceeded ``rate`` in the current window."""
    limit, period = parse_rate(rate)
    window = int(time.time() // period)
    cache_key = f"rl:{scope}:{key}:{window}"
    cache.add(cache_key, 0, timeout=period + 5)
    try:
        hits = cache.incr(cache_key)
    except ValueError:  # evicted between add and incr
        cache.set(cache_key, 1, timeout=period + 5)
        hits = 1
    return hits > limit


class LoginGuard:
    """Locks out a user name, and separately a client address, after repeated failed logins.

    PATROLI_LOGIN_FAILURES failures within PATROLI_LOGIN_LOCK_MINUTES lock for that long; a
    successful login clears the user name's count."""

    def __init__(self, username: str, ip: str):
        self.keys = [f"login:user:{username.strip().casefold()}", f"login:ip:{ip}"]
        self.limit = settings.PATROLI_LOGIN_FAILURES
        self.seconds = settings.PATROLI_LOGIN_LOCK_MINUTES * 60

    @property
    def locked(self) -> bool:
        return any(cache.get(key, 0) >= self.limit for key in self.keys)

    def failed(self) -> None:
        for key in self.keys:
            cache.add(key, 0, timeout=self.seconds)
            try:
                cache.incr(key)
            except ValueError:
                cache.set(key, 1, timeout=self.seconds)

    def succeeded(self) -> None:
        cache.delete(self.keys[0])
