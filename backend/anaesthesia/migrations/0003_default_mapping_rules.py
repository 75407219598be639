"""Default result mapping rules (A3, A5): the LOINC codes the LIS sends and the PACS/ECG report codes.

Values are SI as Chinese laboratories report them; hospitals whose LIS uses other codes or units add their own
rules (a hospital's rule for a code wins over the default).
"""

from django.db import migrations

LAB_RULES = (
    # (code, name, source unit, target, factor)
    ("2160-0", "肌酐", "μmol/L", "labs.creatinine_umol_l", 1),
    ("718-7", "血红蛋白", "g/L", "labs.haemoglobin_g_l", 1),
    ("6690-2", "白细胞计数", "10^9/L", "labs.wbc_10e9_l", 1),
    ("777-3", "血小板计数", "10^9/L", "labs.platelets_10e9_l", 1),
    ("2823-3", "钾", "mmol/L", "labs.potassium_mmol_l", 1),
    ("2345-7", "葡萄糖", "mmol/L", "labs.glucose_mmol_l", 1),
    ("6301-6", "国际标准化比值", "", "labs.inr", 1),
    ("3091-6", "尿素", "mmol/L", "labs.urea_mmol_l", 1),
    ("1751-7", "白蛋白", "g/L", "labs.albumin_g_l", 1),
)
EXAM_RULES = (
    ("ECG12", "十二导联心电图", "systems.cardiovascular"),
    ("CXR", "胸部正位片", "systems.respiratory"),
)


def seed(apps, schema_editor):
    Rule = apps.get_model("anaesthesia", "ResultMappingRule")
    for position, (code, name, unit, target, factor) in enumerate(LAB_RULES):
        Rule.objects.get_or_create(hospital=None, kind="lab", code=code, defaults={
            "name": name, "source_unit": unit, "target": target, "factor": factor, "position": position})
    for position, (code, name, target) in enumerate(EXAM_RULES):
        Rule.objects.get_or_create(hospital=None, kind="exam", code=code, defaults={
            "name": name, "target": target, "position": position})


def unseed(apps, schema_editor):
    apps.get_model("anaesthesia", "ResultMappingRule").objects.filter(hospital=None).delete()


class Migration(migrations.Migration):
    dependencies = [("anaesthesia", "0002_clinic_capture")]
    operations = [migrations.RunPython(seed, unseed)]
