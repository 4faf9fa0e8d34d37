"""Visit.response and Visit.attendees: the dialogue's, copied onto the visit for the dashboards,
true whichever way the dialogue is written."""

import importlib
import io
import uuid

import pytest
from django.apps import apps as live_apps
from django.core.management import call_command
from django.db import connection

from patroli.patrols.models import Dialogue, Visit

pytestmark = pytest.mark.django_db


def copies(visit_id) -> tuple[str, int | None]:
    return Visit.objects.values_list("response", "attendees").get(pk=visit_id)


def post(client, site, dialogue=None) -> str:
    body = {"id": str(uuid.uuid4()), "site": site.pk, "started_at": "2024-01-23T10:00:00+08:00"}
    if dialogue is not None:
        body["dialogue"] = dialogue
    response = client.post("/api/v1/visits", body, content_type="application/json")
    assert response.status_code == 201, response.json()
    return body["id"]


def test_the_services_copy_the_dialogue_and_leave_none_without_one(world, api):
    client = api(world.officer)
    said = post(client, world.pps_bumi, {"attendees": 12, "response": "negative"})
    silent = post(client, world.pps_bumi)
    assert copies(said) == ("negative", 12)
    assert copies(silent) == ("", None)
    synced = str(uuid.uuid4())
    body = {
        "visits": [
            {
                "id": synced,
                "site": world.pps_bumi.pk,
                "started_at": "2024-01-23T12:00:00+08:00",
                "dialogue": {"attendees": 4, "response": "neutral"},
            }
        ]
    }
    assert client.post("/api/v1/sync", body, content_type="application/json").status_code == 200
    assert copies(synced) == ("neutral", 4)


def test_a_dialogue_written_one_by_one_updates_its_visit(world, api):
    visit_id = post(api(world.officer), world.pps_bumi)
    dialogue = Dialogue.objects.create(visit_id=visit_id, attendees=7, response="positive")
    assert copies(visit_id) == ("positive", 7)
    dialogue.response, dialogue.attendees = "neutral", 9  # the admin corrects it
    dialogue.save()
    assert copies(visit_id) == ("neutral", 9)
    other = post(api(world.officer), world.pps_bumi)
    dialogue.visit_id = other  # moved to another visit (the admin's raw id field)
    dialogue.save()
    assert copies(other) == ("neutral", 9)
    assert copies(visit_id) == ("", None)
    dialogue.delete()
    assert copies(other) == ("", None)


class Editor:
    """What ``fill`` uses of the schema editor (SQLite's own refuses to open inside the test's
    transaction)."""

    connection = connection

    def execute(self, sql: str, params=()) -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)


def test_the_migration_fills_the_visits_stored_before(world, api):
    said = post(api(world.officer), world.pps_bumi, {"attendees": 21, "response": "positive"})
    silent = post(api(world.officer), world.pps_bumi)
    Visit.objects.update(response="", attendees=None)  # as before the migration
    migration = importlib.import_module("patroli.patrols.migrations.0011_fill_visit_dialogue_copy")
    migration.fill(live_apps, Editor())
    assert copies(said) == ("positive", 21)
    assert copies(silent) == ("", None)


def test_the_refresh_command_fills_them_after_a_load_around_the_app(world, api):
    said = post(api(world.officer), world.pps_bumi, {"attendees": 5, "response": "neutral"})
    Visit.objects.update(response="", attendees=None)  # as after loaddata of an older dump
    out = io.StringIO()
    call_command("refresh_latest_visits", stdout=out)
    assert copies(said) == ("neutral", 5)
    assert "visits: 1 refreshed" in out.getvalue()
