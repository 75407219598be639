"""Simulated PACS images (D3): key images, an ECG tracing and full-resolution originals of the exam reports,
served the FHIR R4 way a hospital integration platform does.

- `GET /fhir/DiagnosticReport/<id>`: the report (read by id) with `media` links to its images;
- `GET /fhir/Media?_id=a,b` and `GET /fhir/Media/<id>`: the images' metadata (`content.contentType`, `.size`,
  `.title`, `.url` → `Binary/<id>`); ECG tracings declare no size, as some PACS do;
- `GET /fhir/Binary/<id>`: the bytes, in the image's own content type.

Per imaging report: a small key image (PNG), for a chest film also a full-resolution image (PNG, about 7.5 MB:
above the platform's default transfer limit) and the DICOM original (never viewable in a browser); per ECG: one
tracing. Content is a pure function of the report number, generated on first request and kept in memory.
"""

from __future__ import annotations

import hashlib
import random
import struct
import zlib

from hospital_sim import fhir
from hospital_sim.routing import HttpError, module_state, one, routes

LARGE_SIDE = (3000, 2500)  # grayscale, incompressible: 7.5 MB of pixels
DICOM_BYTES = 12 * 1024 * 1024


def _png(width: int, height: int, rows, *, level: int = 6) -> bytes:
    """An 8-bit grayscale PNG from an iterable of `height` rows of `width` bytes (stdlib only)."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    raw = b"".join(b"\x00" + bytes(row) for row in rows)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, level)) + chunk(b"IEND", b""))


def _key_image(seed: str, side: int = 256) -> bytes:
    """A soft radial pattern that differs per report (looks like a film, compresses to a few kB)."""
    h = hashlib.sha1(seed.encode()).digest()
    cx, cy, scale = side // 3 + h[0] % (side // 3), side // 3 + h[1] % (side // 3), 2 + h[2] % 4
    return _png(side, side, ([min(255, ((x - cx) ** 2 + (y - cy) ** 2) // (scale * side // 8) % 256)
                              for x in range(side)] for y in range(side)))


def _ecg_tracing(seed: str, width: int = 600, height: int = 160) -> bytes:
    rng = random.Random(seed)
    beat = rng.randrange(90, 130)
    trace = []
    for x in range(width):
        phase = x % beat
        y = height // 2 - (60 if phase == 10 else -15 if phase in (8, 12) else 8 if 30 < phase < 45 else 0)
        trace.append(y)
    spans = [(min(trace[x - 1], trace[x]) - 1, max(trace[x - 1], trace[x]) + 1) for x in range(width)]  # joined
    return _png(width, height, ([0 if spans[x][0] <= y <= spans[x][1] else 235 for x in range(width)]
                                for y in range(height)))


def _large_image(seed: str) -> bytes:
    rng = random.Random(seed)
    width, height = LARGE_SIDE
    return _png(width, height, (rng.randbytes(width) for _ in range(height)), level=0)


def _dicom(seed: str) -> bytes:
    return b"\x00" * 128 + b"DICM" + random.Random(seed).randbytes(DICOM_BYTES - 132)


def images_of(report) -> list[dict]:
    """The images of one exam report (a data.ExamReport): id, title, content type, generator, declared size?"""
    no = report.report_no
    if report.kind == "ECG":
        return [{"id": f"IMG-{no}-1", "title": f"{report.name} 波形", "content_type": "image/png",
                 "make": _ecg_tracing, "declare_size": False}]
    out = [{"id": f"IMG-{no}-1", "title": f"{report.name} 关键图像", "content_type": "image/png",
            "make": _key_image, "declare_size": True}]
    if report.code == "CXR":
        out += [{"id": f"IMG-{no}-2", "title": f"{report.name} 高分辨率图像", "content_type": "image/png",
                 "make": _large_image, "declare_size": True},
                {"id": f"IMG-{no}-3", "title": f"{report.name} 原始影像(DICOM)", "content_type": "application/dicom",
                 "make": _dicom, "declare_size": True}]
    elif report.code.startswith("US-"):
        out.append({"id": f"IMG-{no}-2", "title": f"{report.name} 关键图像 2", "content_type": "image/png",
                    "make": _key_image, "declare_size": True})
    return out


def _report(state, report_id: str):
    return next((r for r in state.hospital.exams if r.report_no == report_id), None)


def _image(state, image_id: str):
    """(report, image dict) of an image id (IMG-<report_no>-<n>), or 404."""
    report_no = image_id[len("IMG-"):].rsplit("-", 1)[0] if image_id.startswith("IMG-") else ""
    report = _report(state, report_no) if report_no else None
    image = next((i for i in images_of(report) if i["id"] == image_id), None) if report else None
    if image is None:
        raise HttpError(404, "not-found", "unknown image")
    return report, image


def _content(state, image: dict) -> bytes:
    cache = module_state(state, "imaging")
    with state.lock:
        content = cache.get(image["id"])
    if content is None:
        content = image["make"](image["id"])
        with state.lock:
            cache[image["id"]] = content
    return content


def _media(state, report, image: dict) -> dict:
    content = {"contentType": image["content_type"], "url": f"Binary/{image['id']}", "title": image["title"]}
    if image["declare_size"]:
        content["size"] = len(_content(state, image))
    return {
        "resourceType": "Media",
        "id": image["id"],
        "status": "completed",
        "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/media-type", "code": "image"}]},
        "subject": {"reference": f"Patient/{report.reg_no}"},
        "encounter": {"reference": f"Encounter/{report.visit_no}"},
        "partOf": [{"reference": f"DiagnosticReport/{report.report_no}"}],
        "createdDateTime": report.issued_at.isoformat(timespec="seconds"),
        "content": content,
    }


@routes.add("GET", "/fhir/DiagnosticReport/(?P<id>[^/]+)")
def report_read(state, m, q, body, headers):
    report = _report(state, m["id"])
    if report is None:
        raise HttpError(404, "not-found", "unknown report")
    resource = fhir.exam_report(report)
    resource["media"] = [{"comment": i["title"], "link": {"reference": f"Media/{i['id']}"}} for i in images_of(report)]
    return 200, resource


@routes.add("GET", "/fhir/Media")
def media_search(state, m, q, body, headers):
    ids = [i for i in (one(q, "_id") or "").split(",") if i]
    if not ids:
        raise HttpError(400, "too_costly", "search Media by _id")
    found = []
    for image_id in ids:
        try:
            report, image = _image(state, image_id)
        except HttpError:
            continue
        found.append(_media(state, report, image))
    return 200, fhir.bundle(found)


@routes.add("GET", "/fhir/Media/(?P<id>[^/]+)")
def media_read(state, m, q, body, headers):
    report, image = _image(state, m["id"])
    return 200, _media(state, report, image)


@routes.add("GET", "/fhir/Binary/(?P<id>[^/]+)")
def binary_read(state, m, q, body, headers):
    _report_of, image = _image(state, m["id"])
    return 200, _content(state, image), image["content_type"]
