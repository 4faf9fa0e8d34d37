"""Incidents from the API, the web page and a visit; election stages through the API."""

import uuid

import pytest
from django.test import Client

from patroli.elections.models import Incident

pytestmark = pytest.mark.django_db


def body(**overrides):
    data = {
        "id": str(uuid.uuid4()),
        "kind": "money_politics",
        "severity": "yellow",
        "occurred_at": "2024-01-30T20:00:00+08:00",
        "description": "Pembagian sembako oleh tim sukses di RT 02.",
        "village": "64.09.04.2004",
    }
    data.update(overrides)
    return data


def post(client, data):
    return client.post("/api/v1/incidents", data, content_type="application/json")


def test_record_by_village_and_resend(world, api):
    client = api(world.officer)
    data = body()
    first = post(client, data)
    assert first.status_code == 201, first.content
    out = first.json()
    assert out["unit"] == world.sepaku.pk and out["election_related"] is True
    assert out["village"] == "64.09.04.2004" and out["site"] is None
    assert post(client, data).status_code == 200
    assert Incident.objects.count() == 1


def test_record_at_a_site(world, api):
    response = post(
        api(world.officer),
        body(site=world.pps_bumi.pk, village=None, kind="theft", severity="green"),
    )
    assert response.status_code == 201
    assert response.json()["site"] == world.pps_bumi.pk
    assert response.json()["election_related"] is False


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"kind": "riot"}, "kind"),
        ({"severity": "purple"}, "severity"),
        ({"village": "99.99.99.9999"}, "village"),
        ({"village": None}, "village"),
        ({"village": "64.09.01.1003"}, "village"),  # Penajam: not Sepaku's
        ({"occurred_at": "2099-01-01T00:00:00+08:00"}, "occurred_at"),
        ({"lat": -0.9}, "lon"),
    ],
)
def test_bad_input_names_the_field(world, api, overrides, field):
    response = post(api(world.officer), body(**overrides))
    assert response.status_code == 422
    assert field in [e["loc"][-1] for e in response.json()["detail"]]
    assert Incident.objects.count() == 0


def test_scoping(world, api):
    post(api(world.officer), body())
    post(api(world.other_officer), body(village="64.09.01.1003"))
    assert api(world.officer).get("/api/v1/incidents").json()["count"] == 1
    assert api(world.commander).get("/api/v1/incidents").json()["count"] == 2
    penajam = Incident.objects.get(unit=world.penajam)
    assert api(world.officer).get(f"/api/v1/incidents/{penajam.pk}").status_code == 404
    assert api(world.commander).get(f"/api/v1/incidents/{penajam.pk}").status_code == 200
    assert Client().get("/api/v1/incidents").status_code == 401


def test_incident_from_a_visit(world, api):
    response = api(world.officer).post(
        "/api/v1/visits",
        {
            "site": world.pps_bumi.pk,
            "started_at": "2024-02-14T09:00:00+08:00",
            "kind": "election_guard",
            "incidents": [
                {
                    "kind": "tps_disruption",
                    "severity": "red",
                    "description": "Keributan kecil di antrean pemilih.",
                }
            ],
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    incident = Incident.objects.get()
    assert incident.visit_id == uuid.UUID(response.json()["id"])
    assert incident.site == world.pps_bumi and incident.severity == "red"
    assert response.json()["incidents"][0]["kind"] == "tps_disruption"


def test_web_page_records_and_lists(world):
    client = Client()
    client.force_login(world.officer)
    assert client.get("/app/insiden/").status_code == 200
    response = client.post(
        "/app/insiden/",
        {
            "client_id": str(uuid.uuid4()),
            "kind": "clash",
            "severity": "red",
            "occurred_at": "2024-02-10T21:00",
            "site": world.tps_bumi.pk,
            "description": "Dua kelompok pendukung saling ejek di dekat TPS.",
        },
    )
    assert response.status_code == 302
    assert Incident.objects.get().unit == world.sepaku
    other = Client()
    other.force_login(world.other_officer)
    assert "saling ejek" not in other.get("/app/insiden/").content.decode()


def test_stages_mark_the_current_one(world, api):
    items = api(world.officer).get("/api/v1/stages?on=2024-01-23").json()
    current = [s["name"] for s in items if s["current"]]
    assert current == ["Masa kampanye Pemilu 2024"]
    quiet = api(world.officer).get("/api/v1/stages?on=2024-02-12").json()
    assert [s["kind"] for s in quiet if s["current"]] == ["quiet"]
