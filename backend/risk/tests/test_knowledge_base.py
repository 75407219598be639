"""The knowledge base's life cycle (A1, A7): built-in version 1, drafts copied from any version, edits only on
drafts, publishing swaps the current version atomically (also under real parallel transactions), every change
audited with before/after and readable as history."""


import pytest
from django.db import connection

from audit.models import AuditEntry
from core.errors import InvalidInput
from risk import knowledge_defaults as kd
from risk import selectors, services
from risk.errors import HospitalNotAllowed, KnowledgeBaseIncomplete, KnowledgeBaseNotDraft
from risk.models import KnowledgeBaseEntry, KnowledgeBaseStatus, KnowledgeBaseVersion
from risk.tests.helpers import hospital_with_staff
from tests.builders import make_department, make_hospital, make_staff, make_ward
from tests.concurrency import race

pytestmark = pytest.mark.django_db


def _entry(version, event, level):
    return KnowledgeBaseEntry.objects.get(version=version, event=event, level=level)


@pytest.mark.req("A1", "A7")
def test_default_knowledge_base_is_complete_published_and_created_once():
    hospital, _ward, _staff = hospital_with_staff()
    first = services.knowledge_base_ensure_default(hospital)
    again = services.knowledge_base_ensure_default(hospital)
    assert first.pk == again.pk and first.number == 1 and first.status == KnowledgeBaseStatus.PUBLISHED
    assert KnowledgeBaseVersion.objects.filter(hospital=hospital).count() == 1
    pairs = set(first.entries.values_list("event", "level"))
    assert pairs == {(e, lv) for e in kd.EVENTS for lv in kd.LEVELS}  # 15 events × 4 levels
    assert len(kd.EVENTS) == 15
    # Clinically sensible defaults, as data.
    osa = _entry(first, "osa", "high")
    assert "持续脉搏血氧饱和度监测" in osa.monitoring and any("呼气末二氧化碳" in m for m in osa.monitoring)
    assert any("避免长效阿片类" in d for d in osa.drugs) and "可视喉镜" in osa.equipment
    assert osa.seniority == "attending"
    airway = _entry(first, "difficult_airway", "high")
    assert {"可视喉镜", "纤维支气管镜"} <= set(airway.equipment)
    assert airway.seniority == "associate_chief" and airway.disposition == "refer"
    ponv = _entry(first, "ponv", "high")
    assert any("地塞米松" in d for d in ponv.drugs) and any("5-HT3" in d for d in ponv.drugs)
    assert _entry(first, "mortality_30d", "high").disposition == "not_suitable"
    # Band cut-offs of the engine's institutional models and the screening rules are written into the version.
    assert first.band_cutoffs and all(c["intermediate_from"] <= c["high_from"] for c in first.band_cutoffs.values())
    assert set(first.screening_rules) == {"sepsis", "shock"}


@pytest.mark.req("A7")
def test_only_drafts_change_and_publishing_retires_the_previous_version():
    hospital, _ward, staff = hospital_with_staff()
    admin = staff["admin"]
    v1 = services.knowledge_base_ensure_default(hospital)
    with pytest.raises(KnowledgeBaseNotDraft):
        services.knowledge_base_entry_update(actor=admin, entry=_entry(v1, "osa", "high"), advice="改")
    with pytest.raises(KnowledgeBaseNotDraft):
        services.knowledge_base_update(actor=admin, version=v1, note="改")

    draft = services.knowledge_base_create_draft(actor=admin, hospital=hospital, note="OSA方案修订")
    assert draft.number == 2 and draft.status == "draft" and draft.based_on_id == v1.pk
    assert draft.entries.count() == v1.entries.count()
    entry = services.knowledge_base_entry_update(
        actor=admin, entry=_entry(draft, "osa", "high"), disposition="refer", seniority="associate_chief",
        monitoring=["持续脉搏血氧饱和度监测", "  呼气末二氧化碳监测 ", "持续脉搏血氧饱和度监测"],
    )
    assert entry.monitoring == ["持续脉搏血氧饱和度监测", "呼气末二氧化碳监测"]  # trimmed, de-duplicated
    assert _entry(v1, "osa", "high").disposition == "can_book"  # the published version is untouched

    published = services.knowledge_base_publish(actor=admin, version=draft)
    v1.refresh_from_db()
    assert published.status == "published" and published.published_by == admin and published.published_at
    assert v1.status == "retired" and v1.retired_at is not None
    assert selectors.knowledge_base_current(hospital).pk == draft.pk
    with pytest.raises(KnowledgeBaseNotDraft):
        services.knowledge_base_publish(actor=admin, version=published)
    with pytest.raises(KnowledgeBaseNotDraft):
        services.knowledge_base_discard(actor=admin, version=v1)

    # Copy-to-new-draft works from any version, a retired one included.
    from_retired = services.knowledge_base_create_draft(actor=admin, hospital=hospital, source=v1)
    assert from_retired.number == 3 and _entry(from_retired, "osa", "high").disposition == "can_book"
    services.knowledge_base_discard(actor=admin, version=from_retired)
    assert not KnowledgeBaseVersion.objects.filter(pk=from_retired.pk).exists()


@pytest.mark.req("A7")
def test_entry_and_version_edits_are_validated_with_field_errors():
    hospital, _ward, staff = hospital_with_staff()
    draft = services.knowledge_base_create_draft(actor=staff["admin"], hospital=hospital)
    entry = _entry(draft, "vte", "high")
    cases = [
        ({"monitoring": "不是列表"}, "monitoring"),
        ({"drugs": ["", "依诺肝素"]}, "drugs"),
        ({"equipment": ["x" * 201]}, "equipment"),
        ({"seniority": "professor"}, "seniority"),
        ({"disposition": "maybe"}, "disposition"),
        ({"advice": "x" * 2001}, "advice"),
    ]
    for fields, name in cases:
        with pytest.raises(InvalidInput) as exc:
            services.knowledge_base_entry_update(actor=staff["admin"], entry=entry, **fields)
        assert name in exc.value.fields
    bad_cutoffs = [
        ({"not_a_model": {"intermediate_from": 0.1, "high_from": 0.2}}, "band_cutoffs.not_a_model"),
        ({"ariscat": {"intermediate_from": 26, "high_from": 45}}, "band_cutoffs.ariscat"),  # published bands
        ({"gupta_mica": {"intermediate_from": 0.05, "high_from": 0.01}}, "band_cutoffs.gupta_mica"),
        ({"gupta_mica": {"intermediate_from": 2, "high_from": 5}}, "band_cutoffs.gupta_mica"),  # not a fraction
        ({"gupta_mica": {"high_from": 0.05}}, "band_cutoffs.gupta_mica"),
    ]
    for value, name in bad_cutoffs:
        with pytest.raises(InvalidInput) as exc:
            services.knowledge_base_update(actor=staff["admin"], version=draft, band_cutoffs=value)
        assert name in exc.value.fields, exc.value.fields
    with pytest.raises(InvalidInput) as exc:
        services.knowledge_base_update(actor=staff["admin"], version=draft,
                                       screening_rules={"sepsis": {"factors": [], "levels": []}})
    assert "screening_rules" in exc.value.fields
    draft.refresh_from_db()
    assert _entry(draft, "vte", "high").plan() == kd.DEFAULT_PLANS["vte"]["high"]  # nothing half-applied


@pytest.mark.req("A7")
def test_publish_refuses_an_incomplete_version():
    hospital, _ward, staff = hospital_with_staff()
    draft = services.knowledge_base_create_draft(actor=staff["admin"], hospital=hospital)
    _entry(draft, "shock", "unknown").delete()
    with pytest.raises(KnowledgeBaseIncomplete) as exc:
        services.knowledge_base_publish(actor=staff["admin"], version=draft)
    assert exc.value.extra["missing"] == ["shock/unknown"]


def test_staff_manage_only_their_own_hospital():
    hospital, _ward, staff = hospital_with_staff()
    other, _ = make_hospital(code="H-OTHER")
    foreign_admin = make_staff("hospital_admin", ward=make_ward(department=make_department(hospital=other)))
    with pytest.raises(HospitalNotAllowed):
        services.knowledge_base_create_draft(actor=foreign_admin, hospital=hospital)
    draft = services.knowledge_base_create_draft(actor=staff["admin"], hospital=hospital)
    with pytest.raises(HospitalNotAllowed):
        services.knowledge_base_publish(actor=foreign_admin, version=draft)
    with pytest.raises(InvalidInput):  # a source from another hospital is refused
        services.knowledge_base_create_draft(actor=None, hospital=hospital,
                                             source=services.knowledge_base_ensure_default(other))


@pytest.mark.req("A7")
def test_every_change_is_audited_with_before_and_after_and_readable_as_history():
    hospital, _ward, staff = hospital_with_staff()
    admin = staff["admin"]
    v1 = services.knowledge_base_ensure_default(hospital)
    draft = services.knowledge_base_create_draft(actor=admin, hospital=hospital, note="修订")
    entry = services.knowledge_base_entry_update(actor=admin, entry=_entry(draft, "ponv", "high"),
                                                 advice="新的PONV建议")
    services.knowledge_base_update(actor=admin, version=draft,
                                   band_cutoffs={"gupta_mica": {"intermediate_from": 0.005, "high_from": 0.02}})
    services.knowledge_base_publish(actor=admin, version=draft)

    entry_audit = AuditEntry.objects.get(target_id=str(entry.uuid))
    assert entry_audit.actor_id == str(admin.uuid) and entry_audit.action == "config"
    assert entry_audit.before["advice"] == kd.DEFAULT_PLANS["ponv"]["high"]["advice"]
    assert entry_audit.after["advice"] == "新的PONV建议"
    history = list(selectors.knowledge_base_history(version=draft))
    details = [h.detail for h in history]
    assert details[0] == "published" and "draft changed" in details and "draft copied from v1" in details
    changed = next(h for h in history if h.detail == "draft changed")
    assert changed.before["band_cutoffs"] != changed.after["band_cutoffs"]
    assert changed.after["band_cutoffs"]["gupta_mica"] == {"intermediate_from": 0.005, "high_from": 0.02}
    retired = next(h for h in selectors.knowledge_base_history(version=v1) if h.detail.startswith("retired"))
    assert retired.before["status"] == "published" and retired.after["status"] == "retired"
    assert {h.pk for h in history} <= {h.pk for h in selectors.knowledge_base_history(hospital=hospital)}


# --- real parallel transactions --------------------------------------------------------------------------------


@pytest.mark.req("A7")
@pytest.mark.django_db(transaction=True)
def test_concurrent_publishes_leave_exactly_one_published_version():
    if connection.vendor != "postgresql":
        pytest.skip("needs row locks of a real server")
    hospital, _ward, staff = hospital_with_staff()
    admin = staff["admin"]
    drafts = [services.knowledge_base_create_draft(actor=admin, hospital=hospital) for _ in range(4)]

    def publish(pk):
        return lambda: services.knowledge_base_publish(
            actor=admin, version=KnowledgeBaseVersion.objects.get(pk=pk)).number

    # Four different drafts at once: each waits for the previous publisher, so all succeed in some order.
    results = race([publish(d.pk) for d in drafts])
    assert sorted(r[0] for r in results) == ["ok"] * 4, results
    published = KnowledgeBaseVersion.objects.filter(hospital=hospital, status="published")
    assert published.count() == 1
    assert KnowledgeBaseVersion.objects.filter(hospital=hospital, status="retired").count() == 4  # v1 + 3 drafts

    # The same draft twice at once: one publishes, the other sees it is no longer a draft.
    draft = services.knowledge_base_create_draft(actor=admin, hospital=hospital)
    results = race([publish(draft.pk), publish(draft.pk)])
    assert sorted(results) == [("ok", draft.number), ("refused", "knowledge_base_not_draft")], results
    assert KnowledgeBaseVersion.objects.filter(hospital=hospital, status="published").get().pk == draft.pk


@pytest.mark.req("A1")
@pytest.mark.django_db(transaction=True)
def test_concurrent_first_use_creates_one_default_version():
    if connection.vendor != "postgresql":
        pytest.skip("needs row locks of a real server")
    hospital, _ward, _staff = hospital_with_staff()
    results = race([lambda: services.knowledge_base_ensure_default(hospital).pk for _ in range(4)])
    assert [r[0] for r in results] == ["ok"] * 4 and len({r[1] for r in results}) == 1
    assert KnowledgeBaseVersion.objects.filter(hospital=hospital).count() == 1


def test_screening_rules_with_null_characters_are_refused():
    hospital, _ward, staff = hospital_with_staff()
    draft = services.knowledge_base_create_draft(actor=staff["admin"], hospital=hospital)
    rules = draft.screening_rules
    rules["sepsis"]["factors"][0]["label_zh"] = "术前\x00脓毒症"
    with pytest.raises(InvalidInput) as exc:
        services.knowledge_base_update(actor=staff["admin"], version=draft, screening_rules=rules)
    assert "screening_rules" in exc.value.fields
