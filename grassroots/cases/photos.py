"""Photos of a case: check, clean and store them.

``process(files)`` reads uploaded files and refuses anything that is not a real image
(decided by opening it with Pillow, never by its name or declared type), files over
``CASE_PHOTO_MAX_BYTES``, images over ``CASE_PHOTO_MAX_PIXELS`` (a pixel flood: Pillow's
``DecompressionBombWarning`` counts as an error too) and more than ``CASE_PHOTO_MAX_COUNT``
files. It writes nothing. Each accepted image is turned upright (EXIF orientation),
scaled to at most ``MAX_SIDE`` px on its long side and re-encoded as JPEG **without any
metadata** — EXIF, GPS position, camera serial and embedded thumbnails are gone.

``attach(case=..., processed=..., kind=..., user=...)`` stores the cleaned copies under
random server-made names (``CasePhoto.image``, the default storage) and records their size.
Only these copies are ever kept or shown; the upload itself is discarded.
"""

from __future__ import annotations

import io
import secrets
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from grassroots.core.errors import ValidationFailed

from .models import Case, CasePhoto

MAX_SIDE = 2048
JPEG_QUALITY = 85
# Formats Pillow may open (JPEG includes MPO, the multi-picture JPEG of some cameras).
# Anything else (EPS, PDF, SVG, …) is refused before it is parsed.
ALLOWED_FORMATS = ("JPEG", "PNG", "GIF", "WEBP", "BMP", "TIFF")
FIELD = "photos"


@dataclass(frozen=True)
class ProcessedPhoto:
    """A cleaned image ready to store: JPEG bytes without metadata."""

    content: bytes
    width: int
    height: int
    original_name: str


def _limits() -> tuple[int, int, int]:
    return (
        int(settings.CASE_PHOTO_MAX_COUNT),
        int(settings.CASE_PHOTO_MAX_BYTES),
        int(settings.CASE_PHOTO_MAX_PIXELS),
    )


def _read(upload: Any, max_bytes: int) -> bytes:
    size = getattr(upload, "size", None)
    if size is not None and size > max_bytes:
        raise _too_big(_name(upload), max_bytes)
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise _too_big(_name(upload), max_bytes)
    return data


def _name(upload: Any) -> str:
    return str(getattr(upload, "name", "") or "")[:100]


def _too_big(name: str, max_bytes: int) -> ValidationFailed:
    return ValidationFailed(
        _("照片“%(name)s”太大了（每张最多 %(mb)d MB）。")
        % {"name": name, "mb": max_bytes // (1024 * 1024)},
        field=FIELD,
    )


def _not_image(name: str) -> ValidationFailed:
    return ValidationFailed(
        _("“%(name)s”不是照片，请选择 JPG 或 PNG 格式的图片。") % {"name": name},
        field=FIELD,
    )


def _flood(name: str) -> ValidationFailed:
    return ValidationFailed(
        _("照片“%(name)s”的尺寸太大了，请换一张。") % {"name": name}, field=FIELD
    )


def _flatten(image: Image.Image) -> Image.Image:
    """RGB for JPEG; transparent parts become white (not black)."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB") if image.mode != "RGB" else image


def clean_image(data: bytes, *, name: str = "", max_pixels: int | None = None) -> ProcessedPhoto:
    """One image, cleaned: upright, at most ``MAX_SIDE`` px, JPEG without metadata.

    Raises ``ValidationFailed`` for anything that is not an acceptable image."""
    max_pixels = max_pixels if max_pixels is not None else _limits()[2]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=ALLOWED_FORMATS)
            width, height = image.size
            if width <= 0 or height <= 0 or width * height > max_pixels:
                raise _flood(name)
            image.load()  # decode now: a truncated or corrupt file fails here
            upright = ImageOps.exif_transpose(image) or image
            flat = _flatten(upright)
            flat.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
            out = io.BytesIO()
            # No exif=, no icc_profile=: nothing of the original's metadata is written.
            flat.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _flood(name) from exc
    except ValidationFailed:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise _not_image(name) from exc
    return ProcessedPhoto(
        content=out.getvalue(), width=flat.width, height=flat.height, original_name=name
    )


def process(files: Iterable[Any]) -> list[ProcessedPhoto]:
    """Check and clean uploaded files; writes nothing. ``ValidationFailed`` (field
    ``photos``) names the first file that is refused and why."""
    max_count, max_bytes, max_pixels = _limits()
    uploads = [f for f in files if f is not None]
    if len(uploads) > max_count:
        raise ValidationFailed(
            _("最多上传 %(n)d 张照片。") % {"n": max_count},
            field=FIELD,
        )
    processed = []
    for upload in uploads:
        data = _read(upload, max_bytes)
        if not data:
            raise _not_image(_name(upload))
        processed.append(clean_image(data, name=_name(upload), max_pixels=max_pixels))
    return processed


def attach(
    *, case: Case, processed: Sequence[ProcessedPhoto], kind: str, user: Any = None
) -> list[CasePhoto]:
    """Store cleaned photos on ``case`` under random names; call inside the transaction
    that writes the case, after ``process`` accepted them."""
    if kind not in CasePhoto.Kind.values:
        raise ValidationFailed(_("未知的照片类型。"), field=FIELD)
    uploaded_by = user if getattr(user, "pk", None) else None
    photos = []
    for item in processed:
        photo = CasePhoto(
            case=case, kind=kind, width=item.width, height=item.height, uploaded_by=uploaded_by
        )
        photo.image.save(f"{secrets.token_hex(16)}.jpg", ContentFile(item.content), save=True)
        photos.append(photo)
    return photos
