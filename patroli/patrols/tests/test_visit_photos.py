"""Photos of a visit: PUT by the device under its own id (resumable), shown and served behind
the access gate, and taken by the web form."""

import io
import threading
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.utils import timezone
from PIL import Image

from patroli.patrols.models import Visit, VisitPhoto
from patroli.patrols.services import record_visit
from patroli.patrols.tests.test_visit_pages import nothing_written, visit_post

pytestmark = pytest.mark.django_db

GPS_IFD = 0x8825
ORIENTATION = 0x0112
ENGLISH = {"Accept-Language": "en"}  # the messages are checked in their English source form


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def visit(world, media):
    return record_visit(
        recorded_by=world.officer,
        site=world.pps_bumi,
        started_at=timezone.now() - timedelta(hours=2),
    )[0]


def jpeg_with_gps(size=(640, 480)) -> bytes:
    """A phone photo: red left half, EXIF with the camera, GPS position and an orientation."""
    image = Image.new("RGB", size, (20, 20, 220))
    image.paste((220, 20, 20), (0, 0, size[0] // 2, size[1]))
    exif = Image.Exif()
    exif[ORIENTATION] = 6  # turned 90°: the stored photo is upright, so portrait
    exif[0x010F] = "Samsung"
    gps = exif.get_ifd(GPS_IFD)
    gps[1], gps[2] = "S", (0.0, 55.0, 26.1)
    gps[3], gps[4] = "E", (116.0, 34.0, 59.1)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def named(data: bytes, name="IMG_0001.jpg") -> io.BytesIO:
    file = io.BytesIO(data)
    file.name = name
    return file


def put(client, visit_id, photo_id, data: bytes | None, name="IMG_0001.jpg"):
    fields = {} if data is None else {"image": named(data, name)}
    return client.put(
        f"/api/v1/visits/{visit_id}/photos/{photo_id}",
        encode_multipart(BOUNDARY, fields),
        content_type=MULTIPART_CONTENT,
        headers=ENGLISH,
    )


def stored_files(media):
    return sorted(p for p in media.rglob("*") if p.is_file()) if media.exists() else []


def read_image(field) -> Image.Image:
    with field.open("rb") as f:
        image = Image.open(io.BytesIO(f.read()))
        image.load()
    return image


def logged_in(user) -> Client:
    client = Client(headers=ENGLISH)
    client.force_login(user)
    return client


# --- The API ------------------------------------------------------------------------------------


def test_a_photo_is_stored_upright_without_exif_and_listed_with_the_visit(world, api, visit):
    data = jpeg_with_gps()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(GPS_IFD)  # the source carries GPS
    photo_id = uuid.uuid4()

    response = put(api(world.officer), visit.pk, photo_id, data)

    assert response.status_code == 201, response.content
    body = response.json()
    photo = VisitPhoto.objects.get()
    assert photo.pk == photo_id and photo.visit == visit
    assert body == {
        "id": str(photo_id),
        "url": f"/app/kunjungan/{visit.pk}/foto/{photo_id}/full/",
        "thumbnail_url": f"/app/kunjungan/{visit.pk}/foto/{photo_id}/thumb/",
        "width": 480,
        "height": 640,
    }
    for field in (photo.image, photo.thumbnail):
        image = read_image(field)
        assert image.format == "JPEG"
        assert not image.getexif()
        assert "exif" not in image.info
    assert read_image(photo.image).size == (480, 640)
    assert photo.content_type == "image/jpeg"
    # The visit lists its photos.
    listed = api(world.officer).get(f"/api/v1/visits/{visit.pk}").json()["photos"]
    assert listed == [body]


def test_sending_the_same_photo_again_answers_200_and_stores_nothing_new(world, api, visit, media):
    client, photo_id = api(world.officer), uuid.uuid4()
    first = put(client, visit.pk, photo_id, jpeg_with_gps())
    files = stored_files(media)
    again = put(client, visit.pk, photo_id, jpeg_with_gps())
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert VisitPhoto.objects.count() == 1
    assert stored_files(media) == files and len(files) == 2  # the photo and its thumbnail


def test_a_photo_id_of_another_visit_answers_409(world, api, visit):
    other = record_visit(recorded_by=world.officer, site=world.tps_bumi, started_at=timezone.now())[
        0
    ]
    client, photo_id = api(world.officer), uuid.uuid4()
    assert put(client, visit.pk, photo_id, jpeg_with_gps()).status_code == 201
    response = put(client, other.pk, photo_id, jpeg_with_gps())
    assert response.status_code == 409
    assert response.json() == {"detail": "This photo id belongs to another visit's photo."}
    assert list(VisitPhoto.objects.values_list("visit", flat=True)) == [visit.pk]


def test_a_visit_of_another_unit_answers_404(world, api, visit, media):
    response = put(api(world.other_officer), visit.pk, uuid.uuid4(), jpeg_with_gps())
    assert response.status_code == 404
    assert not VisitPhoto.objects.exists() and stored_files(media) == []


def test_a_text_file_named_jpg_is_refused_naming_the_field(world, api, visit, media):
    response = put(api(world.officer), visit.pk, uuid.uuid4(), b"not a photo\n" * 50)
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {
            "type": "value_error",
            "loc": ["file", "image"],
            "msg": "The photo must be a JPEG, PNG or WebP image.",
        }
    ]
    assert not VisitPhoto.objects.exists() and stored_files(media) == []


def test_a_missing_image_field_is_refused(world, api, visit):
    response = put(api(world.officer), visit.pk, uuid.uuid4(), None)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["file", "image"]


def test_a_visit_takes_at_most_the_configured_number_of_photos(world, api, visit, settings):
    settings.PATROLI_VISIT_PHOTOS_MAX = 2
    client = api(world.officer)
    kept = [uuid.uuid4(), uuid.uuid4()]
    for photo_id in kept:
        assert put(client, visit.pk, photo_id, jpeg_with_gps((64, 48))).status_code == 201
    response = put(client, visit.pk, uuid.uuid4(), jpeg_with_gps((64, 48)))
    assert response.status_code == 422
    assert response.json()["detail"][0] == {
        "type": "value_error",
        "loc": ["file", "image"],
        "msg": "Too many photos: a visit takes at most 2.",
    }
    # A photo already stored can still be sent again.
    assert put(client, visit.pk, kept[0], jpeg_with_gps((64, 48))).status_code == 200
    assert VisitPhoto.objects.count() == 2


def test_a_photo_before_its_visit_is_404_and_after_the_visit_is_synced_201(world, api):
    """The outbox order: a photo that overtakes its visit is refused and simply sent later."""
    client = api(world.officer)
    visit_id, photo_id = uuid.uuid4(), uuid.uuid4()
    assert put(client, visit_id, photo_id, jpeg_with_gps()).status_code == 404
    synced = client.post(
        "/api/v1/sync",
        {
            "visits": [
                {
                    "id": str(visit_id),
                    "site": world.pps_bumi.pk,
                    "started_at": (timezone.now() - timedelta(hours=1)).isoformat(),
                }
            ]
        },
        content_type="application/json",
    )
    assert synced.json()["results"][0]["status"] == "created"
    assert put(client, visit_id, photo_id, jpeg_with_gps()).status_code == 201
    assert VisitPhoto.objects.get().visit_id == visit_id


def test_an_interrupted_upload_leaves_nothing_and_can_be_sent_again(
    world, api, visit, media, monkeypatch
):
    client, photo_id = api(world.officer), uuid.uuid4()
    real_save = VisitPhoto.save

    def broken(self, *args, **kwargs):
        raise ConnectionError("the database went away after the files were written")

    monkeypatch.setattr(VisitPhoto, "save", broken)
    with pytest.raises(ConnectionError):
        put(client, visit.pk, photo_id, jpeg_with_gps())
    assert not VisitPhoto.objects.exists()
    assert stored_files(media) == []

    monkeypatch.setattr(VisitPhoto, "save", real_save)
    assert put(client, visit.pk, photo_id, jpeg_with_gps()).status_code == 201
    assert len(stored_files(media)) == 2


def test_the_visit_list_reads_photos_without_a_query_per_visit(
    world, api, media, django_assert_max_num_queries
):
    client = api(world.officer)
    for hours in range(1, 6):
        visit = record_visit(
            recorded_by=world.officer,
            site=world.pps_bumi,
            started_at=timezone.now() - timedelta(hours=hours),
        )[0]
        put(client, visit.pk, uuid.uuid4(), jpeg_with_gps((64, 48)))
    with django_assert_max_num_queries(15):
        items = client.get("/api/v1/visits").json()["items"]
    assert [len(v["photos"]) for v in items] == [1] * 5


def at_once(*calls):
    """Run the calls in parallel threads; their answers in the order given."""
    answers = [None] * len(calls)

    def run(i, call):
        answers[i] = call()
        connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return answers


@pytest.mark.django_db(transaction=True)
def test_two_copies_of_a_photo_at_once_store_it_once(libraries, world, api, media):
    if connection.vendor == "sqlite":
        pytest.skip("SQLite in-memory test databases cannot be shared between threads")
    visit = record_visit(recorded_by=world.officer, site=world.pps_bumi, started_at=timezone.now())
    clients, photo_id, data = (
        [api(world.officer), api(world.officer)],
        uuid.uuid4(),
        jpeg_with_gps(),
    )
    answers = at_once(*(lambda c=c: put(c, visit[0].pk, photo_id, data) for c in clients))
    assert sorted(a.status_code for a in answers) == [200, 201]
    assert VisitPhoto.objects.count() == 1
    assert len(stored_files(media)) == 2  # the second copy left no files behind


@pytest.mark.django_db(transaction=True)
def test_two_photos_at_once_do_not_both_take_the_last_place(libraries, world, api, media, settings):
    if connection.vendor == "sqlite":
        pytest.skip("SQLite in-memory test databases cannot be shared between threads")
    settings.PATROLI_VISIT_PHOTOS_MAX = 1
    visit = record_visit(recorded_by=world.officer, site=world.pps_bumi, started_at=timezone.now())
    clients, data = [api(world.officer), api(world.officer)], jpeg_with_gps()
    answers = at_once(*(lambda c=c: put(c, visit[0].pk, uuid.uuid4(), data) for c in clients))
    assert sorted(a.status_code for a in answers) == [201, 422]
    assert VisitPhoto.objects.count() == 1
    assert len(stored_files(media)) == 2


# --- The pages ----------------------------------------------------------------------------------


@pytest.fixture
def photo(world, api, visit):
    photo_id = uuid.uuid4()
    assert put(api(world.officer), visit.pk, photo_id, jpeg_with_gps()).status_code == 201
    return VisitPhoto.objects.get(pk=photo_id)


def test_the_visit_page_shows_thumbnails_linking_to_the_photo(world, visit, photo):
    html = logged_in(world.officer).get(f"/app/kunjungan/{visit.pk}/").content.decode()
    assert (
        f'<a href="{photo.get_absolute_url()}"><img class="thumb" '
        f'src="{photo.get_thumbnail_url()}"' in html
    )


@pytest.mark.parametrize("size", ["full", "thumb"])
def test_the_photo_is_served_inline_privately_with_its_type(world, visit, photo, size):
    response = logged_in(world.kapolsek).get(f"/app/kunjungan/{visit.pk}/foto/{photo.pk}/{size}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"] == "inline"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "private" in response["Cache-Control"]
    image = Image.open(io.BytesIO(b"".join(response.streaming_content)))
    assert max(image.size) == (640 if size == "full" else 400)
    assert not image.getexif()


def test_the_photo_page_is_behind_the_access_gate(world, visit, photo, client):
    url = f"/app/kunjungan/{visit.pk}/foto/{photo.pk}/full/"
    assert logged_in(world.other_officer).get(url).status_code == 404
    assert logged_in(world.no_unit).get(url).status_code == 404
    assert client.get(url).status_code == 302  # to the login page
    # The photo under another visit's address, an unknown size: not found.
    other = record_visit(recorded_by=world.officer, site=world.tps_bumi, started_at=timezone.now())
    officer = logged_in(world.officer)
    assert officer.get(f"/app/kunjungan/{other[0].pk}/foto/{photo.pk}/full/").status_code == 404
    assert officer.get(f"/app/kunjungan/{visit.pk}/foto/{photo.pk}/big/").status_code == 404


# --- The web form -------------------------------------------------------------------------------


def test_the_visit_form_stores_its_photos(world, media):
    client = logged_in(world.officer)
    data = visit_post(world.pps_bumi)
    data["photos"] = [named(jpeg_with_gps(), "a.jpg"), named(jpeg_with_gps((80, 60)), "b.jpg")]
    response = client.post("/app/kunjungan/baru/", data)
    assert response.status_code == 302, response.context["form"].errors
    visit = Visit.objects.get()
    photos = list(visit.photos.all())
    assert sorted((p.width, p.height) for p in photos) == [(60, 80), (480, 640)]
    assert all(not read_image(p.image).getexif() for p in photos)
    assert len(stored_files(media)) == 4
    page = client.get(response["Location"]).content.decode()
    assert all(p.get_thumbnail_url() in page for p in photos)


def test_the_visit_form_asks_for_files(world):
    html = logged_in(world.officer).get("/app/kunjungan/baru/").content.decode()
    assert 'enctype="multipart/form-data"' in html
    assert 'type="file" name="photos"' in html and "multiple" in html


def test_a_bad_photo_shows_the_form_again_and_writes_nothing(world, media):
    data = visit_post(world.pps_bumi)
    data["photos"] = [named(jpeg_with_gps(), "good.jpg"), named(b"hello", "catatan.jpg")]
    response = logged_in(world.officer).post("/app/kunjungan/baru/", data)
    assert response.status_code == 200
    errors = response.context["form"].errors["photos"]
    assert errors == ["catatan.jpg: The photo must be a JPEG, PNG or WebP image."]
    assert errors[0] in response.content.decode()
    nothing_written()
    assert not VisitPhoto.objects.exists() and stored_files(media) == []


def test_the_form_refuses_more_photos_than_a_visit_takes(world, media, settings):
    settings.PATROLI_VISIT_PHOTOS_MAX = 1
    data = visit_post(world.pps_bumi)
    data["photos"] = [named(jpeg_with_gps((64, 48)), f"{i}.jpg") for i in range(2)]
    response = logged_in(world.officer).post("/app/kunjungan/baru/", data)
    assert response.status_code == 200
    errors = response.context["form"].errors["photos"]
    assert errors == ["Too many photos: a visit takes at most 1."]
    nothing_written()
    assert stored_files(media) == []


def test_a_failure_after_a_photo_was_written_removes_its_files(world, media, monkeypatch):
    from patroli.patrols import services

    stored = []

    def second_fails(photo, clean):
        if stored:
            raise OSError("disk full")
        stored.append(services.store_photo.__wrapped__(photo, clean))
        return stored[-1]

    second_fails.__wrapped__ = services.store_photo
    monkeypatch.setattr(services, "store_photo", second_fails)
    data = visit_post(world.pps_bumi)
    data["photos"] = [named(jpeg_with_gps((64, 48)), f"{i}.jpg") for i in range(2)]
    with pytest.raises(OSError, match="disk full"):
        logged_in(world.officer).post("/app/kunjungan/baru/", data)
    assert len(stored) == 1  # the first photo's files were written, then rolled back
    nothing_written()
    assert not VisitPhoto.objects.exists() and stored_files(media) == []


def test_the_audit_head_is_locked_after_the_photos_are_stored(world, media):
    """The chain head serialises every audited write: a visit with photos locks it only once
    their files are written (not with the visit's statements, before them)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from patroli.core.photos import prepare_photo

    clean = prepare_photo(named(jpeg_with_gps()))
    with CaptureQueriesContext(connection) as queries:
        visit, created = record_visit(
            recorded_by=world.officer,
            site=world.pps_bumi,
            started_at=timezone.now(),
            photos=[clean],
        )
    assert created and visit.photos.count() == 1
    sql = "\n".join(q["sql"] for q in queries.captured_queries)
    assert sql.index('INSERT INTO "patrols_visitphoto"') < sql.index('FROM "audit_chainhead"')
