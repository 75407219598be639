"""Audit log: append-only, queryable by holders of audit.view (item 8), and a helper for patient reads."""

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.utils import timezone
from rest_framework import viewsets
from rest_framework.test import APIClient, APIRequestFactory, force_authenticate

from audit.api.mixins import AuditedRetrieveMixin
from audit.models import AuditEntry
from audit.services import audit_patient_read, audit_record
from org.api.serializers import WardSerializer
from org.models import Ward
from tests.builders import authenticate, make_staff, make_ward

pytestmark = pytest.mark.django_db


def client_for(user):
    return authenticate(APIClient(), user)


@pytest.fixture
def entries():
    ward = make_ward()
    alice = make_staff("nurse", ward=ward, name="护士甲")
    bob = make_staff("doctor", ward=ward, name="医生乙")
    a = audit_record(actor=alice, action="config", target=ward, before={"name": "旧"}, after={"name": "新"})
    b = audit_record(actor=bob, action="read", target=ward)
    old = audit_record(actor=bob, action="login")
    return {"ward": ward, "alice": alice, "bob": bob, "a": a, "b": b, "old": old}


def test_only_holders_of_audit_view_can_query(entries):
    assert APIClient().get("/api/v1/audit-entries/").status_code == 401
    assert client_for(entries["alice"]).get("/api/v1/audit-entries/").status_code == 403
    for role in ("hospital_admin", "quality_manager"):
        res = client_for(make_staff(role)).get("/api/v1/audit-entries/")
        assert res.status_code == 200
        assert {e["id"] for e in res.json()["results"]} >= {entries["a"].id, entries["b"].id}


def test_filters(entries):
    client = client_for(make_staff("quality_manager"))
    res = client.get("/api/v1/audit-entries/", {"actor_id": str(entries["alice"].uuid)}).json()
    assert [e["id"] for e in res["results"]] == [entries["a"].id]
    assert res["results"][0]["before"] == {"name": "旧"} and res["results"][0]["after"] == {"name": "新"}
    res = client.get("/api/v1/audit-entries/", {"action": "read"}).json()
    assert {e["id"] for e in res["results"]} == {entries["b"].id}
    res = client.get("/api/v1/audit-entries/", {"target_type": "org.ward", "target_id": str(entries["ward"].uuid)})
    assert {e["id"] for e in res.json()["results"]} == {entries["a"].id, entries["b"].id}
    future = (timezone.now() + timedelta(hours=1)).isoformat()
    assert client.get("/api/v1/audit-entries/", {"occurred_from": future}).json()["count"] == 0
    past = (entries["a"].occurred_at - timedelta(seconds=1)).isoformat()
    res = client.get("/api/v1/audit-entries/", {"occurred_from": past, "occurred_to": future, "action": "config"})
    assert {e["id"] for e in res.json()["results"]} == {entries["a"].id}
    bad = client.get("/api/v1/audit-entries/", {"occurred_from": "yesterday-ish", "action": "nope"})
    assert bad.status_code == 400 and set(bad.json()["error"]["fields"]) == {"occurred_from", "action"}


def test_no_route_changes_the_log(entries):
    client = client_for(make_staff("hospital_admin"))
    for method in ("put", "patch", "delete", "post"):
        res = getattr(client, method)("/api/v1/audit-entries/", {}, format="json")
        assert res.status_code == 405, method
        assert res.json()["error"]["code"] == "method_not_allowed"
    # No detail route either: an entry's id under the collection is simply not found.
    assert client.delete(f"/api/v1/audit-entries/{entries['a'].id}/").status_code == 404
    assert AuditEntry.objects.filter(pk=entries["a"].pk).exists()


def test_entries_are_append_only_in_the_application(entries):
    entry = AuditEntry.objects.get(pk=entries["a"].pk)
    entry.detail = "tampered"
    with pytest.raises(RuntimeError):
        entry.save()
    with pytest.raises(RuntimeError):
        entry.delete()
    assert AuditEntry.objects.get(pk=entry.pk).detail == ""


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the database trigger exists on PostgreSQL only")
def test_database_refuses_raw_update_and_delete(entries):
    for sql in ("UPDATE audit_auditentry SET detail = 'x' WHERE id = %s", "DELETE FROM audit_auditentry WHERE id = %s"):
        with pytest.raises(DatabaseError, match="append-only"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql, [entries["a"].id])
    assert AuditEntry.objects.get(pk=entries["a"].pk).detail == ""
    with pytest.raises(DatabaseError):
        with transaction.atomic():
            AuditEntry.objects.filter(pk=entries["a"].pk).update(detail="bulk")


def test_audit_patient_read_helper_and_mixin():
    ward = make_ward()
    doctor = make_staff("doctor", ward=ward)
    entry = audit_patient_read(doctor, ward, detail="opened")
    assert (entry.action, entry.actor_id, entry.target_type, entry.target_id) == (
        "read", str(doctor.uuid), "org.ward", str(ward.uuid),
    )

    class Detail(AuditedRetrieveMixin, viewsets.ReadOnlyModelViewSet):
        queryset = Ward.objects.all()
        serializer_class = WardSerializer
        lookup_field = "uuid"
        permission_classes = []

    view = Detail.as_view({"get": "retrieve"})
    request = APIRequestFactory().get("/x/")
    force_authenticate(request, user=doctor)
    before = AuditEntry.objects.filter(action="read").count()
    assert view(request, uuid=str(ward.uuid)).status_code == 200
    assert AuditEntry.objects.filter(action="read").count() == before + 1
    assert AuditEntry.objects.filter(action="read").first().target_id == str(ward.uuid)
    request = APIRequestFactory().get("/x/")
    force_authenticate(request, user=doctor)
    assert view(request, uuid="00000000-0000-0000-0000-000000000000").status_code == 404
    assert AuditEntry.objects.filter(action="read").count() == before + 1


def test_audit_list_queries_do_not_grow_with_the_rows(entries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(make_staff("quality_manager"))

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/api/v1/audit-entries/", {"page_size": 100}).status_code == 200
        return len(ctx.captured_queries)

    count()
    few = count()
    for _ in range(10):
        audit_record(actor=entries["alice"], action="config", target=entries["ward"], after={"n": 1})
    assert count() == few
