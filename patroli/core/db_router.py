"""Read replicas: which database a query goes to (see docs/deploy.md, "Read replicas").

Every write goes to the primary (``default``). A read goes to a replica only when all of these
hold, and to the primary otherwise:

- the request is a GET or HEAD to a view in ``REPLICA_NAMESPACES`` or ``REPLICA_VIEWS`` (the
  commander dashboard with its map layers, reports and exports; the public pages and the public
  news API), as marked by ``ReplicaReadsMiddleware``;
- nothing has been written yet in this request (after the first write every read is the
  primary's, so a request reads what it wrote);
- the client did not write in the last ``DATABASE_REPLICA_PIN_SECONDS`` (a request that wrote
  sets a short-lived cookie, so that the page a form redirects to shows what was just saved);
- no transaction is open on the primary;
- the model is not one of authentication or sessions (``PRIMARY_ONLY``): a login or a token
  works the moment it is made.

One replica is drawn at random per request, so that the queries of one page read one database.
The mark lives in a context variable, one per thread of the app server.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import FileResponse

# GET and HEAD requests to these views may read from a replica: by URL namespace...
REPLICA_NAMESPACES = frozenset({"dashboard", "news", "open311"})
# ...or by view name.
REPLICA_VIEWS = frozenset(
    {
        "portal:home",
        "portal:track",
        "portal:find",
        "portal:photo",
        "portal:village-search",
        "api:public_releases",
        "api:public_release",
        "django.contrib.sitemaps.views.sitemap",
    }
)
SAFE_METHODS = frozenset({"GET", "HEAD"})
# Read from the primary always: sessions, users, tokens, permissions, the task queue.
PRIMARY_ONLY_APPS = frozenset({"sessions", "auth", "contenttypes", "admin", "django_tasks_db"})
PRIMARY_ONLY_MODELS = frozenset({"units.officer", "units.apitoken"})
PIN_COOKIE = "patroli_primary"


@dataclass
class _Reads:
    """The database reads of the current request: a replica's alias, or None for the primary."""

    replica: str | None = None
    wrote: bool = False


_current: ContextVar[_Reads | None] = ContextVar("patroli_db_reads", default=None)


def replicas() -> list[str]:
    return list(getattr(settings, "PATROLI_DB_REPLICAS", []))


def current_replica() -> str | None:
    """The replica the current request may read from, if any."""
    state = _current.get()
    return state.replica if state is not None else None


def _primary_only(model) -> bool:
    meta = model._meta
    return meta.app_label in PRIMARY_ONLY_APPS or meta.label_lower in PRIMARY_ONLY_MODELS


class ReplicaRouter:
    """``db_for_read``: a replica when the request allows it (see the module's docstring);
    ``db_for_write``: always the primary; migrations run on the primary only."""

    def db_for_read(self, model, **hints):
        state = _current.get()
        if (
            state is None
            or state.replica is None
            or _primary_only(model)
            or connections[DEFAULT_DB_ALIAS].in_atomic_block
        ):
            return DEFAULT_DB_ALIAS
        # Related objects come from where their instance came from.
        instance = hints.get("instance")
        if instance is not None and instance._state.db:
            return instance._state.db
        return state.replica

    def db_for_write(self, model, **hints):
        state = _current.get()
        if state is not None:
            # From now on this request reads what it has written.
            state.replica = None
            state.wrote = True
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replicas hold the same rows as the primary

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS


def may_read_from_replica(request) -> bool:
    """True for a safe request to a dashboard or public view of the client that has not just
    written."""
    match = request.resolver_match
    if request.method not in SAFE_METHODS or match is None or PIN_COOKIE in request.COOKIES:
        return False
    return match.view_name in REPLICA_VIEWS or bool(REPLICA_NAMESPACES & set(match.namespaces))


def _reading(state: _Reads, chunks: Iterable) -> Iterator:
    """A streamed body (CSV, GeoJSON exports) is produced after the view returns: produce each
    piece with the request's reads still in force."""
    iterator = iter(chunks)
    while True:
        token = _current.set(state)
        try:
            chunk = next(iterator)
        except StopIteration:
            return
        finally:
            _current.reset(token)
        yield chunk


class ReplicaReadsMiddleware:
    """Marks the requests whose reads may go to a replica, and pins a client that wrote to the
    primary for a few seconds. Installed by settings.py when DATABASE_REPLICA_URLS is set."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        state = _Reads()
        token = _current.set(state)
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        if state.wrote:
            response.set_cookie(
                PIN_COOKIE,
                "1",
                max_age=settings.DATABASE_REPLICA_PIN_SECONDS,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        if state.replica and response.streaming and not isinstance(response, FileResponse):
            response.streaming_content = _reading(state, response.streaming_content)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        state = _current.get()
        if state is not None and (aliases := replicas()) and may_read_from_replica(request):
            state.replica = random.choice(aliases)
        return None
