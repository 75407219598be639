"""The risk app (A1, A6, A7): knowledge base, procedure risk profiles and the record of every prediction.

- `KnowledgeBaseVersion` / `KnowledgeBaseEntry`: per hospital, versioned data (not code) turning each adverse
  event and risk level into a management plan — monitoring, drugs, anaesthetist seniority, equipment, whether the
  procedure may go ahead, advice. A version is edited only while it is a draft; publishing makes it the hospital's
  current one (the previous published version is retired). A version also carries the institutional band cut-offs
  of models whose bands were not published, and the sepsis/shock screening rule sets.
- `ProcedureRiskProfile`: how a catalogue procedure enters the models (Gupta category, incision, SORT severity...).
- `RiskEvaluation`: one prediction — the inputs, every model result, engine and knowledge-base versions, the plan.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import BaseModel


class Event(models.TextChoices):
    """The adverse events predicted (stable keys shared with ml_models)."""

    MI_CARDIAC_ARREST = "mi_cardiac_arrest", _("myocardial infarction / cardiac arrest")
    PNEUMONIA = "pneumonia", _("postoperative pneumonia")
    PULMONARY_COMPLICATIONS = "pulmonary_complications", _("postoperative pulmonary complications")
    PONV = "ponv", _("postoperative nausea and vomiting")
    PDNV = "pdnv", _("post-discharge nausea and vomiting")
    OSA = "osa", _("obstructive sleep apnoea")
    DIFFICULT_AIRWAY = "difficult_airway", _("difficult airway")
    VTE = "vte", _("venous thromboembolism")
    SEDATION_HYPOXAEMIA = "sedation_hypoxaemia", _("hypoxaemia during sedation")
    MORTALITY_30D = "mortality_30d", _("30-day mortality")
    POSTOPERATIVE_MORBIDITY = "postoperative_morbidity", _("postoperative morbidity")
    RESPIRATORY_FAILURE = "respiratory_failure", _("postoperative respiratory failure")
    ARDS = "ards", _("acute respiratory distress syndrome")
    SEPSIS = "sepsis", _("sepsis")
    SHOCK = "shock", _("shock")


class Level(models.TextChoices):
    LOW = "low", _("low risk")
    INTERMEDIATE = "intermediate", _("intermediate risk")
    HIGH = "high", _("high risk")
    UNKNOWN = "unknown", _("insufficient data")


class Seniority(models.TextChoices):
    """Anaesthetist seniority, lowest first (the order is used to take the highest a plan requires)."""

    RESIDENT = "resident", _("resident")
    ATTENDING = "attending", _("attending")
    ASSOCIATE_CHIEF = "associate_chief", _("associate chief")
    CHIEF = "chief", _("chief")


class Disposition(models.TextChoices):
    """Whether the procedure may go ahead, most permissive first (the order is used to take the worst)."""

    CAN_BOOK = "can_book", _("day surgery can be booked")
    REFER = "refer", _("refer / further assessment")
    NOT_SUITABLE = "not_suitable", _("not suitable for day surgery")


class KnowledgeBaseStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    PUBLISHED = "published", _("published")
    RETIRED = "retired", _("retired")


class KnowledgeBaseVersion(BaseModel):
    hospital = models.ForeignKey("org.Hospital", on_delete=models.PROTECT, related_name="risk_knowledge_bases")
    number = models.PositiveIntegerField(_("version number"))
    status = models.CharField(
        _("status"), max_length=12, choices=KnowledgeBaseStatus.choices, default=KnowledgeBaseStatus.DRAFT
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    based_on = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("copied from")
    )
    # {model id: {"intermediate_from": x, "high_from": y}} on the model's probability (fraction) or, for a points
    # model without a probability, its score. Applied to results whose level_source is "institutional".
    band_cutoffs = models.JSONField(_("institutional band cut-offs"), default=dict, blank=True)
    # The sepsis / shock screening rule sets in the engine's format ({} = the engine's defaults).
    screening_rules = models.JSONField(_("screening rules"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("created by"),
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("published by"),
    )
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)

    class Meta:
        ordering = ["hospital_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["hospital", "number"], name="uniq_risk_kb_number"),
            # The database, not only the service lock, guarantees one current version per hospital.
            models.UniqueConstraint(
                fields=["hospital"], condition=Q(status="published"), name="uniq_risk_kb_published"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "published", "retired"]), name="risk_kb_status"
            ),
        ]

    def __str__(self):
        return f"{self.hospital_id} v{self.number} ({self.status})"


class KnowledgeBaseEntry(BaseModel):
    """The plan for one event at one level in one knowledge-base version."""

    version = models.ForeignKey(KnowledgeBaseVersion, on_delete=models.CASCADE, related_name="entries")
    event = models.CharField(_("event"), max_length=40, choices=Event.choices)
    level = models.CharField(_("level"), max_length=15, choices=Level.choices)
    monitoring = models.JSONField(_("recommended monitoring"), default=list, blank=True)
    drugs = models.JSONField(_("recommended drugs"), default=list, blank=True)
    seniority = models.CharField(
        _("anaesthetist seniority"), max_length=20, choices=Seniority.choices, default=Seniority.RESIDENT
    )
    equipment = models.JSONField(_("equipment"), default=list, blank=True)
    disposition = models.CharField(
        _("disposition"), max_length=15, choices=Disposition.choices, default=Disposition.CAN_BOOK
    )
    advice = models.TextField(_("advice"), blank=True, max_length=2000)

    class Meta:
        ordering = ["version_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["version", "event", "level"], name="uniq_risk_kb_entry"),
        ]

    def __str__(self):
        return f"{self.event}/{self.level}"

    def plan(self) -> dict:
        return {
            "monitoring": list(self.monitoring), "drugs": list(self.drugs), "seniority": self.seniority,
            "equipment": list(self.equipment), "disposition": self.disposition, "advice": self.advice,
        }


# --- procedure risk profiles ------------------------------------------------------------------------------------


class ProcedureType(models.TextChoices):
    SURGERY = "surgery", _("surgery")
    GASTROSCOPY = "gastroscopy", _("gastroscopy")
    COLONOSCOPY = "colonoscopy", _("colonoscopy")
    BRONCHOSCOPY = "bronchoscopy", _("bronchoscopy")


class GuptaCategory(models.TextChoices):
    """The 21 procedure groups of the Gupta (ACS-NSQIP 2007) models."""

    ANORECTAL = "anorectal", _("anorectal")
    AORTIC = "aortic", _("aortic")
    BARIATRIC = "bariatric", _("bariatric")
    BRAIN = "brain", _("brain")
    BREAST = "breast", _("breast")
    CARDIAC = "cardiac", _("cardiac")
    ENT = "ent", _("ENT (except thyroid/parathyroid)")
    FOREGUT_HPB = "foregut_hpb", _("foregut or hepatopancreatobiliary")
    GALLBLADDER = "gallbladder_appendix_adrenals_spleen", _("gallbladder, appendix, adrenals or spleen")
    HERNIA = "hernia", _("hernia (ventral, inguinal, femoral)")
    INTESTINAL = "intestinal", _("intestinal")
    NECK = "neck_thyroid_parathyroid", _("neck (thyroid/parathyroid)")
    OBSTETRIC_GYNAECOLOGIC = "obstetric_gynaecologic", _("obstetric/gynaecologic")
    ORTHOPAEDIC = "orthopaedic", _("orthopaedic and non-vascular extremity")
    OTHER_ABDOMINAL = "other_abdominal", _("other abdominal")
    PERIPHERAL_VASCULAR = "peripheral_vascular", _("peripheral vascular")
    SKIN = "skin", _("skin")
    SPINE = "spine", _("spine")
    THORACIC = "thoracic_non_oesophageal", _("non-oesophageal thoracic")
    VEIN = "vein", _("vein")
    UROLOGY = "urology", _("urology")


class SurgicalIncision(models.TextChoices):
    """ARISCAT's incision classes."""

    PERIPHERAL = "peripheral", _("peripheral")
    UPPER_ABDOMINAL = "upper_abdominal", _("upper abdominal")
    INTRATHORACIC = "intrathoracic", _("intrathoracic")


class ArozullahSurgery(models.TextChoices):
    AAA = "aaa", _("abdominal aortic aneurysm repair")
    THORACIC = "thoracic", _("thoracic")
    UPPER_ABDOMINAL = "upper_abdominal", _("upper abdominal")
    NECK = "neck", _("neck")
    NEUROSURGERY = "neurosurgery", _("neurosurgery")
    PERIPHERAL_VASCULAR = "peripheral_vascular", _("peripheral vascular")
    VASCULAR = "vascular", _("vascular")
    OTHER = "other", _("other")


class LipsSurgery(models.TextChoices):
    NONE = "none", _("none")
    SPINE = "spine", _("orthopaedic spine")
    ACUTE_ABDOMEN = "acute_abdomen", _("acute abdomen")
    CARDIAC = "cardiac", _("cardiac")
    AORTIC_VASCULAR = "aortic_vascular", _("aortic vascular")


class CapriniSurgery(models.TextChoices):
    NONE = "none", _("none")
    MINOR = "minor", _("minor (under 45 minutes)")
    MAJOR = "major", _("major (over 45 minutes), laparoscopic or arthroscopic")
    ARTHROPLASTY = "arthroplasty", _("elective major lower-extremity arthroplasty")


class SortSeverity(models.TextChoices):
    MINOR = "minor", _("minor")
    INTERMEDIATE = "intermediate", _("intermediate")
    MAJOR = "major", _("major")
    XMAJOR = "xmajor", _("extra major")
    COMPLEX = "complex", _("complex")


class SortSpecialty(models.TextChoices):
    COLORECTAL = "colorectal", _("colorectal")
    UPPER_GI = "upper_gi", _("upper gastrointestinal")
    HPB = "hpb", _("hepatopancreatobiliary")
    BARIATRIC = "bariatric", _("bariatric")
    THORACIC = "thoracic", _("thoracic")
    VASCULAR = "vascular", _("vascular")
    ORTHOPAEDIC = "orthopaedic", _("orthopaedic")
    OTHER = "other", _("other")


class ProcedureRiskProfile(BaseModel):
    """What the risk models need to know of a catalogue procedure; a blank field is left to derivation or to the
    model reporting insufficient data (never guessed)."""

    procedure = models.OneToOneField(
        "catalog.Procedure", on_delete=models.CASCADE, related_name="risk_profile", verbose_name=_("procedure")
    )
    procedure_type = models.CharField(
        _("procedure type"), max_length=20, choices=ProcedureType.choices, default=ProcedureType.SURGERY
    )
    procedure_category = models.CharField(
        _("Gupta procedure category"), max_length=40, choices=GuptaCategory.choices, blank=True
    )
    surgical_incision = models.CharField(
        _("surgical incision (ARISCAT)"), max_length=20, choices=SurgicalIncision.choices, blank=True
    )
    rcri_elevated_risk_surgery = models.BooleanField(_("elevated-risk surgery (RCRI)"), null=True, blank=True)
    arozullah_surgery = models.CharField(
        _("type of surgery (Arozullah)"), max_length=20, choices=ArozullahSurgery.choices, blank=True
    )
    lips_high_risk_surgery = models.CharField(
        _("high-risk surgery (LIPS)"), max_length=20, choices=LipsSurgery.choices, blank=True
    )
    caprini_surgery = models.CharField(
        _("type of surgery (Caprini)"), max_length=20, choices=CapriniSurgery.choices, blank=True,
        help_text=_("Blank: derived from the expected duration (minor under 45 minutes)."),
    )
    sort_severity = models.CharField(_("severity (SORT)"), max_length=15, choices=SortSeverity.choices, blank=True)
    sort_specialty = models.CharField(
        _("specialty (SORT)"), max_length=15, choices=SortSpecialty.choices, blank=True
    )
    general_anaesthesia = models.BooleanField(_("general anaesthesia by default"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("updated by"),
    )

    class Meta:
        ordering = ["procedure__code"]

    def __str__(self):
        return f"risk profile of {self.procedure_id}"


# --- evaluations --------------------------------------------------------------------------------------------------


class RiskEvaluation(BaseModel):
    """One prediction, kept as evidence: what went in, what every model said, which versions said it."""

    hospital = models.ForeignKey(
        "org.Hospital", on_delete=models.PROTECT, null=True, blank=True, related_name="risk_evaluations"
    )
    knowledge_base = models.ForeignKey(
        KnowledgeBaseVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="evaluations"
    )
    knowledge_base_number = models.PositiveIntegerField(_("knowledge-base version"), default=0)
    engine_version = models.CharField(_("engine version"), max_length=40)
    inputs = models.JSONField(_("inputs"), default=dict)
    results = models.JSONField(_("model results"), default=list)
    summary = models.JSONField(_("summary"), default=dict)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("evaluated by"),
    )
    patient = models.ForeignKey(
        "cases.Patient", on_delete=models.PROTECT, null=True, blank=True, related_name="risk_evaluations"
    )
    subject = models.CharField(_("subject"), max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["actor", "created_at"], name="risk_eval_actor_idx")]

    def __str__(self):
        return f"risk evaluation {self.uuid}"
