"""The API's lists: django-ninja's limit and offset, both bounded.

Unbounded, a huge ``limit`` or ``offset`` overflows the database's 64-bit integers (a 500 on
SQLite and PostgreSQL alike); bounded, it is a 422 that names the parameter.
"""

from functools import wraps

from django.db import connections
from django.db.models import Count, Window
from ninja import Field, Schema
from ninja.conf import settings
from ninja.pagination import LimitOffsetPagination

from .api_json import answer

MAX_LIMIT = 1000
MAX_OFFSET = 1_000_000_000


class LimitOffset(LimitOffsetPagination):
    class Input(Schema):
        limit: int = Field(settings.PAGINATION_PER_PAGE, ge=1, le=MAX_LIMIT)
        offset: int = Field(0, ge=0, le=MAX_OFFSET)

    def __init__(self, max_limit: int = MAX_LIMIT, **kwargs):
        super().__init__(max_limit=max_limit, **kwargs)

    def paginate_queryset(self, queryset, pagination: Input, request, **params):
        offset, limit = pagination.offset, min(pagination.limit, self.max_limit)
        items = queryset[offset : offset + limit]  # first: a Built search counts with its page
        return {self.items_attribute: items, "count": self._items_count(queryset)}


def _same(value):
    return value


def _pk(record):
    return record.pk


class Built:
    """A list read a page at a time in two steps: what django-ninja's pagination counts
    (``count()``) and slices.

    ``records`` is the list (filtered, ordered, through the access gate); ``scope`` is the
    gate's queryset before the list's filters, with what the answer reads (its joins and
    prefetches). ``rows`` turns a queryset of ``scope`` into the page's rows (by default its
    records); ``key`` finds a row's primary key and ``build`` turns a row into an answer (by
    default the record itself).

    The count is of ``records`` alone: the joins that the rows' columns need (a name from
    another table) stay out of it (a search matching 10,000 concerns: 12 ms counted through
    the rows' joins, against 7 without, on SQLite). A page is the keys of the page from
    ``records``, in its order, then their rows from ``scope`` by key. Sorted whole, every match
    went through the sort with all its columns and joins, for the 100 kept: 24 ms for that
    search's first page on SQLite, against 14 for its keys and under 1 for their rows; 129 ms
    for a common phrase's first page of visits on PostgreSQL, against its keys' 40."""

    def __init__(self, records, *, scope, rows=_same, key=_pk, build=_same, search=False):
        self.records = records
        self.scope = scope
        self.rows = rows
        self.key = key
        self.build = build
        # A full-text search on SQLite counts its matches in the statement that reads the
        # page's keys: that statement sorts every match by rank anyway, and one pass over them
        # beats two (the suite's small data: a Polda's visits for "kantor pps" 254 against
        # 385 ms, its concerns for "warga" 23 against 25 ms; medium, through the API: "politik
        # uang" 509 against 937 ms). On PostgreSQL it went both ways (visits 96 against 82 ms:
        # the window keeps every match's row, search document included, until the sort;
        # concerns 12 against 20), and a list read in an index's order, not sorted whole,
        # would read every row to count them: those count apart.
        self.search = search
        self.total = None  # the count, when the page's statement gave it

    def all(self) -> "Built":  # django-ninja counts ``all().count()``
        return self

    def count(self) -> int:
        return self.records.count() if self.total is None else self.total

    def __getitem__(self, index: slice) -> list:
        ordered = self.records.select_related(None).prefetch_related(None)
        if self.search and connections[ordered.db].vendor == "sqlite":
            counted = ordered.annotate(_matches=Window(Count("*")))
            pairs = list(counted.values_list("pk", "_matches")[index])
            keys = [key for key, _matches in pairs]
            if pairs:  # past the last match, count() counts apart
                self.total = pairs[0][1]
        else:
            keys = list(ordered.values_list("pk", flat=True)[index])
        if not keys:
            return []
        # In slices that bind fewer parameters than the database takes (999 on an old SQLite),
        # with room for the scope's own.
        most = connections[self.scope.db].features.max_query_params  # None: no limit
        size = max(1, most - 99) if most else len(keys)
        found = {}
        for start in range(0, len(keys), size):
            chunk = self.scope.filter(pk__in=keys[start : start + size]).order_by()
            found.update((self.key(row), row) for row in self.rows(chunk))
        # A record gone between the two reads is left out of the page.
        return [self.build(found[key]) for key in keys if key in found]


def answered(view):
    """A list under django-ninja's ``@paginate`` (put this above it), answered as the view
    builds its page, without django-ninja checking every item against the schema again
    (core.api_json.answer): for a ``Built`` list whose items are plain dicts of the schema's
    fields, of its types. The schema stays what the API documents; the tests check such
    answers against it (the list's tests, and schemathesis in core/tests/test_api_fuzz.py).

    A page of 100 concerns was checked, then dumped back to dicts, in 0.5 ms of a 9 ms search
    of a Polres (benchmarks/suite.py, small, SQLite); 100 visits with their dialogues took
    longer still. ``functools.wraps`` carries what ``@paginate`` tells the operation (its
    parameters, its paged schema), so the operation and its documentation do not change."""

    @wraps(view)
    def listed(request, **kwargs):
        page = view(request, **kwargs)
        return answer(page) if type(page) is dict else page

    return listed
