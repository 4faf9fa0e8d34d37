"""units.models.PathStartsWith: a unit's subtree by its path, the same on SQLite and PostgreSQL."""

import pytest
from django.db import connection
from django.db.models import F

from patroli.units.models import PathStartsWith, Unit

pytestmark = pytest.mark.django_db

# Codes that a LIKE could confuse: case, its wildcards, a common start, a character past ASCII.
CODES = ["polsek-a", "POLSEK-A", "polsek-a2", "polsek_a", "polsek%a", "polsek-é", "polsek-z"]


@pytest.fixture
def units():
    made = []
    for code in CODES:
        root = Unit.objects.create(code=code, name=code, level="polres")
        child = Unit.objects.create(code=f"{code}-child", name=code, level="polsek", parent=root)
        made += [root, child]
    return made


def test_the_subtree_is_the_paths_that_start_with_the_prefix(units):
    paths = [unit.path for unit in units]
    prefixes = [*paths, "polsek-", "POLSEK", "polsek_", "polsek%", "polsek-a/polsek", "x", "é"]
    for prefix in prefixes:
        found = set(Unit.objects.filter(path__startswith=prefix).values_list("path", flat=True))
        assert found == {path for path in paths if path.startswith(prefix)}, prefix


def test_on_sqlite_a_range_not_a_like_and_not_the_index(units):
    """No LIKE (prepared again at each run); and the units' index kept out of the plan, as
    the LIKE kept it (see PathStartsWith)."""
    query = Unit.objects.filter(path__startswith="polsek-a/").values("pk").query
    sql, params = query.sql_with_params()
    if connection.vendor == "sqlite":
        assert "LIKE" not in sql
        assert params == ("polsek-a/", "polsek-a0")
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            plan = [row[-1] for row in cursor.fetchall()]
        # Read whole (SCAN), not searched by the path (SEARCH ... (path>? AND path<?)).
        assert not any(step.startswith("SEARCH") and "path" in step for step in plan), plan
    else:
        assert "LIKE" in sql


def test_through_a_relation_and_against_a_column(units):
    child = Unit.objects.get(code="polsek-a-child")
    assert list(Unit.objects.filter(parent__path__startswith="polsek-a/")) == [child]
    # Not a plain value: Django's own LIKE, which still works.
    assert Unit.objects.filter(path__startswith=F("code")).count() == len(units) // 2


@pytest.mark.parametrize(
    ("prefix", "beyond"),
    [("a/", "a0"), ("polda-64/", "polda-640"), ("é", "ê"), ("", None), ("a\ud7ff", None)],
)
def test_beyond(prefix, beyond):
    assert PathStartsWith.beyond(prefix) == beyond
