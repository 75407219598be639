"""Seed rows for the cross-cutting tests (authorisation matrix, schema fuzzer): a treatment plan of `case` with a
published version and a draft, each with items (raw rows: the matrix needs them to exist)."""

from django.utils import timezone

from recovery.models import TreatmentPlan, TreatmentPlanItem, TreatmentPlanVersion


def seed_rows(*, ward, patient, case) -> None:
    if case is None:
        return
    plan, created = TreatmentPlan.objects.get_or_create(case=case, defaults={"ward": ward, "patient": patient})
    if not created:
        return
    published = TreatmentPlanVersion.objects.create(plan=plan, number=1, status="published", note="按时换药",
                                                    published_at=timezone.now())
    draft = TreatmentPlanVersion.objects.create(plan=plan, number=2, status="draft", note="")
    for version in (published, draft):
        TreatmentPlanItem.objects.create(version=version, category="drug", day_from=1, day_to=3, title="止痛",
                                         drug_name="布洛芬缓释胶囊", dose="0.3 g", route="口服", frequency="每12小时一次")
        TreatmentPlanItem.objects.create(version=version, category="warning_sign", day_from=1, day_to=7,
                                         title=f"{patient.name}如发热超过38.5℃请立即就诊")
    TreatmentPlan.objects.filter(pk=plan.pk).update(published=published)
