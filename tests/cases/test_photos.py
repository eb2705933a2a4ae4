"""Photos: only real images, within size, count and pixel limits, stored clean."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from grassroots.cases import photos
from grassroots.cases.choices import Channel
from grassroots.cases.models import CasePhoto
from grassroots.cases.services import case_submit
from grassroots.core.errors import ValidationFailed

from .factories import category, make_world

GPS_IFD = 0x8825


def jpeg_with_gps(size: tuple[int, int] = (640, 480), orientation: int | None = None) -> bytes:
    image = Image.new("RGB", size, (200, 60, 40))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0131] = "Camera 1.0"  # Software
    if orientation:
        exif[0x0112] = orientation
    exif[GPS_IFD] = {1: "N", 2: (39.0, 54.0, 15.0), 3: "E", 4: (116.0, 23.0, 30.0)}
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif, quality=90)
    return out.getvalue()


def png(size: tuple[int, int] = (64, 48), mode: str = "RGBA") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (10, 120, 200, 128) if mode == "RGBA" else (10, 120, 200)).save(
        out, format="PNG"
    )
    return out.getvalue()


def upload(data: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def test_jpeg_exif_and_gps_are_stripped_and_orientation_applied():
    original = jpeg_with_gps(size=(640, 480), orientation=6)  # "rotate 90° to view"
    assert Image.open(io.BytesIO(original)).getexif().get(GPS_IFD)
    (item,) = photos.process([upload(original)])
    cleaned = Image.open(io.BytesIO(item.content))
    assert cleaned.format == "JPEG"
    assert not cleaned.getexif()  # no EXIF at all, GPS included
    assert b"Exif" not in item.content[:4096]
    assert b"PhoneMaker" not in item.content
    assert (item.width, item.height) == cleaned.size == (480, 640)  # turned upright


@pytest.mark.django_db
def test_stored_copy_has_no_exif_and_a_random_name(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    world = make_world()
    case = case_submit(
        category=category(),
        description="下水道堵了，污水冒出来",
        channel=Channel.WEB,
        lon=world.point[0],
        lat=world.point[1],
    )
    processed = photos.process([upload(jpeg_with_gps(), name="IMG_0001 home.jpg")])
    (stored,) = photos.attach(case=case, processed=processed, kind="report", user=None)
    stored.refresh_from_db()
    assert stored.kind == CasePhoto.Kind.REPORT
    assert (stored.width, stored.height) == (640, 480)
    assert "IMG_0001" not in stored.image.name and stored.image.name.endswith(".jpg")
    with stored.image.open("rb") as f:
        data = f.read()
    assert not Image.open(io.BytesIO(data)).getexif()
    assert (tmp_path / stored.image.name).exists()


def test_png_is_accepted_and_becomes_jpeg_on_white():
    (item,) = photos.process([upload(png(), name="shot.png", content_type="image/png")])
    cleaned = Image.open(io.BytesIO(item.content))
    assert cleaned.format == "JPEG" and cleaned.mode == "RGB"
    assert (item.width, item.height) == (64, 48)
    red = cleaned.getpixel((10, 10))[0]
    assert red > 100  # half-transparent blue over white, not over black


def test_large_images_are_scaled_down():
    (item,) = photos.process([upload(png(size=(4000, 1000), mode="RGB"), name="wide.png")])
    assert (item.width, item.height) == (2048, 512)


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"this is not a photo at all\n" * 20, "notes.jpg"),
        (b"%PDF-1.4\n1 0 obj<<>>endobj\n", "scan.jpg"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", "drawing.png"),
        (b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n", "vector.jpg"),
        (b"", "empty.jpg"),
    ],
)
def test_anything_that_is_not_an_image_is_refused(data, name):
    with pytest.raises(ValidationFailed) as refused:
        photos.process([upload(data, name=name)])
    assert refused.value.field == "photos"
    assert name in str(refused.value.message)


def test_truncated_jpeg_is_refused():
    data = jpeg_with_gps()
    with pytest.raises(ValidationFailed):
        photos.process([upload(data[: len(data) // 3])])


def test_oversized_file_is_refused(settings):
    settings.CASE_PHOTO_MAX_BYTES = 10_000
    big = jpeg_with_gps(size=(1200, 900))
    noisy = Image.effect_noise((400, 400), 100).convert("RGB")
    out = io.BytesIO()
    noisy.save(out, format="JPEG", quality=95)
    assert len(out.getvalue()) > 10_000
    with pytest.raises(ValidationFailed) as refused:
        photos.process([upload(out.getvalue()), upload(big)])
    assert refused.value.field == "photos"
    assert "太大" in str(refused.value.message)


def test_too_many_photos_are_refused(settings):
    settings.CASE_PHOTO_MAX_COUNT = 3
    files = [upload(png(), name=f"p{i}.png") for i in range(4)]
    with pytest.raises(ValidationFailed) as refused:
        photos.process(files)
    assert "3" in str(refused.value.message)
    assert len(photos.process(files[:3])) == 3


def test_pixel_flood_is_refused_before_decoding(settings):
    settings.CASE_PHOTO_MAX_PIXELS = 1_000_000
    # A tiny file that claims 2000 × 2000 pixels (compresses to almost nothing).
    out = io.BytesIO()
    Image.new("L", (2000, 2000), 0).save(out, format="PNG", optimize=True)
    assert len(out.getvalue()) < 20_000
    with pytest.raises(ValidationFailed) as refused:
        photos.process([upload(out.getvalue(), name="bomb.png")])
    assert "尺寸" in str(refused.value.message)


def test_pillow_decompression_bomb_warning_counts_as_refusal(monkeypatch, settings):
    settings.CASE_PHOTO_MAX_PIXELS = 10**12  # our own check out of the way
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    with pytest.raises(ValidationFailed) as refused:
        photos.process([upload(png(size=(40, 40), mode="RGB"), name="warn.png")])  # 1600 px
    assert "尺寸" in str(refused.value.message)


@pytest.mark.django_db
def test_attach_refuses_unknown_kind():
    with pytest.raises(ValidationFailed):
        photos.attach(case=None, processed=[], kind="selfie")  # type: ignore[arg-type]
