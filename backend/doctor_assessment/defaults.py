"""The platform's default high-risk rules (hospital empty): every hospital starts with them and may change,
disable or replace each one (a hospital rule with the same key). Seeded by migration 0002; `sync_default_rules`
adds a default that is missing (never changes one an administrator edited).

Infectious screening (术前四项, Y9/P2): the item codes are the LOINC codes the simulator's LIS and many Chinese
LIS interfaces send, with common local codes beside them; a hospital adds its own codes to the rule.
Lab thresholds and ECG/imaging keywords are conservative day-surgery defaults (values the Chinese day-surgery
expert consensus treats as reasons to review before a same-day operation), to be tuned per procedure.
"""

DEFAULT_RULES = (
    # key, label, kind, category, codes, comparator, threshold, exam_kind, keywords, severity, position
    ("hbsag_positive", "乙肝表面抗原阳性", "lab_positive", "infectious", ["5196-1", "5195-3", "HBSAG"], "", None, "",
     [], "high", 10),
    ("anti_hcv_positive", "丙肝抗体阳性", "lab_positive", "infectious", ["16128-1", "13955-0", "HCVAB", "ANTI-HCV"],
     "", None, "", [], "high", 11),
    ("anti_hiv_positive", "HIV抗原抗体有反应性", "lab_positive", "infectious",
     ["56888-1", "7918-6", "75622-1", "HIV", "HIVAB"], "", None, "", [], "high", 12),
    ("syphilis_tp_positive", "梅毒螺旋体抗体阳性", "lab_positive", "infectious", ["24110-9", "22587-0", "TPAB", "TP"],
     "", None, "", [], "high", 13),
    ("syphilis_rpr_positive", "梅毒非特异性抗体(RPR/TRUST)阳性", "lab_positive", "infectious",
     ["20507-0", "RPR", "TRUST"], "", None, "", [], "high", 14),
    ("potassium_low", "血钾 < 3.0 mmol/L", "lab_numeric", "lab_threshold", ["2823-3", "K"], "lt", "3.0", "", [],
     "high", 20),
    ("potassium_high", "血钾 > 5.5 mmol/L", "lab_numeric", "lab_threshold", ["2823-3", "K"], "gt", "5.5", "", [],
     "high", 21),
    ("haemoglobin_low", "血红蛋白 < 90 g/L", "lab_numeric", "lab_threshold", ["718-7", "HGB"], "lt", "90", "", [],
     "high", 22),
    ("platelets_low", "血小板 < 80×10^9/L", "lab_numeric", "lab_threshold", ["777-3", "PLT"], "lt", "80", "", [],
     "high", 23),
    ("inr_high", "INR > 1.5", "lab_numeric", "lab_threshold", ["6301-6", "INR"], "gt", "1.5", "", [], "high", 24),
    ("glucose_high", "血糖 > 11.1 mmol/L", "lab_numeric", "lab_threshold", ["2345-7", "GLU"], "gt", "11.1", "", [],
     "attention", 25),
    ("ecg_high_risk", "心电图高危表现", "exam_keyword", "exam_keyword", [], "", None, "ecg",
     ["心房颤动", "房颤", "心房扑动", "室性心动过速", "二度房室传导阻滞", "三度房室传导阻滞", "完全性房室传导阻滞",
      "完全性左束支传导阻滞", "ST段抬高", "急性心肌梗死", "长QT"], "high", 30),
    ("imaging_high_risk", "影像学异常需评估", "exam_keyword", "exam_keyword", [], "", None, "exam",
     ["占位", "肺炎", "肺结核", "胸腔积液", "气胸", "心包积液"], "attention", 31),
)


def default_rule_rows():
    for (key, label, kind, category, codes, comparator, threshold, exam_kind, keywords, severity,
         position) in DEFAULT_RULES:
        yield {"key": key, "label": label, "kind": kind, "category": category, "codes": list(codes),
               "comparator": comparator, "threshold": threshold, "exam_kind": exam_kind, "keywords": list(keywords),
               "severity": severity, "position": position}


def sync_default_rules(rule_model=None) -> int:
    """Create the defaults that are missing (by key). Returns how many were created."""
    from decimal import Decimal

    if rule_model is None:
        from doctor_assessment.models import HighRiskRule as rule_model
    created = 0
    for row in default_rule_rows():
        if rule_model.objects.filter(hospital__isnull=True, key=row["key"]).exists():
            continue
        threshold = Decimal(row.pop("threshold")) if row["threshold"] is not None else row.pop("threshold")
        rule_model.objects.create(hospital=None, threshold=threshold, **row)
        created += 1
    return created
