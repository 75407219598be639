"""Demo data for the catalogue's local configuration (Y3): test packages, notice text, patient instructions and
admitted doctors, for a demo hospital whose procedures are already imported. Called by the demo seed.

Only blanks are filled: a re-run leaves whatever an administrator changed since. Writes go through the services
(audited as the system)."""

from accounts.models import RoleSlug, User
from catalog.models import Procedure
from catalog.services import procedure_set_admitted_doctors, procedure_set_test_package, procedure_update

LAB, EXAM = "lab", "exam"
# Every day-surgery patient: the routine pre-operative work-up (codes as the simulator's LIS/PACS use them).
_BASE = (
    ("CBC", "血常规", LAB),
    ("COAG", "凝血四项", LAB),
    ("CHEM", "肝肾功能、电解质、血糖", LAB),
    ("INF", "术前感染四项（乙肝、丙肝、梅毒、HIV）", LAB),
    ("ECG12", "十二导联心电图", EXAM),
)
_CHEST = ("CXR", "胸部正位片", EXAM)  # general or neuraxial anaesthesia
_BLOOD_GROUP = ("ABO", "血型鉴定（ABO+Rh）", LAB)  # grade 3–4
# What a specialty adds (by department code), and what particular procedures add (by code).
_BY_DEPARTMENT = {
    "OPH": (("OPH-BSCAN", "眼部A/B超", EXAM),),
    "ENT": (("ENT-LARYNX", "电子喉镜", EXAM),),
    "GS": (),
    "ORTH": (("XR-PART", "患处X线片", EXAM),),
    "GYN": (("US-PELVIS", "妇科彩超", EXAM), ("TCT", "宫颈液基细胞学检查", LAB)),
    "URO": (("US-URO", "泌尿系彩超", EXAM), ("UA", "尿常规", LAB)),
}
_BY_PROCEDURE = {
    "13.41": (("IOL", "人工晶体度数测量", EXAM), ("OCT", "黄斑OCT", EXAM)),
    "51.23": (("US-ABD", "腹部彩超", EXAM),),
    "06.2": (("US-THY", "甲状腺彩超", EXAM), ("THY-FN", "甲状腺功能", LAB)),
    "06.31": (("US-THY", "甲状腺彩超", EXAM), ("THY-FN", "甲状腺功能", LAB)),
    "60.29": (("PSA", "前列腺特异性抗原", LAB),),
    "80.6": (("MRI-KNEE", "膝关节MRI", EXAM),),
    "22.63": (("CT-SINUS", "鼻窦CT", EXAM),),
    "45.42": (("FOB", "粪便隐血", LAB),),
}
_WIDE = {"general", "spinal"}  # anaesthesia that needs the chest film

NOTICE = (
    "1. 请于手术日早 7:30 携带本入院证、身份证、医保卡到日间手术中心办理入院。\n"
    "2. 术前 8 小时禁食、2 小时禁饮（清水可至术前 2 小时）；糖尿病、高血压患者按医生交代服药。\n"
    "3. 请由一名成年家属陪同，术后不得自行驾车离院。\n"
    "4. 如有感冒、发热、月经来潮或不能按期手术，请提前一天致电病区取消或改期。"
)
_LOCAL_NOTICE = (
    "1. 请于手术日按通知时间携带本入院证、身份证、医保卡到日间手术中心办理入院。\n"
    "2. 局部麻醉手术无需禁食，术前可正常清淡饮食。\n"
    "3. 如有发热或不能按期手术，请提前一天致电病区取消或改期。"
)
_INSTRUCTIONS = {
    "OPH": "术后当天勿揉眼、勿让脏水进入术眼；按时滴眼药；一周内避免剧烈运动和弯腰提重物；如眼痛加剧、视力骤降请立即就诊。",
    "ENT": "术后两周内进温凉软食，忌辛辣和过热食物；保持口腔清洁，多漱口；如有出血（吐出鲜血）请立即就诊。",
    "GS": "保持伤口清洁干燥，按医嘱换药；一个月内避免重体力劳动；如伤口红肿渗液、发热超过 38.5℃ 请及时复诊。",
    "ORTH": "患肢抬高，按康复计划活动；注意观察肢端血运和感觉；如肿胀加重、麻木或剧痛请立即就诊。",
    "GYN": "术后两周内禁止盆浴和同房；少量阴道出血属正常，出血多于月经量或发热请立即就诊。",
    "URO": "术后多饮水（每日 2000 毫升以上）；留置导管期间保持通畅；如尿中血块增多、排尿困难或发热请及时就诊。",
}


def test_package_for(procedure):
    """A realistic pre-operative package for a procedure: the routine work-up plus specialty and procedure items."""
    items = list(_BASE)
    if set(procedure.anaesthesia_methods) & _WIDE or procedure.grade >= 3:
        items.append(_CHEST)
    if procedure.grade >= 3:
        items.append(_BLOOD_GROUP)
    department = procedure.department.code if procedure.department_id else ""
    items += _BY_DEPARTMENT.get(department, ())
    items += _BY_PROCEDURE.get(procedure.code, ())
    seen, out = set(), []
    for code, name, kind in items:
        if code not in seen:
            seen.add(code)
            out.append({"code": code, "name": name, "kind": kind})
    return out


def seed_catalog_extras(hospital, *, admitted_per_procedure=2, admitted_procedures=6):
    """Fill the demo hospital's procedures' test packages, notice text and patient instructions where blank, and
    admit a few doctors of their department to the first `admitted_procedures` grade 3+ procedures."""
    procedures = list(
        Procedure.objects.filter(department__hospital=hospital).select_related("department").order_by("code")
    )
    counts = {"test_packages": 0, "texts": 0, "admitted": 0}
    for procedure in procedures:
        if not procedure.test_package_items.exists():
            procedure_set_test_package(actor=None, procedure=procedure, items=test_package_for(procedure))
            counts["test_packages"] += 1
        changes = {}
        if not procedure.notice_text:
            only_local = procedure.anaesthesia_methods and set(procedure.anaesthesia_methods) <= {"local"}
            changes["notice_text"] = _LOCAL_NOTICE if only_local else NOTICE
        if not procedure.patient_instructions and procedure.department.code in _INSTRUCTIONS:
            changes["patient_instructions"] = _INSTRUCTIONS[procedure.department.code]
        if changes:
            procedure_update(actor=None, procedure=procedure, **changes)
            counts["texts"] += 1

    for procedure in [p for p in procedures if p.grade >= 3][:admitted_procedures]:
        if procedure.doctor_links.exists():
            continue
        doctors = list(
            User.objects.filter(department=procedure.department, roles__slug=RoleSlug.DOCTOR, is_active=True,
                                is_virtual=False).order_by("employee_no", "id")[:admitted_per_procedure]
        )
        if doctors:
            procedure_set_admitted_doctors(actor=None, procedure=procedure, doctors=doctors)
            counts["admitted"] += 1
    return counts
