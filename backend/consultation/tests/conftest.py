"""Fixtures of the consultation tests: two wards, their care teams, a discharged case of a patient who uses the
mini-program, and photo builders (camera-like JPEGs with EXIF and GPS, PNG, WebP, bombs)."""

import struct
import zlib
from io import BytesIO

import pytest
from PIL import ExifTags, Image, ImageDraw

from tests.builders import make_case, make_patient, make_patient_account, make_staff, make_ward


@pytest.fixture(autouse=True)
def _fail_fast_integrations(settings):
    """Outbox handlers of other contexts that call a hospital system (no simulator runs here) fail at once."""
    settings.INTEGRATION_HTTP = {**settings.INTEGRATION_HTTP, "attempts": 1, "backoff": 0.0}


@pytest.fixture
def other_ward(db):
    return make_ward()


@pytest.fixture
def other_nurse(other_ward):
    return make_staff("nurse", ward=other_ward)


@pytest.fixture
def patient(db):
    return make_patient(name="王小明")


@pytest.fixture
def account(patient):
    return make_patient_account(patient=patient)


@pytest.fixture
def case(ward, doctor, patient):
    return make_case("discharged", ward=ward, surgeon=doctor, patient=patient)


@pytest.fixture
def stranger(db):
    """Another patient with an account."""
    return make_patient_account(patient=make_patient(name="李四"))


def camera_jpeg(size=(640, 480), orientation=6, colour=(190, 70, 60)) -> bytes:
    """A phone photo: EXIF with orientation, camera make and model, time and a GPS position (Beijing)."""
    image = Image.new("RGB", size, (235, 200, 180))
    draw = ImageDraw.Draw(image)
    w, h = size
    draw.line([(w // 5, h // 2), (4 * w // 5, h // 2)], fill=colour, width=12)  # the incision
    draw.rectangle([0, 0, w // 8, h // 8], fill=(0, 0, 255))  # a marker in the top-left corner
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = "Apple"
    exif[ExifTags.Base.Model] = "iPhone 15"
    exif[ExifTags.Base.DateTime] = "2026:11:20 21:14:03"
    exif[ExifTags.IFD.GPSInfo] = {1: "N", 2: (39.0, 54.0, 27.0), 3: "E", 4: (116.0, 23.0, 17.0)}
    out = BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes(), quality=90)
    return out.getvalue()


def plain_image(fmt="PNG", size=(400, 300), mode="RGB", **save) -> bytes:
    image = Image.new(mode, size, (120, 160, 200) if mode == "RGB" else (120, 160, 200, 128))
    ImageDraw.Draw(image).ellipse([20, 20, size[0] - 20, size[1] - 20], outline=(200, 0, 0), width=5)
    out = BytesIO()
    image.save(out, format=fmt, **save)
    return out.getvalue()


def animated_webp() -> bytes:
    frames = [Image.new("RGB", (300, 300), c) for c in ((255, 0, 0), (0, 255, 0))]
    out = BytesIO()
    frames[0].save(out, format="WEBP", save_all=True, append_images=frames[1:], duration=100)
    return out.getvalue()


def png_with_dimensions(width, height) -> bytes:
    """A tiny PNG whose header claims width × height (a decompression bomb: the IDAT inflates to gigabytes)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    compressor = zlib.compressobj(9)
    row = b"\x00" + b"\x00" * width
    idat = compressor.compress(row * 64) + compressor.flush()  # a few rows are enough to make the point
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def upload_files(*contents, names=None):
    from django.core.files.uploadedfile import SimpleUploadedFile

    names = names or [f"wound{i}.jpg" for i in range(len(contents))]
    return [SimpleUploadedFile(name, content, content_type="image/jpeg") for name, content in zip(names, contents,
                                                                                                    strict=True)]


@pytest.fixture(autouse=True)
def own_object_store(tmp_path):
    """Each test stores its objects in its own directory (the local demo adapter), so it can count them."""
    from integrations.adapters.storage import LocalObjectStorage
    from integrations.registry import override_port

    with override_port("storage", LocalObjectStorage(root=tmp_path / "objects")) as adapter:
        yield adapter
