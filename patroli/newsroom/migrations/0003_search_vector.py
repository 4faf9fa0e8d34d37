from django.db import migrations

from patroli.core import search


class Migration(migrations.Migration):
    """PostgreSQL: the document stored in search_vector, with its GIN index, in place of the
    GIN index on the document computed from the text (core/search.py). SQLite: nothing."""

    dependencies = [
        ("newsroom", "0002_fulltext"),
    ]

    operations = [
        search.storing_migration("newsroom", "Release", ("title", "body")),
    ]
