from django.db import migrations

from patroli.core import search


class Migration(migrations.Migration):
    """SQLite: the stems of every visit written again where a shared stemmer mixed them up
    (core/search.py, restemming_migration). PostgreSQL: nothing."""

    dependencies = [
        ("patrols", "0014_search_vector"),
    ]

    operations = [
        search.restemming_migration("patrols", "Visit", ("search_text",)),
    ]
