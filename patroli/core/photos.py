"""Uploaded photos (of concerns, of visits, a release's cover): checked by their content,
re-encoded without any metadata, stored with a thumbnail and served privately.

A photo is accepted only when Pillow decodes it completely as a JPEG, PNG or WebP image, whatever
its file name or the content type its browser claimed. It is stored re-encoded in the same format,
turned upright by its EXIF orientation, at most ``MAX_SIDE`` pixels on the long side, with a
thumbnail of ``THUMB_SIDE`` pixels, and without EXIF (GPS included), XMP, ICC profile, comments or
text chunks: the encoder only ever sees the pixels.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from django.core.files.base import ContentFile
from django.db import models, transaction
from django.http import FileResponse, Http404
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000  # well above any phone camera; refused before a single pixel is decoded
MAX_SIDE = 2560
THUMB_SIDE = 400
RESAMPLE = Image.Resampling.LANCZOS
REDUCING_GAP = 3.0  # integer reduction first, then LANCZOS: fast and indistinguishable


@dataclass(frozen=True)
class _Kind:
    pillow_format: str
    extension: str
    content_type: str
    options: dict[str, Any]


_JPEG = _Kind("JPEG", ".jpg", "image/jpeg", {"quality": 85, "optimize": True})
_PNG = _Kind("PNG", ".png", "image/png", {"optimize": True})
_WEBP = _Kind("WEBP", ".webp", "image/webp", {"quality": 85})
# Pillow's name of what it decoded → how it is stored. MPO is the JPEG of many phone cameras
# (a JPEG with extra pictures appended); only its first picture is kept.
KINDS = {"JPEG": _JPEG, "MPO": _JPEG, "PNG": _PNG, "WEBP": _WEBP}
# The only decoders Pillow may even try: no GIF, BMP, TIFF, PSD, EPS...
OPEN_FORMATS = ("JPEG", "PNG", "WEBP")

_ALPHA_MODES = {"RGBA", "LA", "PA", "RGBa", "La"}
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


class PhotoError(ValueError):
    """A refused photo; ``str(error)`` is a translated message fit for the person uploading it."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


def _refuse_format() -> PhotoError:
    return PhotoError(_("The photo must be a JPEG, PNG or WebP image."), "format")


def _refuse_bytes() -> PhotoError:
    return PhotoError(
        _("The photo is larger than %(megabytes)d MB.") % {"megabytes": MAX_BYTES // 1024**2},
        "too_large",
    )


def _refuse_pixels() -> PhotoError:
    return PhotoError(
        _("The photo has too many pixels: at most %(megapixels)d megapixels are accepted.")
        % {"megapixels": MAX_PIXELS // 1_000_000},
        "too_many_pixels",
    )


def _read(upload) -> bytes:
    """The upload's bytes, its size checked before anything is read or decoded."""
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_BYTES:
        raise _refuse_bytes()
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(MAX_BYTES + 1)  # never more, whatever size was claimed
    if len(data) > MAX_BYTES:
        raise _refuse_bytes()
    if not data:
        raise PhotoError(_("The photo is empty."), "empty")
    return data


def _check_pixels(image: Image.Image) -> None:
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise _refuse_pixels()


def _fit(size: tuple[int, int], longest: int) -> tuple[int, int] | None:
    """The size within ``longest`` pixels on the long side, or None when it already fits."""
    width, height = size
    if max(width, height) <= longest:
        return None
    scale = longest / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def _decode(upload, *, check_only: bool) -> tuple[Image.Image, _Kind]:
    """The upright image and how to store it, or PhotoError. Decodes every byte of the file,
    so that truncated or damaged files are refused; ``check_only`` decodes JPEG at 1/8 scale."""
    data = _read(upload)
    try:
        with Image.open(io.BytesIO(data), formats=OPEN_FORMATS) as probe:
            _check_pixels(probe)  # from the header alone
            probe.verify()
        image = Image.open(io.BytesIO(data), formats=OPEN_FORMATS)
        kind = KINDS.get(image.format or "")
        if kind is None:
            raise _refuse_format()
        _check_pixels(image)
        if check_only:
            image.draft(None, (1, 1))  # JPEG: smallest DCT scale, still reads the whole stream
        elif target := _fit(image.size, MAX_SIDE):
            image.draft(None, target)  # JPEG: decode at the smallest scale not below the target
        image.load()
        if not check_only:
            ImageOps.exif_transpose(image, in_place=True)
    except PhotoError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _refuse_pixels() from exc
    except UnidentifiedImageError as exc:
        raise _refuse_format() from exc
    except Exception as exc:  # Pillow raises many kinds on damaged data: OSError, SyntaxError...
        raise PhotoError(
            _("The photo could not be read: the file is damaged or incomplete."), "damaged"
        ) from exc
    return image, kind


def check_photo(upload) -> None:
    """Raise PhotoError unless ``upload`` is a complete JPEG, PNG or WebP image within limits.

    For form and API validation; ``add_photo`` checks again by itself."""
    image, _kind = _decode(upload, check_only=True)
    image.close()


def _resizable(image: Image.Image) -> Image.Image:
    """A mode that resamples smoothly (palette and 1-bit images only resize by nearest pixel)."""
    mode = image.mode
    if mode in ("L", "LA", "RGB", "RGBA", "CMYK"):
        if mode in ("L", "RGB") and "transparency" in image.info:
            return image.convert("RGBA")
        return image
    if mode.startswith("I"):  # 16-bit greyscale PNG: 0..65535 → 0..255
        return image.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    if mode in ("P", "PA"):
        has_alpha = mode == "PA" or "transparency" in image.info
        return image.convert("RGBA" if has_alpha else "RGB")
    if mode == "1":
        return image.convert("L")
    return image.convert("RGBA" if mode in _ALPHA_MODES else "RGB")


def _to_srgb(image: Image.Image) -> Image.Image:
    """Colours through the embedded ICC profile to sRGB, so that dropping the profile keeps them.
    CMYK becomes RGB; a profile that cannot be used is ignored."""
    icc = image.info.get("icc_profile")
    if icc and image.mode in ("RGB", "RGBA", "CMYK"):
        try:
            return ImageCms.profileToProfile(
                image,
                ImageCms.ImageCmsProfile(io.BytesIO(icc)),
                _SRGB,
                outputMode="RGBA" if image.mode == "RGBA" else "RGB",
            )
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            pass
    return image


def _storable(image: Image.Image, kind: _Kind) -> Image.Image:
    """A new image of the pixels alone, in a mode the format stores: nothing else is carried."""
    image = _to_srgb(image)
    has_alpha = image.mode in _ALPHA_MODES
    if kind is _JPEG:
        if has_alpha:  # JPEG has no transparency: flatten onto white
            rgba = image.convert("RGBA")
            image = Image.new("RGB", rgba.size, "white")
            image.paste(rgba, mask=rgba.getchannel("A"))
        mode = "RGB"
    elif kind is _PNG and image.mode in ("L", "LA"):
        mode = image.mode
    else:
        mode = "RGBA" if has_alpha else "RGB"
    if image.mode != mode:
        image = image.convert(mode)
    return Image.frombytes(mode, image.size, image.tobytes())


def _encode(image: Image.Image, kind: _Kind) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, kind.pillow_format, **kind.options)
    return buffer.getvalue()


def _clean(upload) -> tuple[Image.Image, _Kind]:
    image, kind = _decode(upload, check_only=False)
    image = _resizable(image)
    if size := _fit(image.size, MAX_SIDE):
        image = image.resize(size, RESAMPLE, reducing_gap=REDUCING_GAP)
    return _storable(image, kind), kind


def clean_image(upload) -> ContentFile:
    """The upload checked, upright, at most MAX_SIDE wide and stripped of all metadata, as a
    file to store anywhere (a release's cover, for one). Raises PhotoError when refused."""
    image, kind = _clean(upload)
    return ContentFile(_encode(image, kind), name=f"photo{kind.extension}")


@dataclass(frozen=True)
class CleanPhoto:
    """A checked photo, encoded and ready to store: the image, its thumbnail and what they are."""

    image: bytes
    thumbnail: bytes
    extension: str
    content_type: str
    width: int
    height: int


def prepare_photo(upload) -> CleanPhoto:
    """Check ``upload`` and encode it upright, resized and stripped of metadata, with a thumbnail.

    The slow part (decoding, resizing, encoding), done before any transaction is opened. Raises
    PhotoError when refused."""
    image, kind = _clean(upload)
    thumbnail = image
    if size := _fit(image.size, THUMB_SIDE):
        thumbnail = image.resize(size, RESAMPLE, reducing_gap=REDUCING_GAP)
    return CleanPhoto(
        image=_encode(image, kind),
        thumbnail=_encode(thumbnail, kind),
        extension=kind.extension,
        content_type=kind.content_type,
        width=image.width,
        height=image.height,
    )


def store_photo(photo: models.Model, clean: CleanPhoto) -> models.Model:
    """Write the files of ``clean`` into ``photo``'s ``image`` and ``thumbnail``, then insert its
    row, in one transaction. When anything fails the files are deleted again, so an interrupted
    upload leaves neither a row without files nor files without a row."""
    photo.content_type = clean.content_type
    photo.width, photo.height = clean.width, clean.height
    try:
        with transaction.atomic():
            photo.image.save(f"photo{clean.extension}", ContentFile(clean.image), save=False)
            photo.thumbnail.save(
                f"thumbnail{clean.extension}", ContentFile(clean.thumbnail), save=False
            )
            # force_insert: a photo id sent twice must fail here, not overwrite the first copy.
            photo.save(force_insert=True)
    except BaseException:
        delete_photo_files(photo)
        raise
    return photo


def delete_photo_files(photo: models.Model) -> None:
    """Remove the stored files of ``photo`` (its row is the caller's business)."""
    for field in (photo.image, photo.thumbnail):
        if field:
            field.delete(save=False)


# Only the types the pipeline writes are ever announced; anything else is plain bytes.
SERVED_TYPES = frozenset(kind.content_type for kind in KINDS.values())


def photo_response(photo: models.Model, size: str) -> FileResponse:
    """The stored photo (``size`` "full") or its thumbnail ("thumb") for a page that has already
    checked access: shown in the browser, never sniffed as another type, cached only privately."""
    if size not in ("full", "thumb"):
        raise Http404
    file = photo.image if size == "full" else photo.thumbnail
    content_type = photo.content_type
    if content_type not in SERVED_TYPES:
        content_type = "application/octet-stream"
    response = FileResponse(file.open("rb"), content_type=content_type)
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    patch_cache_control(response, private=True, max_age=3600)
    return response
