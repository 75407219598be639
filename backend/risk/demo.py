"""Demo risk set-up (A1, A7): the built-in knowledge base (version 1, published) and the risk profiles of the
simulator's procedure catalogue. Idempotent: the knowledge base is created once; a procedure that already has a
profile (perhaps edited by an administrator) is left alone.

The profiles are a clinician's mapping of each procedure onto the models' categories. Eye surgery and lymph-node
biopsy have no Gupta procedure group (the NSQIP derivation had none): their category stays blank, so the Gupta
models report it as missing rather than borrowing a wrong group. A blank Caprini type is derived from the
procedure's typical duration, a blank anaesthesia flag from its usual method.
"""

from django.db import transaction

from catalog.models import Procedure
from risk.models import ProcedureRiskProfile
from risk.services import knowledge_base_ensure_default, procedure_risk_profile_create

_P, _U = "peripheral", "upper_abdominal"
# code: (procedure type, Gupta category, ARISCAT incision, RCRI elevated-risk surgery, Arozullah surgery,
#        Caprini surgery ("" = from duration), SORT severity, SORT specialty)
PROFILES = {
    # Ophthalmology — no Gupta group.
    "13.41": ("surgery", "", _P, False, "other", "", "intermediate", "other"),
    "13.71": ("surgery", "", _P, False, "other", "", "intermediate", "other"),
    "12.64": ("surgery", "", _P, False, "other", "", "intermediate", "other"),
    "11.39": ("surgery", "", _P, False, "other", "", "minor", "other"),
    "08.21": ("surgery", "", _P, False, "other", "", "minor", "other"),
    "15.11": ("surgery", "", _P, False, "other", "", "intermediate", "other"),
    "14.74": ("surgery", "", _P, False, "other", "", "major", "other"),
    "09.81": ("surgery", "", _P, False, "other", "", "intermediate", "other"),
    "08.72": ("surgery", "", _P, False, "other", "", "minor", "other"),
    # ENT — pharynx and larynx count as neck surgery for Arozullah.
    "28.2": ("surgery", "ent", _P, False, "neck", "", "intermediate", "other"),
    "28.3": ("surgery", "ent", _P, False, "neck", "", "intermediate", "other"),
    "28.6": ("surgery", "ent", _P, False, "neck", "", "minor", "other"),
    "21.31": ("surgery", "ent", _P, False, "other", "", "intermediate", "other"),
    "21.5": ("surgery", "ent", _P, False, "other", "", "intermediate", "other"),
    "22.63": ("surgery", "ent", _P, False, "other", "", "major", "other"),
    "30.09": ("surgery", "ent", _P, False, "neck", "", "minor", "other"),
    "20.01": ("surgery", "ent", _P, False, "other", "", "minor", "other"),
    "19.4": ("surgery", "ent", _P, False, "other", "", "intermediate", "other"),
    "21.69": ("surgery", "ent", _P, False, "other", "", "minor", "other"),
    # General surgery.
    "53.04": ("surgery", "hernia", _P, False, "other", "", "intermediate", "other"),
    "53.02": ("surgery", "hernia", _P, False, "other", "", "intermediate", "other"),
    "17.11": ("surgery", "hernia", _P, True, "other", "major", "intermediate", "other"),  # laparoscopic: intraperitoneal
    "51.23": ("surgery", "gallbladder_appendix_adrenals_spleen", _U, True, "upper_abdominal", "major", "major", "hpb"),
    "86.3": ("surgery", "skin", _P, False, "other", "", "minor", "other"),
    "86.4": ("surgery", "skin", _P, False, "other", "", "minor", "other"),
    "85.21": ("surgery", "breast", _P, False, "other", "", "minor", "other"),
    "85.12": ("surgery", "breast", _P, False, "other", "", "minor", "other"),
    "06.2": ("surgery", "neck_thyroid_parathyroid", _P, False, "neck", "", "major", "other"),
    "06.31": ("surgery", "neck_thyroid_parathyroid", _P, False, "neck", "", "intermediate", "other"),
    "49.46": ("surgery", "anorectal", _P, False, "other", "", "minor", "colorectal"),
    "49.12": ("surgery", "anorectal", _P, False, "other", "", "minor", "colorectal"),
    "49.01": ("surgery", "anorectal", _P, False, "other", "", "minor", "colorectal"),
    "45.42": ("colonoscopy", "", "", False, "other", "", "minor", "other"),  # colonoscopic polypectomy, sedated
    "43.41": ("gastroscopy", "", "", False, "other", "", "intermediate", "other"),  # endoscopic resection
    "38.59": ("surgery", "vein", _P, False, "other", "", "intermediate", "vascular"),
    "40.11": ("surgery", "", _P, False, "other", "", "minor", "other"),  # lymph-node biopsy: no Gupta group
    # Orthopaedics — arthroscopy is "major" for Caprini whatever its length.
    "80.6": ("surgery", "orthopaedic", _P, False, "other", "major", "intermediate", "orthopaedic"),
    "80.26": ("surgery", "orthopaedic", _P, False, "other", "major", "minor", "orthopaedic"),
    "83.63": ("surgery", "orthopaedic", _P, False, "other", "major", "major", "orthopaedic"),
    "78.63": ("surgery", "orthopaedic", _P, False, "other", "", "intermediate", "orthopaedic"),
    "78.65": ("surgery", "orthopaedic", _P, False, "other", "", "intermediate", "orthopaedic"),
    "78.67": ("surgery", "orthopaedic", _P, False, "other", "", "intermediate", "orthopaedic"),
    "82.01": ("surgery", "orthopaedic", _P, False, "other", "", "minor", "orthopaedic"),
    "04.43": ("surgery", "orthopaedic", _P, False, "other", "", "minor", "orthopaedic"),
    "83.31": ("surgery", "orthopaedic", _P, False, "other", "", "minor", "orthopaedic"),
    "77.59": ("surgery", "orthopaedic", _P, False, "other", "", "intermediate", "orthopaedic"),
    # Gynaecology.
    "68.12": ("surgery", "obstetric_gynaecologic", _P, False, "other", "", "minor", "other"),
    "68.29": ("surgery", "obstetric_gynaecologic", _P, False, "other", "", "minor", "other"),
    "69.09": ("surgery", "obstetric_gynaecologic", _P, False, "other", "", "minor", "other"),
    "67.2": ("surgery", "obstetric_gynaecologic", _P, False, "other", "", "minor", "other"),
    "67.32": ("surgery", "obstetric_gynaecologic", _P, False, "other", "", "minor", "other"),
    "65.25": ("surgery", "obstetric_gynaecologic", _P, True, "other", "major", "major", "other"),
    "71.3": ("surgery", "obstetric_gynaecologic", _P, False, "other", "", "minor", "other"),
    "71.23": ("surgery", "obstetric_gynaecologic", _P, False, "other", "", "minor", "other"),
    # Urology.
    "60.29": ("surgery", "urology", _P, False, "other", "", "major", "other"),
    "57.49": ("surgery", "urology", _P, False, "other", "", "intermediate", "other"),
    "56.0": ("surgery", "urology", _P, False, "other", "", "intermediate", "other"),
    "98.51": ("surgery", "urology", _P, False, "other", "", "minor", "other"),
    "59.8": ("surgery", "urology", _P, False, "other", "", "minor", "other"),
    "97.62": ("surgery", "urology", _P, False, "other", "", "minor", "other"),
    "64.0": ("surgery", "urology", _P, False, "other", "", "minor", "other"),
    "63.1": ("surgery", "urology", _P, False, "other", "", "intermediate", "other"),
    "61.2": ("surgery", "urology", _P, False, "other", "", "intermediate", "other"),
    "57.32": ("surgery", "urology", _P, False, "other", "", "minor", "other"),
}


@transaction.atomic
def seed_risk(hospital, *, write=print) -> dict:
    """The hospital's knowledge base (built-in version 1 on first run) and the demo procedures' risk profiles."""
    version = knowledge_base_ensure_default(hospital)
    existing = set(ProcedureRiskProfile.objects.values_list("procedure__code", flat=True))
    created = 0
    for procedure in Procedure.objects.filter(code__in=PROFILES).exclude(code__in=existing).order_by("code"):
        kind, category, incision, rcri, arozullah, caprini, severity, specialty = PROFILES[procedure.code]
        procedure_risk_profile_create(
            actor=None, procedure=procedure, procedure_type=kind, procedure_category=category,
            surgical_incision=incision, rcri_elevated_risk_surgery=rcri, arozullah_surgery=arozullah,
            lips_high_risk_surgery="none", caprini_surgery=caprini, sort_severity=severity,
            sort_specialty=specialty, note="演示：按手术类别配置",
        )
        created += 1
    without = Procedure.objects.filter(risk_profile__isnull=True).count()
    write(f"  risk: knowledge base v{version.number} ({version.status}), {created} procedure risk profiles added"
          f" ({without} catalogue procedures without a profile)")
    return {"knowledge_base_version": version.number, "profiles": created, "without_profile": without}
