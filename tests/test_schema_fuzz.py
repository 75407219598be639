"""Bad input never gives a 500 (item 10): every write operation of the OpenAPI schema, malformed bodies.

Operations are discovered from the generated schema, so a new endpoint is fuzzed without editing this file.
Each request runs as a superuser (and, where the patient principal exists, as a bound patient) and must
answer below 500, and every refusal must be the one error envelope {"error": {"code", "message", "fields"}}.
"""

import json
import uuid

import pytest
from django.db import transaction
from rest_framework.test import APIClient

from tests import api_walk
from tests.builders import make_case, make_staff, make_ward

pytestmark = pytest.mark.django_db

INVALID_PATH_VALUES = ("not-a-uuid", "0" * 200, "%00", "1 OR 1=1")


def _client(token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.fixture(autouse=True)
def _fail_fast_integrations(settings):
    """Malformed requests that reach a hospital system (no simulator runs here) fail at once, not after retries."""
    settings.INTEGRATION_HTTP = {**settings.INTEGRATION_HTTP, "attempts": 1, "backoff": 0.0}


def _seed():
    """A little of everything so path parameters can be filled with real rows."""
    ward = make_ward()
    make_staff("doctor", ward=ward)
    from org.models import Bed, MedicalGroup, TheatreRoom, TheatreSession, TheatreSuite

    Bed.objects.create(ward=ward, code="1")
    leader = make_staff("doctor", ward=ward)
    MedicalGroup.objects.create(department=ward.department, name="组", leader=leader)
    suite = TheatreSuite.objects.create(name="手术室", code="FZ-TS")
    room = TheatreRoom.objects.create(suite=suite, name="1间", code="R1")
    TheatreSession.objects.create(room=room, weekday=0, start_time="08:00", end_time="12:00")
    from catalog.services import procedure_create

    procedure_create(actor=None, code="51.2300", name="腹腔镜胆囊切除术", grade=3, incision_class="II",
                     department=ward.department, wards=[ward])
    case = make_case(ward=ward)
    from tests.app_seeds import seed_app_rows

    seed_app_rows(ward=ward, patient=case.patient, case=case)  # each context's own rows
    from django.utils import timezone

    from tests.builders import make_capacity

    make_capacity(make_staff("doctor"), day=timezone.localdate())  # a capacity slot (its own surgeon: no limits here)
    from booking_policy.services import admission_rule_create, booking_mode_grant_create

    admission_rule_create(actor=None, hospital=ward.department.hospital, name="年龄", kind="age", max_age=80)
    booking_mode_grant_create(actor=None, mode="group", grantee_kind="doctor", grantee_user=leader)
    make_case("pending_pool", ward=ward)  # a pending-pool entry to resume
    return ward


def _existing_values(client, path):
    """Fill {param}s left to right from the collection listing in front of each one (e.g. GET /wards/)."""
    filled = path
    while "{" in filled:
        head, rest = filled.split("{", 1)
        name, tail = rest.split("}", 1)
        listing = client.get(head)
        if listing.status_code == 404 and head.endswith("/cases/"):  # /preop/cases/{uuid}/...: a case of /cases/
            listing = client.get("/api/v1/cases/")
        value = None
        if listing.status_code == 200:
            try:
                body = listing.json()
            except ValueError:
                body = None
            rows = body.get("results") if isinstance(body, dict) else body
            if isinstance(rows, list) and rows and isinstance(rows[0], dict):
                value = rows[0].get(name) or rows[0].get("uuid") or rows[0].get("id")
        if value is None:
            return None
        filled = f"{head}{value}{tail}"
    return filled


def _send(client, method, path, body, *, raw=None, content_type="application/json"):
    data = raw if raw is not None else json.dumps(body, ensure_ascii=False)
    try:
        with transaction.atomic():
            response = client.generic(method.upper(), path, data=data, content_type=content_type)
            transaction.set_rollback(True)  # each malformed request starts from the same data
            return response, None
    except Exception as exc:  # noqa: BLE001 — an escaped exception is exactly what we are hunting
        return None, f"{type(exc).__name__}: {str(exc)[:300]}"


def _fuzz(client, schema, who, only=None):
    """Returns (operations, requests made, failures, operations with path parameters no real row filled)."""
    failures, count, unfilled = [], 0, set()
    operations = [op for op in api_walk.schema_operations(schema) if only is None or op[0] in only]
    for path, method, operation in operations:
        variants = []
        if "{" in path:
            existing = _existing_values(client, path)
            if existing:
                variants.append((existing, True))
            else:  # only fuzzed on made-up paths, where validation is seldom reached
                unfilled.add((method, path))
            variants.append((_fill(path, str(uuid.uuid4())), False))
            variants.extend((_fill(path, bad), False) for bad in INVALID_PATH_VALUES)
        else:
            variants.append((path, True))
        bodies = list(api_walk.malformed_bodies(schema, operation))
        for target, full in variants:
            cases = [(label, body, None, "application/json") for label, body in (bodies if full else bodies[:1])]
            cases += [("non-JSON body", None, "{not json", "application/json")]
            if full:
                # A made-up path is refused before its body is read: one body of each kind is enough there.
                cases += [
                    ("binary body", None, b"\xff\xfe\x00garbage", "application/octet-stream"),
                    ("form garbage", None, "a=1&a=2&%%%=", "application/x-www-form-urlencoded"),
                ]
            for label, body, raw, ctype in cases:
                count += 1
                res, error = _send(client, method, target, body, raw=raw, content_type=ctype)
                where = f"{who} {method.upper()} {target} [{label}]"
                if error:
                    failures.append(f"{where}: exception {error}")
                elif res.status_code >= 500 and not _upstream_failure(res):
                    failures.append(f"{where}: HTTP {res.status_code} {res.content[:200]!r}")
                elif res.status_code >= 400:
                    problem = api_walk.envelope_problem(res)
                    if problem:
                        failures.append(f"{where}: HTTP {res.status_code} {problem}")
    return operations, count, failures, unfilled


def _upstream_failure(res):
    """502/503/504 in the envelope with an external_* code: a hospital system did not answer (no simulator runs
    in this test), which is not a server error caused by the input."""
    if res.status_code not in (502, 503, 504) or api_walk.envelope_problem(res):
        return False
    return res.json()["error"]["code"].startswith("external")


def _fill(path, value):
    import re

    return re.sub(r"\{[^}]+\}", value, path)


def test_bad_input_never_gives_a_500():
    from accounts.models import User

    ward = _seed()
    admin = User.objects.create_superuser("13900000999", name="超级管理员")
    schema = api_walk.openapi_schema()
    operations, count, failures, unfilled = _fuzz(_client(api_walk.staff_token(admin)), schema, "superuser")
    assert any(p.startswith("/api/v1/wards") for p, _, _ in operations), "the schema walk found no operations"

    from accounts.models import PatientAccount
    from cases.models import Patient

    patient = Patient.objects.create(name="模糊测试")
    make_case(ward=ward, patient=patient)
    account = PatientAccount.objects.create(patient=patient, wechat_openid="fuzz-openid")
    _, more, patient_failures, patient_unfilled = _fuzz(_client(api_walk.patient_token(account)), schema, "patient")
    count += more
    failures += patient_failures
    assert not failures, f"{len(failures)} of {count} malformed requests misbehaved:\n" + "\n".join(failures[:60])
    # Every operation on an object was fuzzed on a real one by one principal or the other (a made-up uuid is
    # refused with 404 before any body is read, which would let a fragile serializer pass unseen).
    assert not unfilled & patient_unfilled, f"no real row to fuzz (seed one in _seed): {unfilled & patient_unfilled}"
    assert count > 1000


@pytest.mark.urls("tests.fuzz_selftest_urls")
def test_the_fuzzer_catches_a_fragile_endpoint():
    from accounts.models import User

    admin = User.objects.create_superuser("13900000998", name="超级管理员")
    schema = api_walk.openapi_schema()
    assert "/api/v1/fragile/" in schema["paths"]
    _, count, failures, _ = _fuzz(_client(api_walk.staff_token(admin)), schema, "superuser",
                                  only={"/api/v1/fragile/"})
    assert count >= 10
    assert any("[count: wrong type]" in f for f in failures), failures
    assert any("[empty object]" in f for f in failures), failures


BAD_QUERY_VALUES = ("garbage", "-1", "9" * 40, "2024-13-45", "%00", "a,b,,", "../", "\u202e")


def test_bad_query_parameters_never_give_a_500():
    """Every query parameter of every GET in the schema (filters, search, ordering, paging) with malformed values:
    a 4xx envelope or an answer, never a 500."""
    from accounts.models import User

    _seed()
    admin = User.objects.create_superuser("13900000997", name="超级管理员")
    client = _client(api_walk.staff_token(admin))
    failures, count, parameters = [], 0, set()
    for path, _, operation in api_walk.schema_operations(api_walk.openapi_schema(), methods=("get",)):
        target = _existing_values(client, path) if "{" in path else path
        if not target:
            continue
        for param in operation.get("parameters", []):
            if param.get("in") != "query":
                continue
            parameters.add((path, param["name"]))
            for value in BAD_QUERY_VALUES:
                count += 1
                res, error = _send(client, "get", f"{target}?{param['name']}={value}", None, raw="")
                where = f"GET {target} ?{param['name']}={value!r}"
                if error:
                    failures.append(f"{where}: exception {error}")
                elif res.status_code >= 500:
                    failures.append(f"{where}: HTTP {res.status_code}")
                elif res.status_code >= 400 and api_walk.envelope_problem(res):
                    failures.append(f"{where}: HTTP {res.status_code} {api_walk.envelope_problem(res)}")
    assert len(parameters) > 40 and count == len(parameters) * len(BAD_QUERY_VALUES)
    assert not failures, f"{len(failures)} of {count} requests misbehaved:\n" + "\n".join(failures[:60])
