"""Reads of the risk app: the engine inputs a procedure contributes, knowledge-base versions, evaluations."""

from audit.models import AuditAction, AuditEntry
from core.errors import NotFound
from risk.models import (
    KnowledgeBaseEntry,
    KnowledgeBaseStatus,
    KnowledgeBaseVersion,
    ProcedureRiskProfile,
    ProcedureType,
    RiskEvaluation,
)

# --- procedure → engine inputs ------------------------------------------------------------------------------------

# Names of sedated endoscopies (the catalogue has no type field). Longer keys first: "支气管镜" before nothing
# that could contain it; surgical scopes (腹腔镜, 宫腔镜, 关节镜, 鼻内镜, 膀胱镜, 输尿管镜, 喉镜) never match.
_ENDOSCOPY_NAME_KEYS = (
    ("支气管镜", ProcedureType.BRONCHOSCOPY),
    ("胃镜", ProcedureType.GASTROSCOPY),
    ("结肠镜", ProcedureType.COLONOSCOPY),
    ("肠镜", ProcedureType.COLONOSCOPY),
)
_ARTHROPLASTY_NAME_KEYS = ("髋关节置换", "膝关节置换")
CAPRINI_MINOR_BELOW_MINUTES = 45  # Caprini: "minor surgery (anaesthesia < 45 min)"

_PROFILE_FIELDS = (
    "procedure_category", "surgical_incision", "rcri_elevated_risk_surgery", "arozullah_surgery",
    "lips_high_risk_surgery", "caprini_surgery", "sort_severity", "sort_specialty", "general_anaesthesia",
)


def _profile_of(procedure):
    try:
        return procedure.risk_profile
    except ProcedureRiskProfile.DoesNotExist:
        return None


def _type_from_name(name: str):
    for key, kind in _ENDOSCOPY_NAME_KEYS:
        if key in (name or ""):
            return kind
    return None


def procedure_type_for(procedure) -> str:
    """"surgery" unless the profile (or, without one, the procedure's name) says it is a sedated endoscopy."""
    if procedure is None:
        return ProcedureType.SURGERY.value
    profile = _profile_of(procedure)
    if profile is not None:
        return profile.procedure_type
    return (_type_from_name(procedure.name) or ProcedureType.SURGERY).value


def procedure_risk_inputs_explained(procedure) -> dict:
    """{input: {"value", "source": "profile"|"derived", "reason"}} — what the procedure contributes and why.

    A configured profile field wins. Without one, only what follows from the catalogue's own facts is derived:
    the procedure type from an endoscopy name, the Caprini surgery type from the typical duration (or a joint
    replacement name), general anaesthesia from the usual methods, and for diagnostic endoscopy the categories
    that are "none of the listed surgeries" by definition. A Gupta category, an ARISCAT incision or a SORT
    specialty is never guessed: the models then report the input as missing.
    """
    if procedure is None:
        return {}
    profile = _profile_of(procedure)
    out = {}

    def put(name, value, source, reason=""):
        if value is not None and value != "":
            out[name] = {"value": value, "source": source, "reason": reason}

    kind = procedure_type_for(procedure)
    put("procedure_type", kind, "profile" if profile is not None else "derived",
        "" if profile is not None else ("名称含内镜检查关键词" if kind != "surgery" else "默认为手术"))
    if profile is not None:
        for name in _PROFILE_FIELDS:
            put(name, getattr(profile, name), "profile")
    duration = procedure.default_duration_minutes
    put("expected_duration_minutes", duration, "derived", "目录中的常规手术时长")

    if "caprini_surgery" not in out:
        if any(key in procedure.name for key in _ARTHROPLASTY_NAME_KEYS):
            put("caprini_surgery", "arthroplasty", "derived", "名称为下肢关节置换")
        elif duration:
            minor = duration < CAPRINI_MINOR_BELOW_MINUTES
            put("caprini_surgery", "minor" if minor else "major", "derived",
                f"常规手术时长{duration}分钟（<{CAPRINI_MINOR_BELOW_MINUTES}分钟为小手术）")
    if "general_anaesthesia" not in out and procedure.anaesthesia_methods:
        # The first listed method is the usual one (the HIS lists them in order of preference).
        put("general_anaesthesia", procedure.anaesthesia_methods[0] == "general", "derived", "目录中的首选麻醉方式")
    if kind != "surgery":
        for name, value in _ENDOSCOPY_DEFINITIONAL:
            if name not in out:
                put(name, value, "derived", "内镜检查按定义归类")
    return out


# A diagnostic endoscopy is none of the high-risk surgeries these items list (by their definitions), is done under
# sedation rather than general anaesthesia, and counts as minor for SORT.
_ENDOSCOPY_DEFINITIONAL = (
    ("rcri_elevated_risk_surgery", False), ("lips_high_risk_surgery", "none"), ("arozullah_surgery", "other"),
    ("sort_severity", "minor"), ("sort_specialty", "other"), ("general_anaesthesia", False),
)
_ENDOSCOPY_TYPES = {ProcedureType.GASTROSCOPY, ProcedureType.COLONOSCOPY, ProcedureType.BRONCHOSCOPY}


def endoscopy_risk_inputs(procedure_type: str) -> dict:
    """Engine inputs of a sedated endoscopy known only by its kind (a medical-technology appointment without a
    catalogue procedure): the definitional categories above and Caprini "minor" (sedated endoscopy lasts well
    under 45 minutes). {} for anything that is not an endoscopy."""
    if procedure_type not in _ENDOSCOPY_TYPES:
        return {}
    return {"procedure_type": str(procedure_type), **dict(_ENDOSCOPY_DEFINITIONAL), "caprini_surgery": "minor"}


def procedure_risk_inputs(procedure) -> dict:
    """The engine inputs a catalogue procedure contributes ({} for none): profile values, then honest derivations."""
    return {name: item["value"] for name, item in procedure_risk_inputs_explained(procedure).items()}


def procedure_risk_profile_list():
    return ProcedureRiskProfile.objects.select_related("procedure", "procedure__department", "updated_by")


# --- knowledge base -------------------------------------------------------------------------------------------------


def knowledge_base_list():
    return KnowledgeBaseVersion.objects.select_related("hospital", "created_by", "published_by", "based_on")


def knowledge_base_current(hospital):
    """The hospital's published version, or None."""
    if hospital is None:
        return None
    return (
        KnowledgeBaseVersion.objects.filter(hospital=hospital, status=KnowledgeBaseStatus.PUBLISHED)
        .prefetch_related("entries").first()
    )


def knowledge_base_newest(hospital):
    """The hospital's newest version that is not retired (the draft being edited, else the published one); without
    a hospital, the newest of any hospital."""
    qs = KnowledgeBaseVersion.objects.exclude(status=KnowledgeBaseStatus.RETIRED)
    if hospital is not None:
        qs = qs.filter(hospital=hospital)
    return qs.order_by("-created_at", "-id").first()


def knowledge_base_entries(version):
    return KnowledgeBaseEntry.objects.filter(version=version).order_by("id")


def knowledge_base_history(*, version=None, hospital=None):
    """Configuration changes of knowledge-base versions and their entries (audit log), newest first."""
    qs = AuditEntry.objects.filter(
        action__in=[AuditAction.CONFIG, AuditAction.CREATE, AuditAction.UPDATE, AuditAction.DELETE],
        target_type__in=[KnowledgeBaseVersion._meta.label_lower, KnowledgeBaseEntry._meta.label_lower],
    )
    if version is not None:
        entry_ids = [str(u) for u in KnowledgeBaseEntry.objects.filter(version=version).values_list("uuid", flat=True)]
        qs = qs.filter(target_id__in=[str(version.uuid), *entry_ids])
    elif hospital is not None:
        version_ids = KnowledgeBaseVersion.objects.filter(hospital=hospital).values_list("uuid", flat=True)
        entry_ids = KnowledgeBaseEntry.objects.filter(version__hospital=hospital).values_list("uuid", flat=True)
        qs = qs.filter(target_id__in=[str(u) for u in [*version_ids, *entry_ids]])
    return qs.order_by("-occurred_at", "-id")


def procedure_profile_history(profile_uuid=None):
    qs = AuditEntry.objects.filter(target_type=ProcedureRiskProfile._meta.label_lower)
    if profile_uuid is not None:
        qs = qs.filter(target_id=str(profile_uuid))
    return qs.order_by("-occurred_at", "-id")


# --- evaluations --------------------------------------------------------------------------------------------------


def risk_evaluation_list_own(principal):
    """The calculator evaluations the principal made. Evaluations of a named patient are not here: they are read
    through the record that owns them (the anaesthesia assessment), which scopes by ward and audits the read."""
    if principal is None or not getattr(principal, "is_authenticated", False):
        return RiskEvaluation.objects.none()
    return RiskEvaluation.objects.filter(actor_id=principal.pk, patient__isnull=True).select_related("actor")


def risk_evaluation_get_own(principal, uuid) -> RiskEvaluation:
    evaluation = risk_evaluation_list_own(principal).filter(uuid=uuid).first()
    if evaluation is None:
        raise NotFound()
    return evaluation
