"""Seed rows for the cross-cutting tests (authorisation matrix, schema fuzzer): a custom form made for `case`, an
assignment of it and a response with an abnormal answer (raw rows: the matrix needs them to exist)."""

from django.utils import timezone

from forms.models import Form, FormAssignment, FormResponse, FormVersion

SEED_SCHEMA = {
    "questions": [{"key": "pain", "type": "scale", "label": "疼痛评分", "required": True, "min": 0, "max": 10,
                   "scored": False}],
    "rules": [{"code": "pain_severe", "label": "重度疼痛",
               "when": {"question": "pain", "op": ">=", "value": 7}, "tags": ["pain"]}],
}


def seed_rows(*, ward, patient, case) -> None:
    if case is None:
        return
    now = timezone.now()
    form = Form.objects.create(hospital=ward.department.hospital, kind="custom", code=f"seed-custom-{case.pk}",
                               title="伤口复查问卷", case=case)
    version = FormVersion.objects.create(form=form, version=1, title=form.title, schema=SEED_SCHEMA)
    Form.objects.filter(pk=form.pk).update(current_version=version)
    assignment = FormAssignment.objects.create(
        form=form, version=version, case=case, ward=ward, patient=patient, source="custom", status="completed",
        available_from=now, completed_at=now)
    FormResponse.objects.create(
        assignment=assignment, version=version, case=case, ward=ward, patient=patient, channel="mobile",
        answers={"pain": 8}, complete=True, abnormal=["pain_severe"], has_abnormal=True, tags=["pain"],
        abnormal_details=[{"code": "pain_severe", "label": "重度疼痛", "questions": ["pain"], "tags": ["pain"]}],
        submitted_at=now, submitted_by_type="patient", submitted_by_name=patient.name)
