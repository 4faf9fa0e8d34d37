"""Indonesian full-text search with the same results on PostgreSQL and SQLite.

One text pipeline, two engines:

* **Words** are runs of ASCII letters and digits, lower-cased; everything else separates them
  (``TPS-001`` is ``tps 001``, ``Rp100.000`` is ``rp 100 000``). PostgreSQL gets the same
  words: its index and its queries first replace every other character with a space, so its
  parser never sees a hyphen, a number with dots, an address or a URL to read its own way.
* **Stems**: words of letters only go through Snowball's Indonesian stemmer (membagikan,
  pembagian → bagi); words with a digit are kept as they are. PostgreSQL's ``indonesian``
  configuration runs the same Snowball algorithm and treats words with digits the same way.
* **Stopwords** (``data/stopwords_id.txt``) are dropped from queries only, on both databases.
  Documents keep every word: PostgreSQL's ``indonesian`` configuration has no stopword list and
  a custom one needs a file in the server's share directory, and leaving them in the SQLite
  index too keeps both sides equal (a query word whose stem is a stopword, adanya → ada, then
  finds the same rows on both).
* Every query word must match (AND); no prefixes, no phrases, no operators. A query is cut to
  ``MAX_QUERY_CHARS`` characters and ``MAX_QUERY_WORDS`` words.

Engines: on PostgreSQL a stored generated column ``search_vector``, ``to_tsvector('indonesian',
<the model's search_columns>)``, with a GIN index, queried with ``plainto_tsquery`` and ranked
with ``ts_rank``; on SQLite an FTS5 table ``<table>_fts`` over the model's ``search_stems``
column, kept by triggers, queried with ``MATCH`` (every stem quoted) and ranked with bm25. A
searchable model declares ``search_columns`` and has a ``search_stems`` column written with
:func:`stems_column`; its queryset's ``search()`` calls :func:`full_text_search`.

The column is stored because ranking reads the document of every match: computed from the
text, a common word over a Polda's visits took 780 ms for its first page, against 60 ms read
from the column (benchmarks/suite.py). Neither it nor the SQLite table is in the models: the
ORM never reads or writes it. PostgreSQL refuses to change the type of a column that a
generated column reads: a migration altering one of ``search_columns`` must first run
:func:`uninstall_index` and then :func:`install_index` again.
"""

# SQL is built here from table and column names of the models, quoted; what users type is
# always a parameter.
# ruff: noqa: S608

from __future__ import annotations

import re
import threading
from functools import lru_cache
from pathlib import Path

import snowballstemmer
from django.db import connections
from django.db.models import (
    AutoField,
    BigAutoField,
    BooleanField,
    Field,
    FloatField,
    Func,
    QuerySet,
)
from django.db.models import Model as DjangoModel
from django.db.models.expressions import Col, Expression

MAX_QUERY_CHARS = 200
MAX_QUERY_WORDS = 20
STOPWORDS_FILE = Path(__file__).parent / "data" / "stopwords_id.txt"

_WORD = re.compile(r"[A-Za-z0-9]+")
# PostgreSQL's parser reads "1e5x" as the number 1e5 followed by the word x: split the same way.
_SCIENTIFIC = re.compile(r"(\d+e\d+)([a-z].*)")
# A stemmer holds the word it works on: one for each thread (a server's threads store visits
# at once, and one shared stemmer mixed their words up).
_stemmers = threading.local()

# The text PostgreSQL indexes and searches; {text} is the model's search_columns joined with
# spaces. The stored column search_vector is this.
_PG_DOCUMENT = (
    "to_tsvector('indonesian'::regconfig, regexp_replace({text}, '[^A-Za-z0-9]+', ' ', 'g'))"
)
_PG_QUERY = "plainto_tsquery('indonesian'::regconfig, %%s)"  # in a Func template
PG_VECTOR = "search_vector"


def _load_stopwords() -> frozenset[str]:
    lines = STOPWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(w for line in lines if (w := line.split("#", 1)[0].strip().lower()))


STOPWORDS = _load_stopwords()


def words(text: str) -> list[str]:
    """The lower-cased words of ``text``, in order, as both databases split it."""
    found = []
    for word in _WORD.findall(text):
        word = word.lower()
        if match := _SCIENTIFIC.fullmatch(word):
            found.extend(match.groups())
        else:
            found.append(word)
    return found


@lru_cache(maxsize=20000)
def stem(word: str) -> str:
    """Snowball's Indonesian stem of a word of letters; a word with a digit as it is."""
    if not word.isalpha():
        return word
    try:
        stemmer = _stemmers.indonesian
    except AttributeError:
        stemmer = _stemmers.indonesian = snowballstemmer.stemmer("indonesian")
    return stemmer.stemWord(word)


def stems_column(*texts: str) -> str:
    """The stored ``search_stems``: the stem of every word of ``texts``, separated by spaces.

    Repeated words stay (they count in the ranking), and so do stopwords (see the module).
    """
    return " ".join(stem(word) for word in words(" ".join(texts)))


def query_words(query: str) -> list[str]:
    """The words of a search query that are looked for: no stopwords, no repeats, capped."""
    text = query[:MAX_QUERY_CHARS]
    if _WORD.match(query, MAX_QUERY_CHARS):
        text = re.sub(r"[A-Za-z0-9]+$", "", text)  # do not search for half a word
    kept = dict.fromkeys(w for w in words(text) if w not in STOPWORDS)
    return list(kept)[:MAX_QUERY_WORDS]


def nothing_to_search(query: str) -> bool:
    """True when ``query`` has text but no word to look for (only stopwords or punctuation):
    such a search finds nothing, and a page says why."""
    return bool(query.strip()) and not query_words(query)


def full_text_search(queryset: QuerySet, query: str) -> QuerySet:
    """The rows of ``queryset`` holding every word of ``query``, best match first.

    A blank query filters nothing; a query without a word to look for finds nothing.
    """
    if not query.strip():
        return queryset
    terms = query_words(query)
    if not terms:
        return queryset.none()
    model = queryset.model
    vendor = connections[queryset.db].vendor
    if vendor == "postgresql":
        queryset = _within_gated_units(queryset)
        document = _Vector(model)
        text = " ".join(terms)
        condition = _Sql(
            document,
            template=f"%(expressions)s @@ {_PG_QUERY}",
            params=[text],
            output_field=BooleanField(),
        )
        rank = _Sql(
            document,
            # 1: divided by 1 + the log of the length, as bm25 also favours the shorter text.
            template=f"ts_rank(%(expressions)s, {_PG_QUERY}, 1)",
            params=[text],
            output_field=FloatField(),
        ).desc()
    elif vendor == "sqlite":
        quote = connections[queryset.db].ops.quote_name
        fts = fts_table(model._meta.db_table)
        match = "search_stems : (" + " ".join(f'"{stem(w)}"' for w in terms) + ")"
        key = "rowid" if _rowid_keyed(model) else "ref"
        # The index joined once: every match comes with its rank from the one full-text query.
        # A rank looked up row by row (a correlated subquery) ran the query again for each
        # match, which took minutes for a common word over a Polda's visits (benchmarks/).
        # The ORM cannot join a virtual table: extra() adds it, with names from the model and
        # the query as a parameter. The join's condition is an expression on the model's own
        # column, which a subquery renames with its table (extra()'s text it would not: the
        # condition then read the outer query's row).
        joined = _Sql(
            Col(model._meta.db_table, model._meta.pk),
            template=f"{quote(fts)}.{key} = %(expressions)s",
            output_field=BooleanField(),
        )
        return queryset.extra(  # noqa: S610
            tables=[fts],
            where=[f"{quote(fts)} MATCH %s"],
            params=[match],
            # Equal ranks newest first, as on PostgreSQL. The rank alone would let FTS5 hand
            # the matches over best first by itself (2.6 times faster for a Polda's visits,
            # benchmarks/suite.py), but ties would then come oldest first: visits to one
            # site without words of their own all rank alike.
            order_by=[f"{fts}.rank", *model._meta.ordering, "-pk"],
        ).filter(joined)
    else:  # pragma: no cover - the project runs on these two
        raise NotImplementedError(f"full-text search on {vendor}")
    return queryset.filter(condition).order_by(rank, *model._meta.ordering, "-pk")


def _within_gated_units(queryset: QuerySet) -> QuerySet:
    """On PostgreSQL, ``queryset``'s access gate said a second time: its unit's subtree also as
    the list of the subtree's unit ids (read now, one small query), on the model's own column.

    The gate joins the units and filters their path. PostgreSQL then took every match of the
    full-text index, in the whole database, read each one's row and only then kept its units':
    a Polres's search for a common phrase read the pages of a Polda's million visits (6.7 s
    from disk, by EXPLAIN ANALYZE). Given the ids as values, it crosses the full-text index with
    the index on the unit first and reads only its own rows; when the ids are most of the
    units, its statistics say so and it keeps the full-text index alone. The result is the
    same: the ids are those that the gate lets through.

    benchmarks/search_narrowing.py, on a generated Jawa Tengah (1 million visits), the count
    and first page of each phrase, as the gate wrote it against with the ids: a Polres's visits
    0.30 to 1.7 s against 0.03 to 0.38 s, its concerns 33 to 85 ms against 4 to 16; a Polsek's
    visits 22 to 105 ms against 9 to 17. Where the subtree is every unit (the Polda of a
    database holding one), the list only costs (1.2 to 2 times the time), and is left out."""
    from patroli.core.access import gated_subtree
    from patroli.units.models import Unit

    root = gated_subtree(queryset)
    if root is None:
        return queryset
    # The ids and the search from the same database (a replica's ids, then the search on the
    # primary after a write, could miss a unit made in between). A unit made between the two
    # statements of a request is left out of that search: its records are seconds old.
    database = queryset.db
    queryset = queryset.using(database)
    units = Unit.objects.using(database).order_by()
    if root.count("/") == 1 and not units.exclude(path__startswith=root).exists():
        return queryset  # a top unit, and no other: every unit of the database
    ids = list(units.filter(path__startswith=root).values_list("pk", flat=True))
    column = queryset.model._meta.get_field(queryset.model.access_unit_field).attname
    return queryset.filter(**{f"{column}__in": ids})


class _Vector(Expression):
    """The searched model's stored ``search_vector``: a column of the query's own table, found
    when the query resolves it (a subquery's table is renamed, and an ORDER BY is resolved
    only when compiled, after the renaming)."""

    def __init__(self, model: type[DjangoModel]):
        super().__init__(output_field=Field())  # a tsvector, never read back
        self.model = model

    def resolve_expression(self, query=None, *args, **kwargs):
        field = Field()  # not a field of the model: the ORM never reads or writes it
        field.set_attributes_from_name(PG_VECTOR)
        field.model = self.model
        return Col(query.get_initial_alias(), field)


class _Sql(Func):
    """SQL around compiled expressions, followed by ``params`` for its own placeholders."""

    def __init__(self, *expressions, template: str, params=(), arg_joiner=", ", output_field):
        super().__init__(*expressions, output_field=output_field)
        self.template = template
        self.arg_joiner = arg_joiner
        self.params = tuple(params)

    def as_sql(self, compiler, connection, **extra_context):
        sql, params = super().as_sql(compiler, connection, **extra_context)
        return sql, (*params, *self.params)


# The indexes ------------------------------------------------------------------------------


def fts_table(table: str) -> str:
    return f"{table}_fts"


def _rowid_keyed(model: type[DjangoModel]) -> bool:
    """An integer primary key is the FTS5 rowid; any other is stored in a ``ref`` column
    (a rowid that is not an INTEGER PRIMARY KEY may change on VACUUM)."""
    return isinstance(model._meta.pk, (AutoField, BigAutoField))


def install_index(
    connection, model: type[DjangoModel], columns: tuple[str, ...], *, stored: bool = True
) -> None:
    """Create the search index of ``model`` (a historical model in migrations) if missing.

    PostgreSQL: the stored column ``search_vector``, the document of ``columns``, and its GIN
    index (an index on the document itself, as before, is dropped); with ``stored=False``, as
    the first migrations made it, a GIN index on the document itself. SQLite: the FTS5 table
    over ``search_stems``, filled from the table, and its triggers. Safe to run again.

    On PostgreSQL, adding the column rewrites the table under an exclusive lock: on the
    generated country, 8 minutes for its ten million visits and two million concerns
    (docs/admin-guide.md).
    """
    table = model._meta.db_table
    quote = connection.ops.quote_name
    if connection.vendor == "postgresql":
        text = " || ' ' || ".join(quote(c) for c in columns)
        document = _PG_DOCUMENT.format(text=text)
        with connection.cursor() as cursor:
            if not stored:
                cursor.execute(
                    f"CREATE INDEX IF NOT EXISTS {quote(table + '_fulltext')} ON {quote(table)} "
                    f"USING gin ({document})"
                )
                return
            cursor.execute(f"DROP INDEX IF EXISTS {quote(table + '_fulltext')}")
            cursor.execute(
                f"ALTER TABLE {quote(table)} ADD COLUMN IF NOT EXISTS {PG_VECTOR} tsvector "
                f"GENERATED ALWAYS AS ({document}) STORED"
            )
            cursor.execute(
                f"CREATE INDEX IF NOT EXISTS {quote(table + '_search')} ON {quote(table)} "
                f"USING gin ({PG_VECTOR})"
            )
    elif connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            for statement in _sqlite_ddl(model, quote):
                cursor.execute(statement)


def install_document_index(connection, model: type[DjangoModel], columns: tuple[str, ...]):
    """PostgreSQL: the search index as it was before ``search_vector``, a GIN index on the
    document itself, in place of the column (what the migrations adding it go back to)."""
    if connection.vendor == "postgresql":
        uninstall_index(connection, model)
        install_index(connection, model, columns, stored=False)


def storing_migration(app_label: str, model_name: str, columns: tuple[str, ...]):
    """The migration step that stores a model's document in ``search_vector`` on PostgreSQL
    (nothing on SQLite), and back: ``concerns.0008``, ``newsroom.0003``, ``patrols.0014``."""
    from django.db.migrations import RunPython

    def store(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            model = apps.get_model(app_label, model_name)
            install_index(schema_editor.connection, model, columns)

    def unstore(apps, schema_editor):
        model = apps.get_model(app_label, model_name)
        install_document_index(schema_editor.connection, model, columns)

    return RunPython(store, unstore)


def restemming_migration(app_label: str, model_name: str, columns: tuple[str, ...]):
    """The migration step that writes again, on SQLite, each ``search_stems`` that is not the
    stems of its record's ``columns`` (nothing on PostgreSQL, which searches a document of its
    own, made from the text). Before this step's release (December 2026) a server's threads
    shared one stemmer, which now and then mixed their words up: a record stored then could be
    missed by a search. The full-text table follows through its trigger. Safe to run again.
    ``columns`` are the model's ``search_columns`` when the migration was written."""
    from django.db.migrations import RunPython

    def restem(apps, schema_editor):
        connection = schema_editor.connection
        if connection.vendor != "sqlite":
            return
        model = apps.get_model(app_label, model_name)
        quote = connection.ops.quote_name
        table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
        texts = ", ".join(quote(model._meta.get_field(name).column) for name in columns)
        read = f"SELECT {pk}, search_stems, {texts} FROM {table}"  # noqa: S608
        write = f"UPDATE {table} SET search_stems = %s WHERE {pk} = %s"  # noqa: S608
        rows = [(None,)]
        with connection.cursor() as cursor:
            while rows:  # in the order of the keys, 5,000 rows a read
                after = "" if rows[-1][0] is None else f" WHERE {pk} > %s"
                params = [] if rows[-1][0] is None else [rows[-1][0]]
                cursor.execute(f"{read}{after} ORDER BY {pk} LIMIT 5000", params)
                rows = cursor.fetchall()
                wrong = [
                    (stems, key)
                    for key, stored, *text in rows
                    if (stems := stems_column(*(part or "" for part in text))) != stored
                ]
                cursor.executemany(write, wrong)

    return RunPython(restem, RunPython.noop)


def uninstall_index(connection, model: type[DjangoModel]) -> None:
    table = model._meta.db_table
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"DROP INDEX IF EXISTS {quote(table + '_fulltext')}")
            cursor.execute(f"DROP INDEX IF EXISTS {quote(table + '_search')}")
            cursor.execute(f"ALTER TABLE {quote(table)} DROP COLUMN IF EXISTS {PG_VECTOR}")
        elif connection.vendor == "sqlite":
            for event in ("insert", "update", "delete"):
                cursor.execute(f"DROP TRIGGER IF EXISTS {quote(f'{fts_table(table)}_{event}')}")
            cursor.execute(f"DROP TABLE IF EXISTS {quote(fts_table(table))}")


def _sqlite_ddl(model, quote) -> list[str]:
    """The FTS5 table, refilled from the model's table, and the triggers that keep it.

    A regular FTS5 table, holding its own copy of the stems: deleting from it needs no old
    values (external-content and contentless tables are corrupted by a delete whose values
    differ from what was indexed, which can happen after the triggers went missing).
    """
    table = model._meta.db_table
    fts = quote(fts_table(table))
    pk = quote(model._meta.pk.column)
    name = quote(table)
    if _rowid_keyed(model):
        create = f"CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5(search_stems)"
        insert = f"INSERT INTO {fts}(rowid, search_stems) VALUES (new.{pk}, new.search_stems);"
        delete = f"DELETE FROM {fts} WHERE rowid = old.{pk};"
        fill = f"INSERT INTO {fts}(rowid, search_stems) SELECT {pk}, search_stems FROM {name}"
        rank = "bm25(1.0)"
    else:
        create = f"CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5(search_stems, ref)"
        insert = f"INSERT INTO {fts}(search_stems, ref) VALUES (new.search_stems, new.{pk});"
        delete = f"DELETE FROM {fts} WHERE {fts} MATCH 'ref:\"' || old.{pk} || '\"';"
        fill = f"INSERT INTO {fts}(search_stems, ref) SELECT search_stems, {pk} FROM {name}"
        rank = "bm25(1.0, 0.0)"  # the ref column does not count
    trigger = quote(fts_table(table) + "_{}").format
    return [
        create,
        f"DELETE FROM {fts}",
        fill,
        f"INSERT INTO {fts}({fts}, rank) VALUES ('rank', '{rank}')",
        f"CREATE TRIGGER IF NOT EXISTS {trigger('insert')} AFTER INSERT ON {name} "
        f"BEGIN {insert} END",
        f"CREATE TRIGGER IF NOT EXISTS {trigger('update')} AFTER UPDATE OF search_stems "
        f"ON {name} WHEN old.search_stems IS NOT new.search_stems BEGIN {delete} {insert} END",
        f"CREATE TRIGGER IF NOT EXISTS {trigger('delete')} AFTER DELETE ON {name} "
        f"BEGIN {delete} END",
    ]


def searchable_models() -> list[type[DjangoModel]]:
    from django.apps import apps

    return [m for m in apps.get_models() if getattr(m, "search_columns", None)]


def _sqlite_names(connection) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')")
        return {row[0] for row in cursor.fetchall()}


def _sqlite_triggers(model: type[DjangoModel]) -> set[str]:
    table = fts_table(model._meta.db_table)
    return {f"{table}_{event}" for event in ("insert", "update", "delete")}


def sqlite_index_intact(connection, model: type[DjangoModel]) -> bool:
    """Whether the FTS5 table and its three triggers exist."""
    wanted = {fts_table(model._meta.db_table), *_sqlite_triggers(model)}
    return wanted <= _sqlite_names(connection)


def repair_sqlite_indexes(*, using: str = "default", **kwargs) -> None:
    """Put back the triggers of SQLite search tables, and refill those tables (after migrate).

    On SQLite, a migration that changes a table in a way ALTER TABLE cannot (adding a NOT NULL
    column, altering a field) copies it into a new table: its triggers are dropped with the old
    one, and the search index would silently stop following new rows. A search table that does
    not exist is left alone: its migration has not run (or was reversed).
    """
    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    names = _sqlite_names(connection)
    for model in searchable_models():
        if fts_table(model._meta.db_table) in names and not _sqlite_triggers(model) <= names:
            install_index(connection, model, model.search_columns)
