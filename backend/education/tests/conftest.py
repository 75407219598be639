"""Fixtures of the education tests: a day-surgery ward with a nurse (edits materials), a follow-up nurse (reads
only), a booked case whose patient has a bound app account, and helpers for ISO-BMFF video bytes."""

import os
import struct

import pytest
from django.utils import timezone

from tests.builders import make_case, make_patient, make_patient_account, make_staff


@pytest.fixture
def followup_nurse(ward):
    return make_staff("followup_nurse", ward=ward)


@pytest.fixture
def procedure(ward):
    from catalog.models import Procedure

    return Procedure.objects.create(code="51.2301", name="腹腔镜胆囊切除术", grade=3, incision_class="Ⅱ类",
                                    department=ward.department)


@pytest.fixture
def case(ward, procedure):
    c = make_case("booked", ward=ward, planned_date=timezone.localdate() + timezone.timedelta(days=2),
                  patient=make_patient())
    c.procedure = procedure
    c.procedure_code = procedure.code
    c.save(update_fields=["procedure", "procedure_code"])
    return c


@pytest.fixture
def account(case):
    return make_patient_account(patient=case.patient)


def box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def mp4_bytes(*, seconds=95, brand=b"isom", handler=b"vide", moov_first=False) -> bytes:
    """A structurally complete MP4 (ftyp, mdat, moov with a movie header of `seconds` and one `handler` track)."""
    ftyp = box(b"ftyp", brand + b"\0\0\x02\0" + b"isomiso2avc1mp41")
    mvhd = box(b"mvhd", b"\0\0\0\0" + b"\0" * 8 + struct.pack(">II", 1000, seconds * 1000) + b"\0" * 80)
    hdlr = box(b"hdlr", b"\0\0\0\0" + b"\0\0\0\0" + handler + b"\0" * 12 + b"VideoHandler\0")
    trak = box(b"trak", box(b"tkhd", b"\0" * 84) + box(b"mdia", box(b"mdhd", b"\0" * 24) + hdlr))
    moov = box(b"moov", mvhd + trak)
    mdat = box(b"mdat", os.urandom(4096))
    return ftyp + (moov + mdat if moov_first else mdat + moov)


def webm_bytes() -> bytes:
    return b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\x82\x84webm\x42\x87\x81\x04" + os.urandom(512)


@pytest.fixture(scope="module")
def s3_endpoint():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_storage(s3_endpoint, settings):
    """The storage port on boto3 against an S3 API server over loopback HTTP (moto), bucket education-test."""
    from integrations.registry import get_port

    settings.OBJECT_STORAGE = {"bucket": "education-test", "endpoint_url": s3_endpoint, "access_key": "test",
                               "secret_key": "test", "region_name": "us-east-1"}
    settings.INTEGRATION_ADAPTERS = {**settings.INTEGRATION_ADAPTERS,
                                     "storage": "integrations.adapters.storage.Boto3ObjectStorage"}
    storage = get_port("storage")
    storage.client.create_bucket(Bucket="education-test")
    return storage
