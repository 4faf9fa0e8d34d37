"""Photos of concerns: checked by content, stored upright, resized and without any metadata."""

import io
import random
import struct
import warnings
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from PIL import Image, ImageCms, JpegImagePlugin
from PIL.PngImagePlugin import PngInfo

from patroli.concerns.models import Category, ConcernPhoto
from patroli.concerns.photos import add_photo
from patroli.concerns.services import open_concern
from patroli.core import photos
from patroli.core.photos import MAX_BYTES, PhotoError, check_photo
from patroli.regions.models import Region

pytestmark = pytest.mark.django_db

GPS_IFD = 0x8825
ORIENTATION = 0x0112
XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-'
    b'syntax-ns#"><rdf:Description exif:GPSLatitude="0,55.4S"/></rdf:RDF></x:xmpmeta>'
)
RED, BLUE = (220, 20, 20), (20, 20, 220)


@pytest.fixture(autouse=True)
def english():
    """The messages are checked in their English source form."""
    with translation.override("en"):
        yield


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def concern(world, media):
    return open_concern(
        source="web",
        category=Category.objects.get(code="hoaks"),
        description="Foto selebaran provokatif di dekat TPS 001.",
        village=Region.objects.get(code="64.09.04.2004"),
    )


def two_colours(size=(300, 200), mode="RGB"):
    """Left half red, right half blue: shows where the left side went after turning."""
    image = Image.new(mode, size, BLUE if mode == "RGB" else BLUE + (255,))
    image.paste(RED, (0, 0, size[0] // 2, size[1]))
    return image


def noise(size):
    """An image that does not compress: its files are long, so cutting them leaves a header."""
    return Image.frombytes("RGB", size, random.Random(1).randbytes(size[0] * size[1] * 3))


def encode(image, fmt, **options):
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def upload(data, name="photo.jpg", content_type="image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def gps_exif(orientation=6):
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[0x010F] = "Samsung"  # Make
    exif[0x0110] = "SM-A546E"  # Model
    gps = exif.get_ifd(GPS_IFD)
    gps[1] = "S"  # GPSLatitudeRef
    gps[2] = (0.0, 55.0, 26.1)  # GPSLatitude
    gps[3] = "E"  # GPSLongitudeRef
    gps[4] = (116.0, 34.0, 59.1)  # GPSLongitude
    return exif


def srgb_icc():
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def stored(field):
    with field.open("rb") as f:
        image = Image.open(io.BytesIO(f.read()))
        image.load()
    return image


def assert_no_metadata(image):
    assert not image.getexif()
    for key in ("exif", "xmp", "XML:com.adobe.xmp", "icc_profile", "comment", "Comment"):
        assert key not in image.info
    assert not getattr(image, "text", {})


def png_header_only(width, height):
    """A PNG that claims ``width`` × ``height`` pixels in a few dozen bytes."""

    def chunk(kind, data):
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


def stored_files(media):
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


# --- Accepted -----------------------------------------------------------------------------------


def test_jpeg_is_stored_upright_without_exif_gps_xmp_icc_or_comment(concern, media):
    data = encode(
        two_colours((800, 600)),
        "JPEG",
        exif=gps_exif(orientation=6),
        xmp=XMP,
        icc_profile=srgb_icc(),
        comment=b"Jl. Poros Sepaku, rumah Pak Budi",
    )
    source = Image.open(io.BytesIO(data))
    # The source really carries what must go: GPS, orientation, XMP, ICC, comment.
    assert source.getexif()[ORIENTATION] == 6
    assert source.getexif().get_ifd(GPS_IFD)[2] == (0.0, 55.0, 26.1)
    assert {"exif", "xmp", "icc_profile", "comment"} <= source.info.keys()

    photo = add_photo(concern=concern, upload=upload(data))

    photo.refresh_from_db()
    assert photo.concern == concern
    assert photo.content_type == "image/jpeg"
    assert (photo.width, photo.height) == (600, 800)  # turned by the orientation tag
    assert photo.image.name.startswith(f"concerns/{concern.pk}/")
    assert photo.image.name.endswith(".jpg") and photo.thumbnail.name.endswith(".jpg")
    assert photo.image.name != photo.thumbnail.name

    image = stored(photo.image)
    assert image.format == "JPEG" and image.mode == "RGB"
    assert image.size == (600, 800)
    assert_no_metadata(image)
    # Orientation 6 means "turn 90° clockwise": the red left half is now on top.
    assert image.getpixel((300, 100)) == pytest.approx(RED, abs=30)
    assert image.getpixel((300, 700)) == pytest.approx(BLUE, abs=30)
    # Not even the raw bytes of the GPS, camera or comment survive.
    with photo.image.open("rb") as f:
        raw = f.read()
    assert b"Exif" not in raw and b"Samsung" not in raw and b"Pak Budi" not in raw
    assert b"xmpmeta" not in raw and b"ICC_PROFILE" not in raw

    thumb = stored(photo.thumbnail)
    assert thumb.format == "JPEG"
    assert thumb.size == (300, 400)
    assert max(thumb.size) == 400
    assert_no_metadata(thumb)
    assert thumb.getpixel((150, 50)) == pytest.approx(RED, abs=30)


def test_png_is_stored_as_png_with_transparency_and_without_text(concern):
    text = PngInfo()
    text.add_text("Comment", "Lokasi: -0.9239, 116.5830")
    data = encode(
        two_colours((1000, 500), mode="RGBA"),
        "PNG",
        pnginfo=text,
        exif=gps_exif(orientation=1),
        icc_profile=srgb_icc(),
    )
    assert Image.open(io.BytesIO(data)).text

    photo = add_photo(concern=concern, upload=upload(data, "tangkapan.png", "image/png"))

    assert photo.content_type == "image/png"
    assert (photo.width, photo.height) == (1000, 500)
    assert photo.image.name.endswith(".png") and photo.thumbnail.name.endswith(".png")
    image = stored(photo.image)
    assert image.format == "PNG" and image.mode == "RGBA"
    assert_no_metadata(image)
    thumb = stored(photo.thumbnail)
    assert thumb.format == "PNG" and thumb.size == (400, 200)
    assert_no_metadata(thumb)


def test_webp_is_stored_as_webp_without_exif(concern):
    data = encode(two_colours((640, 480)), "WEBP", exif=gps_exif(orientation=1), xmp=XMP)
    assert "exif" in Image.open(io.BytesIO(data)).info

    photo = add_photo(concern=concern, upload=upload(data, "foto.webp", "image/webp"))

    assert photo.content_type == "image/webp"
    assert photo.image.name.endswith(".webp") and photo.thumbnail.name.endswith(".webp")
    image = stored(photo.image)
    assert image.format == "WEBP" and image.size == (640, 480)
    assert_no_metadata(image)
    thumb = stored(photo.thumbnail)
    assert thumb.format == "WEBP" and thumb.size == (400, 300)
    assert_no_metadata(thumb)


def test_the_content_decides_the_format_not_the_name_or_content_type(concern):
    data = encode(two_colours(), "PNG")
    check_photo(upload(data, "photo.jpg", "image/jpeg"))
    photo = add_photo(concern=concern, upload=upload(data, "photo.jpg", "image/jpeg"))
    assert photo.content_type == "image/png"
    assert photo.image.name.endswith(".png")
    assert stored(photo.image).format == "PNG"


def test_a_large_jpeg_is_stored_at_2560_pixels_on_the_long_side(concern):
    data = encode(two_colours((3000, 2000)), "JPEG", quality=90)

    photo = add_photo(concern=concern, upload=upload(data))

    assert (photo.width, photo.height) == (2560, 1707)
    assert stored(photo.image).size == (2560, 1707)
    assert stored(photo.thumbnail).size == (400, 267)


def test_a_large_jpeg_is_decoded_at_a_reduced_scale(concern, monkeypatch):
    drafts = []
    draft = JpegImagePlugin.JpegImageFile.draft

    def spy(self, mode, size):
        drafts.append((size, draft(self, mode, size)))
        return drafts[-1][1]

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", spy)
    # 6000 × 4000 = 24 megapixels; the JPEG decoder halves it while decoding.
    data = encode(Image.new("RGB", (6000, 4000), RED), "JPEG")
    photo = add_photo(concern=concern, upload=upload(data))
    assert (photo.width, photo.height) == (2560, 1707)
    assert drafts == [((2560, 1707), ("RGB", (0, 0, 3000, 2000)))]


def test_a_small_photo_is_not_enlarged(concern):
    photo = add_photo(concern=concern, upload=upload(encode(two_colours((120, 90)), "JPEG")))
    assert (photo.width, photo.height) == (120, 90)
    assert stored(photo.thumbnail).size == (120, 90)


@pytest.mark.parametrize(
    ("image", "fmt", "options"),
    [
        pytest.param(Image.new("CMYK", (200, 100), (0, 255, 255, 0)), "JPEG", {}, id="cmyk-jpeg"),
        pytest.param(Image.new("L", (200, 100), 128), "JPEG", {}, id="grey-jpeg"),
    ],
)
def test_every_stored_jpeg_is_rgb(concern, image, fmt, options):
    photo = add_photo(concern=concern, upload=upload(encode(image, fmt, **options)))
    assert stored(photo.image).mode == "RGB"
    assert stored(photo.thumbnail).mode == "RGB"


def test_colours_go_through_the_embedded_icc_profile_before_it_is_dropped(concern, monkeypatch):
    conversions = []
    convert = ImageCms.profileToProfile

    def spy(image, source, target, **options):
        conversions.append((image.mode, options["outputMode"]))
        return convert(image, source, target, **options)

    monkeypatch.setattr(ImageCms, "profileToProfile", spy)
    data = encode(two_colours((800, 600)), "JPEG", icc_profile=srgb_icc())
    photo = add_photo(concern=concern, upload=upload(data))
    assert conversions == [("RGB", "RGB")]
    assert stored(photo.image).getpixel((100, 100)) == pytest.approx(RED, abs=30)
    assert_no_metadata(stored(photo.image))


def test_a_broken_icc_profile_is_dropped(concern):
    data = encode(two_colours(), "JPEG", icc_profile=b"not a profile" * 10)
    photo = add_photo(concern=concern, upload=upload(data))
    assert_no_metadata(stored(photo.image))


def test_a_cmyk_jpeg_keeps_its_colours(concern):
    red = Image.new("CMYK", (200, 100), (0, 255, 255, 0))
    photo = add_photo(concern=concern, upload=upload(encode(red, "JPEG")))
    red_rgb = stored(photo.image).getpixel((100, 50))
    assert red_rgb[0] > 200 and red_rgb[1] < 60 and red_rgb[2] < 60


def test_a_phone_mpo_jpeg_is_stored_as_a_plain_jpeg(concern):
    data = encode(
        two_colours(), "MPO", save_all=True, append_images=[two_colours()], exif=gps_exif(1)
    )
    assert Image.open(io.BytesIO(data)).format == "MPO"
    photo = add_photo(concern=concern, upload=upload(data))
    image = stored(photo.image)
    assert photo.content_type == "image/jpeg"
    assert image.format == "JPEG"
    assert_no_metadata(image)


@pytest.mark.parametrize(
    ("image", "mode"),
    [
        pytest.param(Image.new("P", (600, 400), 3), "RGB", id="palette"),
        pytest.param(Image.new("1", (600, 400), 1), "L", id="one-bit"),
        pytest.param(Image.new("LA", (600, 400), (90, 128)), "LA", id="grey-alpha"),
        pytest.param(Image.new("I;16", (600, 400), 40000), "L", id="16-bit-grey"),
    ],
)
def test_png_modes_are_stored_smoothly(concern, image, mode):
    photo = add_photo(concern=concern, upload=upload(encode(image, "PNG"), "a.png", "image/png"))
    assert stored(photo.image).mode == mode
    assert stored(photo.thumbnail).size == (400, 267)


def test_a_16_bit_grey_png_keeps_its_brightness(concern):
    grey = Image.new("I;16", (30, 20), 40000)
    photo = add_photo(concern=concern, upload=upload(encode(grey, "PNG"), "a.png", "image/png"))
    assert stored(photo.image).getpixel((5, 5)) == 40000 // 256


def test_a_checked_upload_can_then_be_added(concern):
    file = upload(encode(two_colours(), "JPEG"))
    check_photo(file)
    photo = add_photo(concern=concern, upload=file)
    assert (photo.width, photo.height) == (300, 200)
    assert concern.photos.get() == photo


# --- Refused ------------------------------------------------------------------------------------


REFUSED_FORMATS = [
    pytest.param(encode(two_colours(), "GIF"), "photo.gif", "image/gif", id="gif"),
    pytest.param(encode(two_colours(), "GIF"), "photo.jpg", "image/jpeg", id="gif-named-jpg"),
    pytest.param(encode(two_colours(), "BMP"), "photo.bmp", "image/bmp", id="bmp"),
    pytest.param(encode(two_colours(), "TIFF"), "photo.tif", "image/tiff", id="tiff"),
    pytest.param(
        b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)'
        b"</script></svg>",
        "photo.svg",
        "image/svg+xml",
        id="svg",
    ),
    pytest.param(b"Bukan foto, hanya teks.\n" * 40, "photo.jpg", "image/jpeg", id="text-as-jpg"),
    pytest.param(b"%PDF-1.4\n" + b"0" * 500, "photo.png", "image/png", id="pdf-as-png"),
]


@pytest.mark.parametrize(("data", "name", "content_type"), REFUSED_FORMATS)
def test_other_formats_are_refused(concern, media, data, name, content_type):
    with pytest.raises(PhotoError) as refused:
        check_photo(upload(data, name, content_type))
    assert refused.value.code == "format"
    assert str(refused.value) == "The photo must be a JPEG, PNG or WebP image."

    with pytest.raises(PhotoError):
        add_photo(concern=concern, upload=upload(data, name, content_type))
    assert not ConcernPhoto.objects.exists()
    assert stored_files(media) == []


def test_an_empty_file_is_refused(concern):
    with pytest.raises(PhotoError) as refused:
        add_photo(concern=concern, upload=upload(b""))
    assert refused.value.code == "empty"
    assert str(refused.value) == "The photo is empty."


@pytest.mark.parametrize(
    ("data", "name"),
    [
        pytest.param(encode(noise((400, 300)), "JPEG")[:-3000], "photo.jpg", id="jpeg"),
        pytest.param(
            encode(noise((400, 300)), "JPEG", progressive=True)[:4000], "p.jpg", id="prog"
        ),
        pytest.param(encode(noise((400, 300)), "PNG")[:-20000], "photo.png", id="png"),
        pytest.param(encode(noise((400, 300)), "WEBP")[:-2000], "photo.webp", id="webp"),
    ],
)
def test_a_truncated_file_is_refused(concern, media, data, name):
    with pytest.raises(PhotoError) as refused:
        check_photo(upload(data, name))
    assert refused.value.code == "damaged"
    with pytest.raises(PhotoError):
        add_photo(concern=concern, upload=upload(data, name))
    assert not ConcernPhoto.objects.exists()
    assert stored_files(media) == []


def test_a_file_over_10_mb_is_refused_before_decoding(concern, monkeypatch):
    data = encode(two_colours(), "JPEG")
    data += b"\0" * (11 * 1024 * 1024 - len(data))

    def never(*args, **kwargs):
        raise AssertionError("decoded a file that is too large")

    monkeypatch.setattr(photos.Image, "open", never)
    for attempt in (check_photo, lambda f: add_photo(concern=concern, upload=f)):
        with pytest.raises(PhotoError) as refused:
            attempt(upload(data))
        assert refused.value.code == "too_large"
        assert str(refused.value) == "The photo is larger than 10 MB."


def test_the_size_limit_holds_without_a_declared_size(monkeypatch):
    monkeypatch.setattr(photos.Image, "open", lambda *a, **k: pytest.fail("decoded"))
    with pytest.raises(PhotoError) as refused:
        check_photo(io.BytesIO(b"\xff\xd8" + b"\0" * MAX_BYTES))
    assert refused.value.code == "too_large"


def test_exactly_10_mb_is_not_refused_for_its_size():
    data = encode(two_colours(), "JPEG")
    check_photo(upload(data + b"\0" * (MAX_BYTES - len(data))))


def test_a_photo_of_50_megapixels_is_refused(concern, media):
    data = encode(Image.new("L", (10000, 5000), 200), "PNG")
    assert len(data) < 1024 * 1024  # small on disk, 50 million pixels once decoded

    with pytest.raises(PhotoError) as refused:
        check_photo(upload(data, "peta.png", "image/png"))
    assert refused.value.code == "too_many_pixels"
    assert "40 megapixels" in str(refused.value)
    with pytest.raises(PhotoError):
        add_photo(concern=concern, upload=upload(data, "peta.png", "image/png"))
    assert stored_files(media) == []


def test_a_decompression_bomb_beyond_pillows_own_limit_is_refused():
    data = png_header_only(30000, 30000)  # 900 megapixels in under 100 bytes
    with pytest.raises(PhotoError) as refused:
        check_photo(upload(data, "bom.png", "image/png"))
    assert refused.value.code == "too_many_pixels"


def test_pillows_own_bomb_limits_are_refused_too(monkeypatch):
    monkeypatch.setattr(photos, "MAX_PIXELS", 10**12)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    # Over 2 × Pillow's limit: Pillow raises DecompressionBombError.
    with pytest.raises(PhotoError) as refused:
        check_photo(upload(encode(Image.new("RGB", (70, 70)), "PNG"), "a.png"))
    assert refused.value.code == "too_many_pixels"
    # Over Pillow's limit where warnings are errors: DecompressionBombWarning is raised.
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with pytest.raises(PhotoError) as refused:
            check_photo(upload(encode(Image.new("RGB", (40, 40)), "PNG"), "a.png"))
    assert refused.value.code == "too_many_pixels"


def test_photo_error_is_a_value_error():
    assert issubclass(PhotoError, ValueError)
