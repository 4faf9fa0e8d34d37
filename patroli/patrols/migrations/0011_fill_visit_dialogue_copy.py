"""Fill Visit.response and Visit.attendees from the dialogues already stored.

Outside a transaction and in slices of dialogue ids on PostgreSQL: each slice commits on its own,
so the visits are never locked all at once (the app keeps recording and reading during the ten
minutes or so of a national database), and an interrupted run simply fills again when
``patroli migrate`` runs next (filling is idempotent)."""

from django.db import migrations

SLICE = 200_000  # dialogues per UPDATE


def fill(apps, schema_editor):
    Visit = apps.get_model("patrols", "Visit")
    Dialogue = apps.get_model("patrols", "Dialogue")
    connection = schema_editor.connection
    quote = connection.ops.quote_name
    visits, dialogues = quote(Visit._meta.db_table), quote(Dialogue._meta.db_table)
    if connection.vendor != "postgresql":
        # SQLite (one Polsek's visits): UPDATE ... FROM needs 3.33, Django 5.2 runs on 3.31.
        schema_editor.execute(
            f"UPDATE {visits} SET "  # noqa: S608
            f"response = (SELECT d.response FROM {dialogues} d WHERE d.visit_id = {visits}.id), "
            f"attendees = (SELECT d.attendees FROM {dialogues} d WHERE d.visit_id = {visits}.id) "
            f"WHERE id IN (SELECT visit_id FROM {dialogues})"
        )
        return
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT min(id), max(id) FROM {dialogues}")  # noqa: S608
        first, last = cursor.fetchone()
    if first is None:
        return
    for low in range(first, last + 1, SLICE):
        # A join, not a subquery per visit.
        schema_editor.execute(
            f"UPDATE {visits} SET response = d.response, attendees = d.attendees "  # noqa: S608
            f"FROM {dialogues} AS d WHERE d.visit_id = {visits}.id "
            "AND d.id >= %s AND d.id < %s",
            [low, low + SLICE],
        )


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("patrols", "0010_visit_dialogue_copy"),
    ]

    operations = [
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
    ]
