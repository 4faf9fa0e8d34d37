"""/api/v1/sites: a user sees and creates the sites of its own unit's subtree only."""

import pytest
from django.test import Client

from patroli.sites.models import Site

NEW_TPS = {
    "name": "TPS 002 Desa Bumi Harapan",
    "kind": "tps",
    "village": "64.09.04.2004",
    "lat": -0.9241,
    "lng": 116.5832,
    "address": "Jl. Poros Sepaku",
    "tps_number": 2,
    "voters": 326,
}


def ids(response) -> set[int]:
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"items", "count"}
    assert body["count"] == len(body["items"])
    return {item["id"] for item in body["items"]}


def post(client, payload):
    return client.post("/api/v1/sites", payload, content_type="application/json")


def error_locs(response) -> list[list]:
    assert response.status_code == 422
    return [error["loc"] for error in response.json()["detail"]]


def test_officer_sees_only_its_units_sites(world, api):
    response = api(world.officer).get("/api/v1/sites")

    assert ids(response) == {world.pps_bumi.pk, world.tps_bumi.pk}
    assert world.pps_penajam.pk not in ids(response)


def test_sibling_units_officer_sees_only_its_own(world, api):
    assert ids(api(world.other_officer).get("/api/v1/sites")) == {world.pps_penajam.pk}


@pytest.mark.parametrize("who", ["commander", "humas", "admin"])
def test_polres_and_admin_see_both_polseks_sites(world, api, who):
    response = api(getattr(world, who)).get("/api/v1/sites")

    assert ids(response) == {world.pps_bumi.pk, world.tps_bumi.pk, world.pps_penajam.pk}


def test_user_without_unit_sees_nothing(world, api):
    assert api(world.no_unit).get("/api/v1/sites").json() == {"items": [], "count": 0}


def test_list_item_shape(world, api):
    body = api(world.officer).get("/api/v1/sites", {"kind": "tps"}).json()

    assert body["count"] == 1
    assert body["items"][0] == {
        "id": world.tps_bumi.pk,
        "name": "TPS 001 Desa Bumi Harapan",
        "kind": "tps",
        "kind_label": str(Site.Kind.TPS.label),
        "village": "64.09.04.2004",
        "village_name": "Bumi Harapan",
        "unit": world.sepaku.pk,
        "lat": None,
        "lng": None,
        "address": "",
        "tps_number": 1,
        "voters": 326,
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "tps"}, {"tps_bumi"}),
        ({"q": "kantor PPS"}, {"pps_bumi", "pps_penajam"}),
        ({"q": "pps bumi"}, {"pps_bumi"}),
        ({"q": "tidak ada"}, set()),
        ({"village": "64.09.01.1003"}, {"pps_penajam"}),
        ({"village": "64.09.04.2004"}, {"pps_bumi", "tps_bumi"}),
        ({"kind": "pps_office"}, {"pps_bumi", "pps_penajam"}),
        ({"kind": "market"}, set()),
        ({"kind": "pps_office", "village": "64.09.04.2004"}, {"pps_bumi"}),
    ],
)
def test_filters(world, api, params, expected):
    response = api(world.commander).get("/api/v1/sites", params)

    assert ids(response) == {getattr(world, name).pk for name in expected}


def test_filters_do_not_widen_the_scope(world, api):
    response = api(world.officer).get("/api/v1/sites", {"village": "64.09.01.1003"})

    assert ids(response) == set()


def test_one_site(world, api):
    response = api(world.officer).get(f"/api/v1/sites/{world.pps_bumi.pk}")

    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["name"], body["village"], body["unit"]) == (
        world.pps_bumi.pk,
        "Kantor PPS Desa Bumi Harapan",
        "64.09.04.2004",
        world.sepaku.pk,
    )
    assert (body["lat"], body["lng"]) == (pytest.approx(-0.923927), pytest.approx(116.583091))


def test_another_units_site_is_404(world, api):
    assert api(world.officer).get(f"/api/v1/sites/{world.pps_penajam.pk}").status_code == 404
    assert api(world.commander).get(f"/api/v1/sites/{world.pps_penajam.pk}").status_code == 200


def test_unknown_site_is_404(world, api):
    assert api(world.admin).get("/api/v1/sites/999999").status_code == 404


def test_create_derives_the_unit_from_the_village(world, api):
    client = api(world.officer)

    response = post(client, NEW_TPS)

    assert response.status_code == 201
    body = response.json()
    site = Site.objects.get(pk=body["id"])
    assert (site.name, site.kind, site.village_id, site.unit) == (
        "TPS 002 Desa Bumi Harapan",
        "tps",
        "64.09.04.2004",
        world.sepaku,
    )
    assert (site.address, site.tps_number, site.voters) == ("Jl. Poros Sepaku", 2, 326)
    assert body["unit"] == world.sepaku.pk
    assert body["village_name"] == "Bumi Harapan"
    assert client.get(f"/api/v1/sites/{site.pk}").status_code == 200


def test_create_by_the_polres_commander_goes_to_the_polsek(world, api):
    response = post(api(world.commander), NEW_TPS)

    assert response.status_code == 201
    assert response.json()["unit"] == world.sepaku.pk


def test_the_same_payload_again_is_200_and_no_duplicate(world, api):
    client = api(world.officer)
    first = post(client, NEW_TPS)
    count = Site.objects.count()

    again = post(client, NEW_TPS)

    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert Site.objects.count() == count
    assert Site.objects.filter(name=NEW_TPS["name"]).count() == 1


def test_the_same_site_with_new_values_updates_it(world, api):
    client = api(world.officer)
    first = post(client, NEW_TPS)

    again = post(client, {**NEW_TPS, "voters": 330})

    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert Site.objects.get(pk=first.json()["id"]).voters == 330


def test_invalid_kind_is_422_on_kind(world, api):
    response = post(api(world.officer), {**NEW_TPS, "kind": "gudang"})

    assert error_locs(response) == [["body", "payload", "kind"]]
    assert not Site.objects.filter(name=NEW_TPS["name"]).exists()


@pytest.mark.parametrize("village", ["64.09.04.9999", "64.09.04", "nonsense"])
def test_unknown_village_is_422_on_village(world, api, village):
    response = post(api(world.officer), {**NEW_TPS, "village": village})

    assert error_locs(response) == [["body", "payload", "village"]]
    assert not Site.objects.filter(name=NEW_TPS["name"]).exists()


def test_village_outside_the_users_jurisdiction_is_422(world, api):
    payload = {
        "name": "Kantor Desa Bukit Raya",
        "kind": "village_office",
        "village": "64.09.04.2002",
    }

    response = post(api(world.other_officer), payload)

    assert error_locs(response) == [["body", "payload", "village"]]
    assert not Site.objects.filter(name="Kantor Desa Bukit Raya").exists()


def test_a_unit_the_user_cannot_see_is_422_on_unit(world, api):
    response = post(api(world.officer), {**NEW_TPS, "unit": world.penajam.pk})

    assert error_locs(response) == [["body", "payload", "unit"]]
    assert not Site.objects.filter(name=NEW_TPS["name"]).exists()


def test_another_units_existing_site_cannot_be_overwritten(world, api):
    payload = {
        "name": "Kantor PPS Kelurahan Petung",
        "kind": "pps_office",
        "village": "64.09.01.1003",
        "unit": world.sepaku.pk,
        "address": "taken over",
    }

    response = post(api(world.officer), payload)

    # Refused before any lookup: Sepaku has no jurisdiction over a village of Penajam.
    assert response.status_code == 422
    world.pps_penajam.refresh_from_db()
    assert (world.pps_penajam.unit, world.pps_penajam.address) == (world.penajam, "")


@pytest.mark.parametrize(
    ("field", "value"),
    [("lat", 91), ("lng", -181), ("tps_number", 0), ("voters", -1), ("name", "X")],
)
def test_out_of_range_values_are_422_on_the_field(world, api, field, value):
    response = post(api(world.officer), {**NEW_TPS, field: value})

    assert error_locs(response) == [["body", "payload", field]]


def test_anonymous_is_401(world):
    client = Client()

    assert client.get("/api/v1/sites").status_code == 401
    assert client.get(f"/api/v1/sites/{world.pps_bumi.pk}").status_code == 401
    assert post(client, NEW_TPS).status_code == 401
    assert not Site.objects.filter(name=NEW_TPS["name"]).exists()


def test_a_unit_without_jurisdiction_over_the_village_is_422(world, api):
    # Sepaku's officer names his own unit for a village of Penajam.
    payload = {
        "name": "Pasar Petung",
        "kind": "market",
        "village": "64.09.01.1003",
        "unit": world.sepaku.pk,
    }
    response = post(api(world.officer), payload)
    assert response.status_code == 422
    assert [e["loc"][-1] for e in response.json()["detail"]] == ["unit"]
    # The Polres commander may name the Polres for it: the Polres covers the whole regency.
    payload["unit"] = world.polres.pk
    assert post(api(world.commander), payload).status_code == 201


def test_an_unchanged_site_is_not_written_again(world, api):
    payload = {"name": "Pasar Bumi Harapan", "kind": "market", "village": "64.09.04.2004"}
    assert post(api(world.officer), payload).status_code == 201
    from patroli.sites.models import Site

    before = Site.objects.get(name="Pasar Bumi Harapan").updated_at
    assert post(api(world.officer), payload).status_code == 200
    assert Site.objects.get(name="Pasar Bumi Harapan").updated_at == before
