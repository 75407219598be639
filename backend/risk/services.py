"""Writes of the risk app (A1, A6, A7): predictions turned into a plan, and the knowledge base's life cycle.

- `risk_evaluate`: runs every model of the engine once, re-levels results whose bands are institutional with the
  hospital's published cut-offs, turns each event's level into the knowledge base's plan and records it all.
- Knowledge base: `knowledge_base_ensure_default` (version 1, published, built-in content), drafts copied from any
  version, edits only on drafts, `knowledge_base_publish` (one published version a hospital, swapped under the
  hospital's row lock; the database's partial unique index backs it up). Every change is audited with before/after.
- Procedure risk profiles: create / update / delete, audited.
"""

import json
import math
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.models import AuditAction
from audit.services import audit_record
from core.errors import InvalidInput
from core.serialization import to_jsonable
from org.models import Hospital
from risk import engine as risk_engine
from risk import knowledge_defaults as kd
from risk.errors import (
    HospitalNotAllowed,
    KnowledgeBaseIncomplete,
    KnowledgeBaseNotDraft,
)
from risk.models import (
    Disposition,
    KnowledgeBaseEntry,
    KnowledgeBaseStatus,
    KnowledgeBaseVersion,
    ProcedureRiskProfile,
    RiskEvaluation,
    Seniority,
)
from risk.selectors import knowledge_base_current

MAX_LIST_ITEMS = 30
MAX_ITEM_LENGTH = 200
MAX_ADVICE_LENGTH = 2000
MAX_INPUTS = 200

# --- predictions → plan -------------------------------------------------------------------------------------------

_LEVEL_RANK = {level: n for n, level in enumerate(kd.RESULT_LEVELS)}
_SENIORITY_RANK = {s: n for n, s in enumerate(kd.SENIORITIES)}
_DISPOSITION_RANK = {d: n for n, d in enumerate(kd.DISPOSITIONS)}
# Recommendations list the most pressing plans first.
_PRESENTATION_ORDER = {"high": 0, "intermediate": 1, "unknown": 2, "low": 3}


def relevel_institutional(results: list[dict], cutoffs: dict) -> list[dict]:
    """Results of models whose bands are an institutional choice, re-levelled with this hospital's cut-offs.

    The measure is the probability (a fraction) or, for a points model without one, the score."""
    out = []
    for result in results:
        cut = (cutoffs or {}).get(result.get("model"))
        value = result.get("probability") if result.get("probability") is not None else result.get("score")
        if cut and result.get("status") == "ok" and result.get("level_source") == "institutional" and value is not None:
            if value >= cut["high_from"]:
                level = "high"
            elif value >= cut["intermediate_from"]:
                level = "intermediate"
            else:
                level = "low"
            # The band (and its published risk, if any) stays the model's; only the level is the hospital's.
            result = {**result, "level": level, "engine_level": result.get("level"), "institutional_cutoffs": dict(cut)}
        out.append(result)
    return out


def _event_level(results: list[dict]) -> tuple[str, dict | None]:
    ok = [r for r in results if r.get("status") == "ok" and r.get("level") in _LEVEL_RANK]
    if not ok:
        return "unknown", None
    level = max((r["level"] for r in ok), key=_LEVEL_RANK.__getitem__)
    return level, ok


def _primary(event: str, ok: list[dict] | None) -> dict | None:
    if not ok:
        return None
    for model in kd.EVENT_MODELS.get(event, ()):
        for result in ok:
            if result.get("model") == model:
                return result
    return ok[0]  # models not named in the event table (screening rules): the engine's order


def _dedupe(items):
    return list(dict.fromkeys(i for i in items if i))


def build_summary(*, evaluation_uuid, engine_version: str, knowledge_base_number: int, results: list[dict],
                  plans: dict) -> dict:
    """The summary of interface 2: per event its level, primary model and plan; the worst disposition; the
    union of recommendations. `plans` maps (event, level) → plan dict. Events whose every model is not
    applicable to this patient (e.g. sedation hypoxaemia for open surgery) are listed apart and do not count."""
    by_event: dict[str, list[dict]] = {}
    for result in results:
        by_event.setdefault(result.get("event"), []).append(result)
    order = list(kd.EVENTS) + [e for e in by_event if e not in kd.EVENT_LABELS_ZH]
    events, not_applicable = [], []
    for event in order:
        event_results = by_event.get(event, [])
        label = kd.EVENT_LABELS_ZH.get(event, event)
        if event_results and all(r.get("status") == "not_applicable" for r in event_results):
            not_applicable.append({"event": event, "label_zh": label, "results": event_results})
            continue
        level, ok = _event_level(event_results)
        plan = dict(plans.get((event, level)) or kd.DEFAULT_PLANS.get(event, {}).get(level) or kd._plan())
        plan["seniority_label_zh"] = kd.SENIORITY_LABELS_ZH[plan["seniority"]]
        events.append({
            "event": event, "label_zh": label, "level": level, "level_label_zh": kd.LEVEL_LABELS_ZH[level],
            "primary": _primary(event, ok), "results": event_results, "plan": plan,
            # Every answering model was applied outside its derivation population (e.g. surgical models for a
            # diagnostic endoscopy): the plan is a pointer, and the report says so.
            "outside_derivation": bool(ok) and all(r.get("outside_derivation") for r in ok),
        })
    ranked = sorted(events, key=lambda e: _PRESENTATION_ORDER[e["level"]])  # stable: event order within a level
    disposition = max((e["plan"]["disposition"] for e in events), key=_DISPOSITION_RANK.__getitem__,
                      default=Disposition.CAN_BOOK.value)
    seniority = max((e["plan"]["seniority"] for e in events), key=_SENIORITY_RANK.__getitem__,
                    default=Seniority.RESIDENT.value)
    return {
        "evaluation": str(evaluation_uuid),
        "engine_version": engine_version,
        "knowledge_base_version": knowledge_base_number,
        "events": events,
        "not_applicable": not_applicable,
        "disposition": disposition,
        "disposition_label_zh": kd.DISPOSITION_LABELS_ZH[disposition],
        "recommendations": {
            "monitoring": _dedupe(m for e in ranked for m in e["plan"]["monitoring"]),
            "drugs": _dedupe(d for e in ranked for d in e["plan"]["drugs"]),
            "seniority": seniority,
            "seniority_label_zh": kd.SENIORITY_LABELS_ZH[seniority],
            "equipment": _dedupe(q for e in ranked for q in e["plan"]["equipment"]),
            "advice": _dedupe(_advice_line(e) for e in ranked),
        },
    }


def _advice_line(event: dict) -> str:
    if not event["plan"]["advice"]:
        return ""
    caveat = "（模型超出推导人群，仅供参考）" if event["outside_derivation"] else ""
    return f"{event['label_zh']}{caveat}：{event['plan']['advice']}"


def _plans_of(version) -> dict:
    if version is None:
        return {(event, level): plan for event, levels in kd.DEFAULT_PLANS.items() for level, plan in levels.items()}
    return {(e.event, e.level): e.plan() for e in version.entries.all()}


def _engine_evaluate(inputs: dict, screening_rules):
    engine = risk_engine.get_engine()  # RiskEngineUnavailable (503) if the graphs cannot be loaded
    input_error = risk_engine.input_error_class()
    try:
        return engine.evaluate(inputs, screening_rules=screening_rules or None)
    except input_error as exc:
        raise InvalidInput(fields={k: [str(m) for m in v] for k, v in exc.fields.items()}) from exc


MAX_JSON_BYTES = 64 * 1024


def _check_storable_json(value, field: str, *, max_depth: int) -> None:
    """JSON from a client that PostgreSQL's jsonb will take: no NUL characters (jsonb refuses them), bounded
    nesting and size. Raised as a field error, never a database error."""
    def walk(node, depth):
        if depth > max_depth:
            raise InvalidInput(fields={field: [_("The value is nested too deeply.")]})
        if isinstance(node, str):
            if "\x00" in node:
                raise InvalidInput(fields={field: [_("Null characters are not allowed.")]})
        elif isinstance(node, dict):
            for key, item in node.items():
                walk(str(key), depth)
                walk(item, depth + 1)
        elif isinstance(node, list | tuple):
            for item in node:
                walk(item, depth + 1)

    walk(value, 0)
    if len(json.dumps(value, ensure_ascii=False, default=str)) > MAX_JSON_BYTES:
        raise InvalidInput(fields={field: [_("The value is too large.")]})


def _numbers_as_floats(value):
    """Decimals (lab values from the results store) as floats: the JSON encoder would turn them into strings."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {k: _numbers_as_floats(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_numbers_as_floats(v) for v in value]
    return value


@transaction.atomic
def risk_evaluate(*, inputs: dict, actor, hospital, patient=None, subject: str = "") -> RiskEvaluation:
    """Evaluate every model for one patient's inputs and record the prediction with its plan (interface 2).

    `hospital` decides the knowledge base: its published version (created from the built-in content on first
    use); None uses the built-in content unsaved (version number 0). Refused inputs → InvalidInput (fields)."""
    if not isinstance(inputs, dict):
        raise InvalidInput(fields={"inputs": [_("Give the inputs as an object of named values.")]})
    if len(inputs) > MAX_INPUTS:
        raise InvalidInput(fields={"inputs": [_("Too many inputs.")]})
    _check_storable_json(inputs, "inputs", max_depth=4)  # inputs are values or lists of keys
    inputs = to_jsonable(_numbers_as_floats(inputs))
    version = knowledge_base_ensure_default(hospital) if hospital is not None else None
    out = _engine_evaluate(inputs, version.screening_rules if version is not None else None)
    results = relevel_institutional(out["results"], version.band_cutoffs if version is not None else {})
    evaluation = RiskEvaluation(
        hospital=hospital, knowledge_base=version, knowledge_base_number=version.number if version else 0,
        engine_version=str(out.get("engine_version", ""))[:40], inputs=inputs, results=results,
        actor=actor if getattr(actor, "is_authenticated", False) and not getattr(actor, "is_patient", False) else None,
        patient=patient, subject=(subject or "")[:200],
    )
    evaluation.summary = build_summary(
        evaluation_uuid=evaluation.uuid, engine_version=evaluation.engine_version,
        knowledge_base_number=evaluation.knowledge_base_number, results=results, plans=_plans_of(version),
    )
    # Names the engine does not know (a typo, a field of a newer form) are listed rather than silently dropped.
    evaluation.summary["ignored_inputs"] = sorted(out.get("ignored_inputs") or [])
    evaluation.save()
    return evaluation


# --- knowledge base -------------------------------------------------------------------------------------------------


def _lock_hospital(hospital) -> Hospital:
    """Serialises numbering and publishing of one hospital's versions (the row may have no versions yet)."""
    return Hospital.objects.select_for_update().get(pk=hospital.pk)


def _version_snapshot(version) -> dict:
    return {
        "number": version.number, "status": version.status, "note": version.note,
        "band_cutoffs": version.band_cutoffs, "screening_rules": version.screening_rules,
        "based_on": version.based_on.number if version.based_on_id else None,
    }


def _entry_snapshot(entry) -> dict:
    return {"event": entry.event, "level": entry.level, **entry.plan()}


def _audit_version(actor, version, *, before, detail, system=False):
    audit_record(actor=actor, action=AuditAction.CONFIG, target=version, before=before,
                 after=_version_snapshot(version) if version.pk else None, detail=detail, system=system,
                 target_repr=f"{version.hospital.name} 知识库 v{version.number}")


def _institutional_models() -> dict:
    """{model id: card} of the models whose levels are an institutional choice (engine catalogue)."""
    return {card["id"]: card for card in risk_engine.model_catalogue() if card.get("level_source") == "institutional"}


def _cutoffs_from_card(card) -> dict | None:
    """The engine's own institutional cut-offs: where its first intermediate and first high band start."""
    starts = {}
    for band in card.get("bands") or []:
        if band.get("lower") is not None and band.get("level") in ("intermediate", "high"):
            starts.setdefault(band["level"], band["lower"])
    if "high" not in starts:
        return None
    return {"intermediate_from": starts.get("intermediate", starts["high"]), "high_from": starts["high"]}


def default_band_cutoffs() -> dict:
    """The built-in cut-offs: the engine's defaults for each model whose levels are institutional, written into
    the knowledge base so that the hospital sees and owns them."""
    cards = _institutional_models()
    return {model: cut for model, card in cards.items() if (cut := _cutoffs_from_card(card)) is not None}


def default_screening_rules() -> dict:
    return to_jsonable(risk_engine.default_screening_rules())


@transaction.atomic
def knowledge_base_ensure_default(hospital) -> KnowledgeBaseVersion:
    """The hospital's published version; on first use version 1 with the built-in content (idempotent)."""
    current = knowledge_base_current(hospital)
    if current is not None:
        return current
    _lock_hospital(hospital)
    current = knowledge_base_current(hospital)  # someone else created it while we waited
    if current is not None:
        return current
    if KnowledgeBaseVersion.objects.filter(hospital=hospital).exists():
        # Versions exist but none is published (drafts made before any publish): publish nothing silently;
        # the built-in content is still the answer, as a published version with the next number.
        number = _next_number(hospital)
    else:
        number = 1
    version = KnowledgeBaseVersion.objects.create(
        hospital=hospital, number=number, status=KnowledgeBaseStatus.PUBLISHED, note="内置默认知识库",
        band_cutoffs=default_band_cutoffs(), screening_rules=default_screening_rules(), published_at=timezone.now(),
    )
    KnowledgeBaseEntry.objects.bulk_create([
        KnowledgeBaseEntry(version=version, event=event, level=level, **plan)
        for event, levels in kd.DEFAULT_PLANS.items() for level, plan in levels.items()
    ])
    _audit_version(None, version, before=None, detail="built-in knowledge base published", system=True)
    return KnowledgeBaseVersion.objects.prefetch_related("entries").get(pk=version.pk)


def _next_number(hospital) -> int:
    last = KnowledgeBaseVersion.objects.filter(hospital=hospital).order_by("-number").values_list("number", flat=True)
    return (last.first() or 0) + 1


def actor_hospital(actor):
    department = getattr(actor, "department", None)
    return department.hospital if department is not None else None


def _check_hospital(actor, hospital):
    """Staff manage their own hospital's knowledge base (superusers any)."""
    if actor is None or getattr(actor, "is_superuser", False):
        return
    own = actor_hospital(actor)
    if own is not None and own.pk != hospital.pk:
        raise HospitalNotAllowed()


@transaction.atomic
def knowledge_base_create_draft(*, actor, hospital, source=None, note: str = "") -> KnowledgeBaseVersion:
    """A new draft copied from `source` (any version of the same hospital; default: the published one)."""
    _check_hospital(actor, hospital)
    knowledge_base_ensure_default(hospital)
    _lock_hospital(hospital)
    if source is None:
        source = knowledge_base_current(hospital)
    elif source.hospital_id != hospital.pk:
        raise InvalidInput(fields={"source": [_("The version belongs to another hospital.")]})
    version = KnowledgeBaseVersion.objects.create(
        hospital=hospital, number=_next_number(hospital), status=KnowledgeBaseStatus.DRAFT,
        note=(note or "")[:500], based_on=source, band_cutoffs=source.band_cutoffs,
        screening_rules=source.screening_rules, created_by=actor if getattr(actor, "pk", None) else None,
    )
    KnowledgeBaseEntry.objects.bulk_create([
        KnowledgeBaseEntry(version=version, event=e.event, level=e.level, monitoring=e.monitoring, drugs=e.drugs,
                           seniority=e.seniority, equipment=e.equipment, disposition=e.disposition, advice=e.advice)
        for e in source.entries.all().order_by("id")
    ])
    _audit_version(actor, version, before=None, detail=f"draft copied from v{source.number}")
    return version


def _lock_draft(version) -> KnowledgeBaseVersion:
    locked = (KnowledgeBaseVersion.objects.select_for_update(of=("self",)).select_related("hospital", "based_on")
              .get(pk=version.pk))
    if locked.status != KnowledgeBaseStatus.DRAFT:
        raise KnowledgeBaseNotDraft()
    return locked


def _clean_text_list(name, value) -> list[str]:
    if not isinstance(value, list):
        raise InvalidInput(fields={name: [_("Give a list of texts.")]})
    if len(value) > MAX_LIST_ITEMS:
        raise InvalidInput(fields={name: [_("At most %(n)s items.") % {"n": MAX_LIST_ITEMS}]})
    cleaned = []
    for item in value:
        if not isinstance(item, str) or not item.strip():
            raise InvalidInput(fields={name: [_("Every item must be a non-empty text.")]})
        if len(item) > MAX_ITEM_LENGTH:
            raise InvalidInput(fields={name: [_("An item is longer than %(n)s characters.") % {"n": MAX_ITEM_LENGTH}]})
        cleaned.append(item.strip())
    return _dedupe(cleaned)


def validate_band_cutoffs(value) -> dict:
    """{model: {"intermediate_from": x, "high_from": y}} for models with institutional bands; probabilities are
    fractions (0–1), scores non-negative; intermediate_from ≤ high_from."""
    if not isinstance(value, dict):
        raise InvalidInput(fields={"band_cutoffs": [_("Give an object keyed by model.")]})
    institutional = _institutional_models()
    cleaned = {}
    for model, cut in value.items():
        where = f"band_cutoffs.{model}"
        if model not in institutional:
            raise InvalidInput(fields={where: [_("This model has no institutional bands to set.")]})
        if not isinstance(cut, dict) or set(cut) != {"intermediate_from", "high_from"}:
            raise InvalidInput(fields={where: [_("Give intermediate_from and high_from.")]})
        low, high = cut["intermediate_from"], cut["high_from"]
        numbers = all(isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x) for x in (low, high))
        if not numbers or low < 0 or high < 0:
            raise InvalidInput(fields={where: [_("Cut-offs must be non-negative numbers.")]})
        if institutional[model].get("band_on") == "probability" and (low > 1 or high > 1):
            raise InvalidInput(fields={where: [_("Probability cut-offs are fractions between 0 and 1.")]})
        if low > high:
            raise InvalidInput(fields={where: [_("intermediate_from must not exceed high_from.")]})
        cleaned[model] = {"intermediate_from": low, "high_from": high}
    return cleaned


def validate_screening_rules(value) -> dict:
    """The rule sets in the engine's format; checked by the engine itself (a dry run on an empty patient)."""
    if not isinstance(value, dict):
        raise InvalidInput(fields={"screening_rules": [_("Give an object keyed by rule set.")]})
    if not value:
        return {}
    _check_storable_json(value, "screening_rules", max_depth=16)  # nested any/all conditions
    engine = risk_engine.get_engine()
    validator = getattr(engine, "validate_screening_rules", None)
    try:
        if validator is not None:
            validator(value)
        else:
            engine.evaluate({}, screening_rules=value)
    except Exception as exc:  # an administrator's arbitrary JSON: whatever fails to validate is invalid input
        fields = getattr(exc, "fields", None)
        if isinstance(fields, dict) and fields:
            raise InvalidInput(fields={
                k if k.startswith("screening_rules") else f"screening_rules.{k}": [str(m) for m in v]
                for k, v in fields.items()
            }) from exc
        raise InvalidInput(fields={"screening_rules": [_("The screening rules are invalid: %(reason)s")
                                                        % {"reason": str(exc)[:300]}]}) from exc
    return to_jsonable(value)


@transaction.atomic
def knowledge_base_update(*, actor, version, **fields) -> KnowledgeBaseVersion:
    """Change a draft's note, institutional cut-offs or screening rules."""
    version = _lock_draft(version)
    _check_hospital(actor, version.hospital)
    before = _version_snapshot(version)
    if "note" in fields:
        version.note = (fields["note"] or "")[:500]
    if "band_cutoffs" in fields:
        version.band_cutoffs = validate_band_cutoffs(fields["band_cutoffs"])
    if "screening_rules" in fields:
        version.screening_rules = validate_screening_rules(fields["screening_rules"])
    version.save()
    _audit_version(actor, version, before=before, detail="draft changed")
    return version


@transaction.atomic
def knowledge_base_entry_update(*, actor, entry, **fields) -> KnowledgeBaseEntry:
    """Change one plan of a draft: monitoring, drugs, seniority, equipment, disposition, advice."""
    version = _lock_draft(entry.version)
    _check_hospital(actor, version.hospital)
    entry = KnowledgeBaseEntry.objects.select_for_update().get(pk=entry.pk)
    before = _entry_snapshot(entry)
    for name in ("monitoring", "drugs", "equipment"):
        if name in fields:
            setattr(entry, name, _clean_text_list(name, fields[name]))
    if "seniority" in fields:
        if fields["seniority"] not in Seniority.values:
            raise InvalidInput(fields={"seniority": [_("Unknown seniority.")]})
        entry.seniority = fields["seniority"]
    if "disposition" in fields:
        if fields["disposition"] not in Disposition.values:
            raise InvalidInput(fields={"disposition": [_("Unknown disposition.")]})
        entry.disposition = fields["disposition"]
    if "advice" in fields:
        advice = fields["advice"] or ""
        if not isinstance(advice, str) or len(advice) > MAX_ADVICE_LENGTH:
            raise InvalidInput(fields={"advice": [_("At most %(n)s characters.") % {"n": MAX_ADVICE_LENGTH}]})
        entry.advice = advice.strip()
    entry.save()
    audit_record(actor=actor, action=AuditAction.CONFIG, target=entry, before=before, after=_entry_snapshot(entry),
                 detail=f"v{version.number} {entry.event}/{entry.level}",
                 target_repr=f"{version.hospital.name} 知识库 v{version.number} {entry.event}/{entry.level}")
    version.save(update_fields=["updated_at"])
    return entry


@transaction.atomic
def knowledge_base_publish(*, actor, version) -> KnowledgeBaseVersion:
    """Make a draft the hospital's current version; the previous published one is retired, atomically."""
    _check_hospital(actor, version.hospital)
    _lock_hospital(version.hospital)  # publishes of one hospital queue here; the re-read below sees the winner
    version = _lock_draft(version)
    present = set(version.entries.values_list("event", "level"))
    missing = [f"{e}/{lv}" for e in kd.EVENTS for lv in kd.LEVELS if (e, lv) not in present]
    if missing:
        raise KnowledgeBaseIncomplete(extra={"missing": missing})
    now = timezone.now()
    previous = KnowledgeBaseVersion.objects.select_for_update().filter(
        hospital_id=version.hospital_id, status=KnowledgeBaseStatus.PUBLISHED
    ).first()
    if previous is not None:
        before = _version_snapshot(previous)
        previous.status, previous.retired_at = KnowledgeBaseStatus.RETIRED, now
        previous.save(update_fields=["status", "retired_at", "updated_at"])
        _audit_version(actor, previous, before=before, detail=f"retired by publishing v{version.number}")
    before = _version_snapshot(version)
    version.status, version.published_at = KnowledgeBaseStatus.PUBLISHED, now
    version.published_by = actor if getattr(actor, "pk", None) else None
    try:
        with transaction.atomic():
            version.save(update_fields=["status", "published_at", "published_by", "updated_at"])
    except IntegrityError as exc:  # only without the lock above (never expected): keep the database's promise
        raise KnowledgeBaseNotDraft() from exc
    _audit_version(actor, version, before=before, detail="published")
    return version


@transaction.atomic
def knowledge_base_discard(*, actor, version) -> None:
    """Delete a draft nobody published (its history stays in the audit log)."""
    version = _lock_draft(version)
    _check_hospital(actor, version.hospital)
    before = _version_snapshot(version)
    audit_record(actor=actor, action=AuditAction.CONFIG, target=version, before=before, after=None,
                 detail="draft discarded", target_repr=f"{version.hospital.name} 知识库 v{version.number}")
    version.delete()


# --- procedure risk profiles ------------------------------------------------------------------------------------

PROFILE_FIELDS = (
    "procedure_type", "procedure_category", "surgical_incision", "rcri_elevated_risk_surgery", "arozullah_surgery",
    "lips_high_risk_surgery", "caprini_surgery", "sort_severity", "sort_specialty", "general_anaesthesia", "note",
)


def _profile_snapshot(profile) -> dict:
    return {"procedure": profile.procedure.code, **{f: getattr(profile, f) for f in PROFILE_FIELDS}}


def _apply_profile_fields(profile, fields):
    for name, value in fields.items():
        if name not in PROFILE_FIELDS:
            raise InvalidInput(fields={name: [_("Unknown field.")]})
        field = ProcedureRiskProfile._meta.get_field(name)
        if value is None and not field.null:
            value = ""
        setattr(profile, name, value)
    try:
        profile.full_clean(exclude=["procedure", "updated_by"])
    except Exception as exc:  # ValidationError: field messages for the client
        errors = getattr(exc, "message_dict", None) or {"non_field_errors": [str(exc)]}
        raise InvalidInput(fields={k: [str(m) for m in v] for k, v in errors.items()}) from exc


@transaction.atomic
def procedure_risk_profile_create(*, actor, procedure, **fields) -> ProcedureRiskProfile:
    if ProcedureRiskProfile.objects.filter(procedure=procedure).exists():
        raise InvalidInput(fields={"procedure": [_("This procedure already has a risk profile.")]})
    profile = ProcedureRiskProfile(procedure=procedure, updated_by=actor if getattr(actor, "pk", None) else None)
    _apply_profile_fields(profile, fields)
    try:
        with transaction.atomic():
            profile.save()
    except IntegrityError as exc:  # a concurrent create of the same procedure's profile
        raise InvalidInput(fields={"procedure": [_("This procedure already has a risk profile.")]}) from exc
    audit_record(actor=actor, action=AuditAction.CONFIG, target=profile, before=None, after=_profile_snapshot(profile),
                 detail="procedure risk profile created", target_repr=f"{procedure.code} {procedure.name}"[:200])
    return profile


@transaction.atomic
def procedure_risk_profile_update(*, actor, profile, **fields) -> ProcedureRiskProfile:
    profile = ProcedureRiskProfile.objects.select_for_update(of=("self",)).select_related("procedure").get(pk=profile.pk)
    before = _profile_snapshot(profile)
    _apply_profile_fields(profile, fields)
    profile.updated_by = actor if getattr(actor, "pk", None) else None
    profile.save()
    audit_record(actor=actor, action=AuditAction.CONFIG, target=profile, before=before,
                 after=_profile_snapshot(profile), detail="procedure risk profile changed",
                 target_repr=f"{profile.procedure.code} {profile.procedure.name}"[:200])
    return profile


@transaction.atomic
def procedure_risk_profile_delete(*, actor, profile) -> None:
    profile = ProcedureRiskProfile.objects.select_for_update(of=("self",)).select_related("procedure").get(pk=profile.pk)
    audit_record(actor=actor, action=AuditAction.CONFIG, target=profile, before=_profile_snapshot(profile),
                 after=None, detail="procedure risk profile deleted",
                 target_repr=f"{profile.procedure.code} {profile.procedure.name}"[:200])
    profile.delete()
