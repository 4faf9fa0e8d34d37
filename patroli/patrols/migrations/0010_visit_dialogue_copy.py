"""Visit.response and Visit.attendees: the dialogue's, copied for the dashboards; filled from the
dialogues already stored."""

from django.db import migrations, models


def fill(apps, schema_editor):
    Visit = apps.get_model("patrols", "Visit")
    Dialogue = apps.get_model("patrols", "Dialogue")
    quote = schema_editor.connection.ops.quote_name
    visits, dialogues = quote(Visit._meta.db_table), quote(Dialogue._meta.db_table)
    if schema_editor.connection.vendor == "postgresql":
        # A join, not a subquery per visit, for the ten million visits of a country.
        schema_editor.execute(
            f"UPDATE {visits} SET response = d.response, attendees = d.attendees "  # noqa: S608
            f"FROM {dialogues} AS d WHERE d.visit_id = {visits}.id"
        )
        return
    # SQLite (one Polsek's visits): UPDATE ... FROM needs 3.33, Django 5.2 runs on 3.31.
    schema_editor.execute(
        f"UPDATE {visits} SET "  # noqa: S608
        f"response = (SELECT d.response FROM {dialogues} AS d WHERE d.visit_id = {visits}.id), "
        f"attendees = (SELECT d.attendees FROM {dialogues} AS d WHERE d.visit_id = {visits}.id) "
        f"WHERE id IN (SELECT visit_id FROM {dialogues})"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("patrols", "0009_visit_search"),
    ]

    operations = [
        migrations.AddField(
            model_name="visit",
            name="attendees",
            field=models.PositiveIntegerField(
                blank=True, editable=False, null=True, verbose_name="number of attendees"
            ),
        ),
        migrations.AddField(
            model_name="visit",
            name="response",
            field=models.CharField(
                blank=True, editable=False, max_length=10, verbose_name="community response"
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
    ]
