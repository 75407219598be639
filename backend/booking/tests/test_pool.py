"""B7: drafts not confirmed in time, refused and abandoned bookings wait in the pending pool with their reason;
statistics by date, department and requesting doctor; an entry is resumed into a booking."""

from datetime import timedelta

import pytest
from django.utils import timezone

from booking.models import PendingPoolEntry
from booking.services import pool_timeout_sweep
from booking.tests.conftest import future
from cases.models import CaseEvent, SurgicalCase
from tests.builders import authenticate, make_case, make_department, make_patient, make_staff, make_ward

pytestmark = [pytest.mark.django_db]


def _start(client, world, procedure=None):
    body = client.post("/api/v1/bookings/", {"patient": str(make_patient().uuid)}, format="json").json()
    client.patch(f"/api/v1/bookings/{body['uuid']}/", {"procedure": str((procedure or world["procedure"]).uuid),
                                                       "anaesthesia_method": "general"}, format="json")
    return body["uuid"]


def _age(uuid, minutes):
    SurgicalCase.objects.filter(uuid=uuid).update(state_changed_at=timezone.now() - timedelta(minutes=minutes))


@pytest.mark.req("B7")
def test_abandoned_draft_enters_the_pool_and_is_resumed_into_a_booking(api_client, world):
    authenticate(api_client, world["doctor"])
    uuid = _start(api_client, world)
    refused = api_client.post(f"/api/v1/bookings/{uuid}/abandon/", {"reason_code": "other"}, format="json")
    assert refused.status_code == 400 and set(refused.json()["error"]["fields"]) == {"reason_text"}
    pooled = api_client.post(f"/api/v1/bookings/{uuid}/abandon/",
                             {"reason_code": "patient_declined", "reason_text": "患者需与家属商量"}, format="json")
    assert pooled.status_code == 200 and pooled.json()["state"] == "pending_pool"
    [row] = api_client.get("/api/v1/pending-pool/").json()["results"]
    assert row["uuid"] == uuid and row["entry"]["reason_code"] == "patient_declined"
    assert row["entry"]["reason_text"] == "患者需与家属商量"
    assert row["entry"]["requested_by"]["uuid"] == str(world["doctor"].uuid)

    resumed = api_client.post(f"/api/v1/pending-pool/{uuid}/resume/")
    assert resumed.status_code == 200 and resumed.json()["state"] == "draft"
    assert api_client.get("/api/v1/pending-pool/").json()["results"] == []
    booked = api_client.post(f"/api/v1/bookings/{uuid}/confirm/",
                             {"planned_date": str(future()), "planned_session": "am"}, format="json")
    assert booked.status_code == 200 and booked.json()["state"] == "booked"
    [entry] = booked.json()["pool_entries"]
    assert entry["resumed_at"] is not None
    assert api_client.post(f"/api/v1/pending-pool/{uuid}/resume/").json()["error"]["code"] == "invalid_transition"


@pytest.mark.req("B7", "B3")
def test_refused_confirmations_are_kept_and_stale_drafts_enter_the_pool_with_the_reason(api_client, world, settings):
    from catalog.services import procedure_create

    settings.BOOKING_DRAFT_TIMEOUT_MINUTES = 60
    authenticate(api_client, world["doctor"])
    elsewhere = procedure_create(actor=None, code="86.0401", name="体表肿物切除术", grade=1, incision_class="I",
                                 wards=[make_ward()])
    refused_uuid = _start(api_client, world, procedure=elsewhere)
    response = api_client.post(f"/api/v1/bookings/{refused_uuid}/confirm/",
                               {"planned_date": str(future()), "planned_session": "am"}, format="json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "admission_refused"
    rule = response.json()["error"]["rule"]
    event = CaseEvent.objects.get(case__uuid=refused_uuid, type="booking.confirm_refused")
    assert event.payload["code"] == "admission_refused" and event.payload["rule"] == rule
    detail = api_client.get(f"/api/v1/bookings/{refused_uuid}/").json()
    assert detail["state"] == "draft" and detail["last_refusal"]["rule"] == rule

    stale_uuid, fresh_uuid = _start(api_client, world), _start(api_client, world)
    _age(refused_uuid, 61)
    _age(stale_uuid, 61)
    _age(fresh_uuid, 30)
    assert pool_timeout_sweep() == 2
    entries = {str(e.case.uuid): e for e in PendingPoolEntry.objects.select_related("case")}
    assert set(entries) == {refused_uuid, stale_uuid}
    assert entries[refused_uuid].reason_code == "refused" and entries[refused_uuid].rule == rule
    assert entries[refused_uuid].reason_text == response.json()["error"]["message"]
    assert entries[stale_uuid].reason_code == "timeout"
    assert SurgicalCase.objects.get(uuid=fresh_uuid).state == "draft"
    assert pool_timeout_sweep() == 0


@pytest.mark.req("B7")
def test_a_pool_move_through_the_case_endpoint_gets_an_entry_too(api_client, world, django_capture_on_commit_callbacks):
    case = make_case(ward=world["ward"], surgeon=world["doctor"], actor=world["doctor"])
    authenticate(api_client, world["doctor"])
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(f"/api/v1/cases/{case.uuid}/to-pending-pool/", {"reason": "患者出差"}, format="json")
    assert response.status_code == 200
    entry = PendingPoolEntry.objects.get(case=case)
    assert (entry.reason_code, entry.reason_text, entry.requested_by) == ("other", "患者出差", world["doctor"])


def _pool(*, ward, doctor, reason, at, resumed=False):
    case = make_case(ward=ward, surgeon=doctor, actor=doctor)
    return PendingPoolEntry.objects.create(
        case=case, event_uuid=case.events.last().uuid, ward=ward, department=ward.department, requested_by=doctor,
        reason_code=reason, entered_at=at, resumed_at=at if resumed else None,
    )


@pytest.mark.req("B7")
def test_pool_statistics_by_date_department_and_requesting_doctor(api_client, world):
    from accounts.models import Role
    from accounts.permissions import sync_permissions

    ward_a = world["ward"]
    ward_b = make_ward(department=make_department(code="GK", name="骨科"), name="骨科日间病区")
    doc_a, doc_b = world["doctor"], make_staff("doctor", ward=ward_b)
    today = timezone.localtime().replace(hour=10, minute=0, second=0, microsecond=0)
    yesterday = today - timedelta(days=1)
    _pool(ward=ward_a, doctor=doc_a, reason="timeout", at=yesterday)
    _pool(ward=ward_a, doctor=doc_a, reason="refused", at=yesterday, resumed=True)
    _pool(ward=ward_a, doctor=doc_a, reason="abandoned", at=today)
    _pool(ward=ward_b, doctor=doc_b, reason="timeout", at=today)
    _pool(ward=ward_b, doctor=doc_b, reason="timeout", at=today - timedelta(days=40))  # outside the range

    sync_permissions()
    manager = make_staff("quality_manager")
    assert Role.objects.get(slug="quality_manager").permissions.filter(slug="booking.view_pool_stats").exists()
    authenticate(api_client, manager)
    url = f"/api/v1/pending-pool/stats/?from={yesterday.date()}&to={today.date()}"
    by_date = api_client.get(url + "&group_by=date").json()
    assert (by_date["total"], by_date["resumed"]) == (4, 1)
    assert [(r["key"], r["count"], r["resumed"]) for r in by_date["rows"]] == [
        (str(yesterday.date()), 2, 1), (str(today.date()), 2, 0)]
    assert by_date["rows"][0]["by_reason"] == {"timeout": 1, "refused": 1, "abandoned": 0, "patient_declined": 0,
                                               "other": 0}
    by_department = {r["label"]: r["count"] for r in api_client.get(url + "&group_by=department").json()["rows"]}
    assert by_department == {"普外科": 3, "骨科": 1}
    by_doctor = {r["key"]: r["count"] for r in api_client.get(url + "&group_by=doctor").json()["rows"]}
    assert by_doctor == {str(doc_a.uuid): 3, str(doc_b.uuid): 1}

    # A ward's doctor sees their wards' figures only.
    authenticate(api_client, doc_b)
    assert api_client.get(url).json()["total"] == 1
    for bad in ("?group_by=patient", "?from=2026-02-30", f"?from={today.date()}&to={yesterday.date()}"):
        response = api_client.get("/api/v1/pending-pool/stats/" + bad)
        assert response.status_code == 400, bad
