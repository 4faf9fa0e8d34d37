"""Site.latest_visit_at: the start of the site's latest visit, filled from the visits."""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def fill(apps, schema_editor):
    Site = apps.get_model("sites", "Site")
    Visit = apps.get_model("patrols", "Visit")
    db = schema_editor.connection.alias
    last = Visit.objects.using(db).filter(site=OuterRef("pk")).order_by("-started_at")
    Site.objects.using(db).update(latest_visit_at=Subquery(last.values("started_at")[:1]))


class Migration(migrations.Migration):
    dependencies = [
        ("sites", "0002_initial"),
        ("patrols", "0009_visit_search"),
    ]

    operations = [
        migrations.AddField(
            model_name="site",
            name="latest_visit_at",
            field=models.DateTimeField(
                blank=True, editable=False, null=True, verbose_name="latest visit"
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
    ]
