"""GET /api/v1/regions: one region by code, children of a parent, and name search."""

import pytest
from django.test import Client

SEPAKU_VILLAGES = [
    "64.09.04.1005",
    "64.09.04.1006",
    "64.09.04.1007",
    "64.09.04.1008",
    "64.09.04.2001",
    "64.09.04.2002",
    "64.09.04.2003",
    "64.09.04.2004",
    "64.09.04.2009",
    "64.09.04.2010",
    "64.09.04.2011",
    "64.09.04.2012",
    "64.09.04.2013",
    "64.09.04.2014",
    "64.09.04.2015",
]


def test_one_region_by_code(world, api):
    response = api(world.officer).get("/api/v1/regions/64.09.04.2004")

    assert response.status_code == 200
    assert response.json() == {
        "code": "64.09.04.2004",
        "name": "Bumi Harapan",
        "level": "village",
        "kind": "desa",
        "parent": "64.09.04",
        "lat": pytest.approx(-0.923927),
        "lng": pytest.approx(116.583091),
        "postal_code": "76147",
        "ancestors": [
            {"code": "64", "name": "Kalimantan Timur", "level": "province"},
            {"code": "64.09", "name": "Kabupaten Penajam Paser Utara", "level": "regency"},
            {"code": "64.09.04", "name": "Sepaku", "level": "district"},
        ],
    }


def test_levels_are_named(world, api):
    client = api(world.officer)

    levels = [
        client.get(f"/api/v1/regions/{code}").json()["level"]
        for code in ["64", "64.09", "64.09.04"]
    ]

    assert levels == ["province", "regency", "district"]
    assert client.get("/api/v1/regions/64").json()["parent"] is None


@pytest.mark.parametrize("code", ["64.09.04.9999", "99", "not-a-code"])
def test_unknown_code_is_404(world, api, code):
    assert api(world.officer).get(f"/api/v1/regions/{code}").status_code == 404


def test_children_of_a_parent(world, api):
    response = api(world.officer).get("/api/v1/regions", {"parent": "64.09.04"})

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 15
    assert [r["code"] for r in body["items"]] == SEPAKU_VILLAGES
    assert {r["parent"] for r in body["items"]} == {"64.09.04"}
    assert {r["level"] for r in body["items"]} == {"village"}
    assert "Bumi Harapan" in [r["name"] for r in body["items"]]


def test_without_parent_lists_provinces(world, api):
    response = api(world.officer).get("/api/v1/regions")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert [(r["code"], r["name"], r["level"]) for r in body["items"]] == [
        ("64", "Kalimantan Timur", "province")
    ]


@pytest.mark.parametrize(
    "query", ["bumi harapan", "BUMI hárapan", "harapan", "  Bumi   HARAPAN  ", "bumi harap"]
)
def test_search_is_case_and_accent_insensitive(world, api, query):
    response = api(world.officer).get("/api/v1/regions", {"q": query})

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert body["items"][0]["code"] == "64.09.04.2004"


def test_search_needs_every_word(world, api):
    response = api(world.officer).get("/api/v1/regions", {"q": "bumi raya"})

    assert response.json() == {"items": [], "count": 0}


def test_search_within_a_parent(world, api):
    client = api(world.officer)

    in_sepaku = client.get("/api/v1/regions", {"q": "sepaku", "parent": "64.09"}).json()
    in_penajam = client.get("/api/v1/regions", {"q": "sepaku", "parent": "64.09.01"}).json()

    # The district Sepaku and its kelurahan Sepaku.
    assert [r["code"] for r in in_sepaku["items"]] == ["64.09.04", "64.09.04.1005"]
    assert in_penajam["count"] == 0


def test_search_by_level(world, api):
    body = api(world.officer).get("/api/v1/regions", {"q": "sepaku", "level": 3}).json()

    assert [r["code"] for r in body["items"]] == ["64.09.04"]


@pytest.mark.parametrize("url", ["/api/v1/regions", "/api/v1/regions/64.09.04.2004"])
def test_anonymous_is_401(world, url):
    assert Client().get(url).status_code == 401


def test_bad_token_is_401(world):
    client = Client(headers={"Authorization": "Bearer not-a-token"})

    assert client.get("/api/v1/regions").status_code == 401


def test_detail_lists_the_ancestors_province_first(world, api):
    body = api(world.officer).get("/api/v1/regions/64.09.04.2004").json()
    assert [(a["code"], a["level"]) for a in body["ancestors"]] == [
        ("64", "province"),
        ("64.09", "regency"),
        ("64.09.04", "district"),
    ]
