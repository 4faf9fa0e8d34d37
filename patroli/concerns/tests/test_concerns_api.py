"""/api/v1/concerns: the scoped queue with its filters, recording, transitions and history."""

import uuid
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from patroli.concerns.models import Category, Concern, ConcernEvent
from patroli.concerns.services import assign_concern, move_concern, open_concern
from patroli.regions.models import Region

pytestmark = pytest.mark.django_db

Status = Concern.Status
BUMI_HARAPAN = "64.09.04.2004"  # Polsek Sepaku
SEPAKU = "64.09.04.1005"  # Polsek Sepaku
PETUNG = "64.09.01.1003"  # Polsek Penajam
JSON = "application/json"


def concern_in(village, category="hoaks", source=Concern.Source.STAFF, **fields):
    return open_concern(
        source=source,
        category=Category.objects.get(code=category),
        description=fields.pop("description", "Pesan berantai soal TPS dipindah."),
        village=Region.objects.get(code=village),
        **fields,
    )


def ids(response):
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == len(body["items"])
    return {item["id"] for item in body["items"]}


def locs(response):
    assert response.status_code == 422, response.content
    return [tuple(error["loc"][-1:]) for error in response.json()["detail"]]


@pytest.fixture
def queue(world):
    return {
        "bumi": concern_in(BUMI_HARAPAN, "politik-uang", description="Pembagian sembako di RT 3."),
        "sepaku": concern_in(SEPAKU, "hoaks", source=Concern.Source.PATROL),
        "web": concern_in(BUMI_HARAPAN, "listrik", source=Concern.Source.WEB),
        "petung": concern_in(PETUNG, "politik-uang", description="Pembagian sembako di pasar."),
    }


# The list -----------------------------------------------------------------------------------


def test_list_is_scoped_to_the_users_units(world, api, queue):
    sepaku = {queue[k].pk for k in ("bumi", "sepaku", "web")}
    everything = {c.pk for c in queue.values()}
    assert ids(api(world.officer).get("/api/v1/concerns")) == sepaku
    assert ids(api(world.kapolsek).get("/api/v1/concerns")) == sepaku
    assert ids(api(world.other_officer).get("/api/v1/concerns")) == {queue["petung"].pk}
    assert ids(api(world.commander).get("/api/v1/concerns")) == everything
    assert ids(api(world.admin).get("/api/v1/concerns")) == everything
    assert ids(api(world.no_unit).get("/api/v1/concerns")) == set()


def test_every_field_of_a_concern_comes_from_a_column_or_the_model():
    """A field added to ConcernOut without its column (or its rule) fails here, not as a 500."""
    from patroli.concerns.api import _COLUMNS, ConcernOut

    worked_out = {"status_label", "overdue", "allowed_transitions"}
    assert set(_COLUMNS) | worked_out == set(ConcernOut.model_fields)
    assert not set(_COLUMNS) & worked_out


def test_pages_of_the_list(world, api, queue):
    client = api(world.commander)
    whole = client.get("/api/v1/concerns").json()
    first = client.get("/api/v1/concerns", {"limit": 3}).json()
    rest = client.get("/api/v1/concerns", {"limit": 3, "offset": 3}).json()
    assert whole["count"] == first["count"] == rest["count"] == 4
    assert (len(first["items"]), len(rest["items"])) == (3, 1)
    assert first["items"] + rest["items"] == whole["items"]
    beyond = client.get("/api/v1/concerns", {"offset": 10}).json()
    assert beyond == {"items": [], "count": 4}


def test_list_item_shape(world, api, queue):
    body = api(world.officer).get("/api/v1/concerns", {"village": BUMI_HARAPAN}).json()
    item = next(i for i in body["items"] if i["id"] == queue["bumi"].pk)
    assert item["tracking_code"] == queue["bumi"].tracking_code
    assert item["status"] == "received" and item["status_label"] == "diterima"
    assert item["category"] == "politik-uang"
    assert item["village"] == BUMI_HARAPAN and item["village_name"] == "Bumi Harapan"
    assert item["unit"] == world.sepaku.pk
    assert item["allowed_transitions"] == list(Concern.TRANSITIONS[Status.RECEIVED])
    assert item["overdue"] is False


def test_list_items_say_what_each_concern_says(world, api, queue):
    """The list is answered as built, not checked against ConcernOut item by item
    (core.pagination.answered): each item must be the concern's own answer, which is checked,
    field for field, with every optional field filled in on one of them."""
    bumi, sepaku = queue["bumi"], queue["sepaku"]
    Concern.objects.filter(pk=bumi.pk).update(
        site=world.pps_bumi, lat=-0.92, lon=116.58, address="Jl. Poros", rating=4
    )
    assign_concern(concern=bumi, actor=world.kapolsek, unit=world.sepaku, officer=world.officer)
    for status in (Status.VERIFIED, Status.IN_PROGRESS, Status.RESOLVED):
        move_concern(concern=bumi, actor=world.kapolsek, to_status=status)
    move_concern(
        concern=sepaku, actor=world.kapolsek, to_status=Status.DUPLICATE, duplicate_of=bumi
    )
    client = api(world.commander)
    items = client.get("/api/v1/concerns").json()["items"]
    assert len(items) == 4
    for item in items:
        assert item == client.get(f"/api/v1/concerns/{item['id']}").json()
    filled = next(item for item in items if item["id"] == bumi.pk)
    assert None not in {filled[name] for name in ("site", "assigned_to", "lat", "resolved_at")}
    assert next(item for item in items if item["id"] == sepaku.pk)["duplicate_of"] == bumi.pk


def test_filter_by_status_repeatable(world, api, queue):
    client = api(world.commander)
    move_concern(concern=queue["bumi"], actor=world.kapolsek, to_status=Status.VERIFIED)
    move_concern(concern=queue["petung"], actor=world.commander, to_status=Status.REJECTED)
    assert ids(client.get("/api/v1/concerns?status=verified")) == {queue["bumi"].pk}
    assert ids(client.get("/api/v1/concerns?status=verified&status=rejected")) == {
        queue["bumi"].pk,
        queue["petung"].pk,
    }
    assert ids(client.get("/api/v1/concerns?status=received")) == {
        queue["sepaku"].pk,
        queue["web"].pk,
    }


def test_filter_by_category_village_and_source(world, api, queue):
    client = api(world.commander)
    get = client.get
    assert ids(get("/api/v1/concerns", {"category": "politik-uang"})) == {
        queue["bumi"].pk,
        queue["petung"].pk,
    }
    assert ids(get("/api/v1/concerns", {"village": BUMI_HARAPAN})) == {
        queue["bumi"].pk,
        queue["web"].pk,
    }
    # A district code selects every village in it.
    assert ids(get("/api/v1/concerns", {"village": "64.09.04"})) == {
        queue[k].pk for k in ("bumi", "sepaku", "web")
    }
    assert ids(get("/api/v1/concerns", {"village": "64.09.01"})) == {queue["petung"].pk}
    assert ids(get("/api/v1/concerns", {"source": "patrol"})) == {queue["sepaku"].pk}
    assert ids(get("/api/v1/concerns", {"source": "web"})) == {queue["web"].pk}
    assert ids(get("/api/v1/concerns", {"category": "politik-uang", "village": "64.09.04"})) == {
        queue["bumi"].pk
    }


def test_filter_overdue(world, api, queue):
    past = timezone.now() - timedelta(hours=1)
    Concern.objects.filter(pk__in=[queue["bumi"].pk, queue["petung"].pk]).update(due_at=past)
    Concern.objects.filter(pk=queue["web"].pk).update(due_at=past, status=Status.RESOLVED)
    client = api(world.commander)
    assert ids(client.get("/api/v1/concerns", {"overdue": "true"})) == {
        queue["bumi"].pk,
        queue["petung"].pk,
    }
    assert ids(api(world.officer).get("/api/v1/concerns", {"overdue": "true"})) == {
        queue["bumi"].pk
    }
    assert len(ids(client.get("/api/v1/concerns", {"overdue": "false"}))) == 4
    body = client.get("/api/v1/concerns", {"overdue": "true"}).json()
    assert all(item["overdue"] for item in body["items"])
    every = {item["id"]: item for item in client.get("/api/v1/concerns").json()["items"]}
    assert every[queue["web"].pk]["overdue"] is False  # past its due time, but resolved
    assert every[queue["web"].pk]["allowed_transitions"] == ["closed", "reopened"]


@pytest.mark.parametrize("q", ["membagikan", "bagi", "pembagian", "Pembagian sembako", "SEMBAKO"])
def test_search_finds_indonesian_word_forms(world, api, queue, q):
    assert ids(api(world.commander).get("/api/v1/concerns", {"q": q})) == {
        queue["bumi"].pk,
        queue["petung"].pk,
    }
    assert ids(api(world.officer).get("/api/v1/concerns", {"q": q})) == {queue["bumi"].pk}


def test_a_page_of_a_search_keeps_its_order(world, api, queue):
    """The page is read as its keys, in the search's order, then their rows (core.pagination
    .Built): the rows come back in the keys' order, best match first, not in the table's."""
    from patroli.core.search import full_text_search

    texts = [
        "Sembako dibagikan.",  # short: the best match
        "Sembako di pasar, sembako di balai desa, sembako di rumah ketua RT.",
        "Warga melapor ada pembagian sembako oleh tim sukses di dekat TPS 003 pada malam hari.",
    ]
    for text in texts:
        concern_in(BUMI_HARAPAN, "politik-uang", description=text)
    client = api(world.commander)
    expected = list(full_text_search(Concern.objects.all(), "sembako").values_list("pk", flat=True))
    assert len(expected) == 5 and expected not in (sorted(expected), sorted(expected)[::-1])
    whole = [
        item["id"] for item in client.get("/api/v1/concerns", {"q": "sembako"}).json()["items"]
    ]
    assert whole == expected
    second = client.get("/api/v1/concerns", {"q": "sembako", "limit": 2, "offset": 2}).json()
    assert [item["id"] for item in second["items"]] == expected[2:4]
    assert second["count"] == 5


def test_a_page_is_read_in_slices_the_database_can_bind(world, api, queue, monkeypatch):
    """A page of up to 1,000 keys is read back in slices of what the database binds at once
    (999 parameters on an old SQLite), in the same order."""
    from django.db import connection

    client = api(world.commander)
    whole = client.get("/api/v1/concerns").json()
    monkeypatch.setattr(connection.features, "max_query_params", 101)  # slices of two keys
    sliced = client.get("/api/v1/concerns").json()
    assert sliced == whole and len(whole["items"]) == 4


def test_search_needs_every_word(world, api, queue):
    client = api(world.commander)
    assert ids(client.get("/api/v1/concerns", {"q": "pembagian pasar"})) == {queue["petung"].pk}
    assert ids(client.get("/api/v1/concerns", {"q": "bagi narkoba"})) == set()
    assert ids(client.get("/api/v1/concerns", {"q": "sembak"})) == set()


def test_a_tracking_code_finds_its_concern_among_those_the_user_sees(world, api, queue):
    code = queue["petung"].tracking_code
    for q in (code, code.lower(), f"{code[:4]}-{code[4:]}", f" {code[:4]} {code[4:]} "):
        assert ids(api(world.commander).get("/api/v1/concerns", {"q": q})) == {queue["petung"].pk}
    assert ids(api(world.officer).get("/api/v1/concerns", {"q": code})) == set()
    # Eight letters of the codes' alphabet that are no concern's code are words to look for.
    kampanye = concern_in(BUMI_HARAPAN, "hoaks", description="Hoaks soal kampanye akbar.")
    assert ids(api(world.officer).get("/api/v1/concerns", {"q": "KAMPANYE"})) == {kampanye.pk}


# Recording ----------------------------------------------------------------------------------


def body(**overrides):
    return {
        "id": str(uuid.uuid4()),
        "category": "intimidasi",
        "description": "Ketua RT diancam tim sukses.",
        "village": BUMI_HARAPAN,
        **overrides,
    }


def test_create(world, api):
    payload = body(site=world.pps_bumi.pk, lat=-0.9239, lon=116.5831, reporter_name="Pak Darto")
    response = api(world.officer).post("/api/v1/concerns", payload, content_type=JSON)
    assert response.status_code == 201, response.content
    data = response.json()
    concern = Concern.objects.get()
    assert data["id"] == concern.pk
    assert data["tracking_code"] == concern.tracking_code and len(data["tracking_code"]) == 8
    assert data["status"] == "received"
    assert data["due_at"] is not None and concern.due_at is not None
    assert data["overdue"] is False
    assert data["source"] == "staff"
    assert data["unit"] == world.sepaku.pk
    assert data["site"] == world.pps_bumi.pk
    assert data["reporter_name"] == "Pak Darto"
    assert str(concern.client_id) == payload["id"]
    assert concern.created_by == world.officer
    assert concern.events.get().to_status == Status.RECEIVED


def test_create_again_with_the_same_id_answers_200_with_the_stored_one(world, api):
    payload = body()
    client = api(world.officer)
    first = client.post("/api/v1/concerns", payload, content_type=JSON)
    assert first.status_code == 201
    again = client.post(
        "/api/v1/concerns", {**payload, "description": "Dikirim ulang"}, content_type=JSON
    )
    assert again.status_code == 200, again.content
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["tracking_code"] == first.json()["tracking_code"]
    assert Concern.objects.count() == 1
    assert ConcernEvent.objects.count() == 1


def test_a_commander_records_for_a_unit_below(world, api):
    response = api(world.commander).post(
        "/api/v1/concerns", body(village=PETUNG), content_type=JSON
    )
    assert response.status_code == 201, response.content
    assert response.json()["unit"] == world.penajam.pk


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"category": "tidak-ada"}, "category"),
        ({"village": "64.09.04.9999"}, "village"),
        ({"village": "64.09.04"}, "village"),  # a district, not a village
        ({"site": 999999}, "site"),
        ({"lat": -0.92}, "lon"),
    ],
)
def test_create_rejects_invalid_fields(world, api, overrides, field):
    response = api(world.officer).post("/api/v1/concerns", body(**overrides), content_type=JSON)
    assert (field,) in locs(response)
    assert not Concern.objects.exists()


def test_create_rejects_a_site_in_another_village(world, api):
    payload = body(village=SEPAKU, site=world.tps_bumi.pk)
    assert locs(api(world.officer).post("/api/v1/concerns", payload, content_type=JSON)) == [
        ("site",)
    ]


def test_create_rejects_another_units_site(world, api):
    payload = body(site=world.pps_penajam.pk)
    assert ("site",) in locs(
        api(world.officer).post("/api/v1/concerns", payload, content_type=JSON)
    )


def test_create_names_every_bad_field_at_once(world, api):
    payload = body(category="tidak-ada", village="64.09.04.9999", site=999999)
    response = api(world.officer).post("/api/v1/concerns", payload, content_type=JSON)
    assert set(locs(response)) == {("category",), ("village",), ("site",)}


def test_create_outside_the_jurisdiction_is_refused(world, api):
    response = api(world.officer).post("/api/v1/concerns", body(village=PETUNG), content_type=JSON)
    assert locs(response) == [("village",)]
    assert "wilayah hukum" in response.json()["detail"][0]["msg"]
    assert not Concern.objects.exists()
    response = api(world.no_unit).post("/api/v1/concerns", body(), content_type=JSON)
    assert locs(response) == [("village",)]


# Transitions --------------------------------------------------------------------------------


def move(client, concern, **payload):
    return client.post(f"/api/v1/concerns/{concern.pk}/transitions", payload, content_type=JSON)


def test_allowed_transition(world, api, queue):
    concern = queue["bumi"]
    response = move(api(world.kapolsek), concern, status="verified", note="Sudah dicek.")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["status"] == "verified"
    assert data["allowed_transitions"] == list(Concern.TRANSITIONS[Status.VERIFIED])
    concern.refresh_from_db()
    assert concern.status == Status.VERIFIED
    event = concern.events.last()
    assert (event.from_status, event.to_status) == ("received", "verified")
    assert event.actor == world.kapolsek and event.note == "Sudah dicek." and event.public


def test_refused_transition_answers_409_with_the_allowed_ones(world, api, queue):
    concern = queue["bumi"]
    response = move(api(world.kapolsek), concern, status="closed")
    assert response.status_code == 409, response.content
    data = response.json()
    assert data["allowed"] == list(Concern.TRANSITIONS[Status.RECEIVED])
    assert data["detail"]
    concern.refresh_from_db()
    assert concern.status == Status.RECEIVED
    assert concern.events.count() == 1

    Concern.objects.filter(pk=concern.pk).update(status=Status.CLOSED)
    response = move(api(world.kapolsek), concern, status="verified")
    assert response.status_code == 409
    assert response.json()["allowed"] == ["reopened"]


def test_unknown_status_is_422(world, api, queue):
    response = move(api(world.kapolsek), queue["bumi"], status="selesai")
    assert locs(response) == [("status",)]
    queue["bumi"].refresh_from_db()
    assert queue["bumi"].status == Status.RECEIVED


def test_duplicate_of_by_id(world, api, queue):
    response = move(
        api(world.kapolsek), queue["web"], status="duplicate", duplicate_of=queue["bumi"].pk
    )
    assert response.status_code == 200, response.content
    assert response.json()["duplicate_of"] == queue["bumi"].pk
    assert response.json()["status"] == "duplicate"


@pytest.mark.parametrize("form", ["display", "lower", "spaced", "raw"])
def test_duplicate_of_by_tracking_code(world, api, queue, form):
    original = queue["bumi"]
    code = {
        "display": original.display_code,
        "lower": original.display_code.lower(),
        "spaced": f" {original.tracking_code[:4]} {original.tracking_code[4:]} ",
        "raw": original.tracking_code,
    }[form]
    response = move(api(world.kapolsek), queue["web"], status="duplicate", duplicate_of=code)
    assert response.status_code == 200, response.content
    assert response.json()["duplicate_of"] == original.pk
    queue["web"].refresh_from_db()
    assert queue["web"].duplicate_of == original


@pytest.mark.parametrize("ref", [None, "XXXX-XXXX", 999999, "other-unit"])
def test_duplicate_needs_a_visible_concern(world, api, queue, ref):
    if ref == "other-unit":
        ref = queue["petung"].pk
    payload = {"status": "duplicate"} | ({} if ref is None else {"duplicate_of": ref})
    response = move(api(world.kapolsek), queue["web"], **payload)
    assert locs(response) == [("duplicate_of",)]
    queue["web"].refresh_from_db()
    assert queue["web"].status == Status.RECEIVED and queue["web"].duplicate_of is None


def test_referral_with_agency(world, api, queue):
    response = move(api(world.kapolsek), queue["bumi"], status="referred", agency="Bawaslu PPU")
    assert response.status_code == 200, response.content
    assert response.json()["agency"] == "Bawaslu PPU"
    assert response.json()["status"] == "referred"
    assert response.json()["due_at"] is None


def test_referral_defaults_to_the_categorys_agency(world, api, queue):
    response = move(api(world.kapolsek), queue["web"], status="referred")  # listrik -> PLN
    assert response.status_code == 200, response.content
    assert response.json()["agency"] == "PLN"


def test_referral_without_agency_is_422(world, api, queue):
    response = move(api(world.kapolsek), queue["sepaku"], status="referred")  # hoaks: none
    assert locs(response) == [("agency",)]
    queue["sepaku"].refresh_from_db()
    assert queue["sepaku"].status == Status.RECEIVED


# History ------------------------------------------------------------------------------------


def test_events_list_everything_in_order(world, api, queue):
    concern = queue["bumi"]
    client = api(world.kapolsek)
    assert move(client, concern, status="verified", note="Sudah dicek.").status_code == 200
    assign_concern(concern=concern, actor=world.kapolsek, unit=world.sepaku, officer=world.officer)
    assert (
        move(
            client, concern, status="in_progress", note="Saksi dimintai keterangan.", public=False
        ).status_code
        == 200
    )
    assert move(client, concern, status="resolved", note="Pelaku diperingatkan.").status_code == 200

    response = client.get(f"/api/v1/concerns/{concern.pk}/events")
    assert response.status_code == 200, response.content
    events = response.json()["items"]
    assert response.json()["count"] == 5
    assert [(e["kind"], e["from_status"], e["to_status"], e["public"]) for e in events] == [
        ("status", "", "received", True),
        ("status", "received", "verified", True),
        ("assign", "verified", "verified", False),
        ("status", "verified", "in_progress", False),
        ("status", "in_progress", "resolved", True),
    ]
    assert [e["actor"] for e in events] == [None] + ["kasiyono"] * 4
    assert events[3]["note"] == "Saksi dimintai keterangan."
    assert [e["id"] for e in events] == sorted(e["id"] for e in events)
    times = [e["created_at"] for e in events]
    assert times == sorted(times)


def test_the_officer_sees_the_history_too(world, api, queue):
    response = api(world.officer).get(f"/api/v1/concerns/{queue['sepaku'].pk}/events")
    assert response.status_code == 200
    assert [e["to_status"] for e in response.json()["items"]] == ["received"]


# Access -------------------------------------------------------------------------------------


def test_another_units_concern_is_404(world, api, queue):
    concern = queue["petung"]
    client = api(world.officer)
    assert client.get(f"/api/v1/concerns/{concern.pk}").status_code == 404
    assert client.get(f"/api/v1/concerns/{concern.pk}/events").status_code == 404
    assert move(client, concern, status="verified").status_code == 404
    # Even a request that would be refused or invalid does not tell that it exists.
    assert move(client, concern, status="closed").status_code == 404
    assert move(client, concern, status="selesai").status_code == 404
    concern.refresh_from_db()
    assert concern.status == Status.RECEIVED and concern.events.count() == 1
    assert client.get("/api/v1/concerns/999999").status_code == 404


def test_the_own_units_concern_is_readable(world, api, queue):
    response = api(world.officer).get(f"/api/v1/concerns/{queue['bumi'].pk}")
    assert response.status_code == 200
    assert response.json()["tracking_code"] == queue["bumi"].tracking_code
    response = api(world.commander).get(f"/api/v1/concerns/{queue['petung'].pk}")
    assert response.status_code == 200


def test_anonymous_is_401(world, queue):
    anonymous = Client()
    pk = queue["bumi"].pk
    assert anonymous.get("/api/v1/concerns").status_code == 401
    assert anonymous.get(f"/api/v1/concerns/{pk}").status_code == 401
    assert anonymous.get(f"/api/v1/concerns/{pk}/events").status_code == 401
    assert anonymous.post("/api/v1/concerns", body(), content_type=JSON).status_code == 401
    response = anonymous.post(
        f"/api/v1/concerns/{pk}/transitions", {"status": "verified"}, content_type=JSON
    )
    assert response.status_code == 401
    bad_token = Client(headers={"Authorization": "Bearer not-a-token"})
    assert bad_token.get("/api/v1/concerns").status_code == 401
    assert Concern.objects.count() == 4
    queue["bumi"].refresh_from_db()
    assert queue["bumi"].status == Status.RECEIVED


def test_a_page_of_concerns_is_five_queries_whatever_its_length(
    world, api, queue, django_assert_num_queries
):
    """The token (read, and its last use written), the count, the page's keys and their rows:
    no query per concern (the rows are one row of columns per concern, joined to its
    category, village and assignee)."""
    assign_concern(
        concern=queue["bumi"], actor=world.kapolsek, unit=world.sepaku, officer=world.officer
    )
    client = api(world.commander)
    with django_assert_num_queries(5):
        response = client.get("/api/v1/concerns")
    assert len(response.json()["items"]) == 4
    assert {item["assigned_to"] for item in response.json()["items"]} == {
        None,
        world.officer.username,
    }


def test_the_count_of_a_list_reads_the_concerns_alone(world, api, queue):
    """The page joins each concern's category, village and assignee for its columns; the count
    needs none of them (they are one row each, and cost a join for every concern found)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        body = api(world.commander).get("/api/v1/concerns", {"q": "sembako"}).json()
    assert body["count"] == 2 and len(body["items"]) == 2
    (count,) = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"]]
    for table in ("concerns_category", "regions_region", "units_officer"):
        assert table not in count
