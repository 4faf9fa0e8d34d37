from django.db import migrations

from patroli.core import search


class Migration(migrations.Migration):
    """SQLite: the stems of every release written again where a shared stemmer mixed them up
    (core/search.py, restemming_migration). PostgreSQL: nothing."""

    dependencies = [
        ("newsroom", "0003_search_vector"),
    ]

    operations = [
        search.restemming_migration("newsroom", "Release", ("title", "body")),
    ]
