"""The deterministic synthetic hospital: patients, visits, labs, reports, staff roster, procedure catalogue.

Everything is generated from one seed with `random.Random`, so two simulators started with the same seed and
anchor date serve identical data (dates are relative to the anchor date, which defaults to today so the demo
always shows recent visits). No Django here: the simulator is a separate service.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

CST = timezone(timedelta(hours=8), "Asia/Shanghai")
DEFAULT_SEED = 20240601
# The WeChat Pay merchant key the simulator signs with; the platform's demo settings use the same default.
PAY_KEY = "simulator-pay-key-0123456789abcdef"

# Departments of the demo hospital. The demo seeding (org) creates departments with these codes so that
# roster entries and HIS visits land in real departments.
DEPARTMENTS = {
    "GS": "普外科",
    "ORTH": "骨科",
    "OPH": "眼科",
    "ENT": "耳鼻喉科",
    "GYN": "妇科",
    "URO": "泌尿外科",
    "ANES": "麻醉科",
    "DSC": "日间手术中心",
}
SURGICAL_DEPARTMENTS = ("GS", "ORTH", "OPH", "ENT", "GYN", "URO")

# --- resident ID numbers (GB 11643-1999) -------------------------------------------------------------------
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def id_check_char(first17: str) -> str:
    """MOD 11-2 check character; duplicated from core.identity because the simulator must not import Django."""
    return _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def make_id_number(region: str, birth: date, serial: int, sex: str) -> str:
    serial = serial - serial % 2 + (1 if sex == "M" else 0)  # 17th digit: odd = male, even = female
    serial = serial % 1000
    first17 = f"{region}{birth:%Y%m%d}{serial:03d}"
    return first17 + id_check_char(first17)


# --- name material --------------------------------------------------------------------------------------
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
_GIVEN_M = "伟强磊军洋勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆峰亮成建国志海文博"
_GIVEN_F = "芳娜敏静丽艳娟霞秀英玲桂兰萍红梅琳雪莉婷慧颖倩洁琴云蓉晶燕丹"
_REGIONS = ("110105", "110108", "310104", "310115", "440106", "510107", "330106", "420106", "320102", "500103")


def _name(rng: random.Random, sex: str) -> str:
    pool = _GIVEN_M if sex == "M" else _GIVEN_F
    given = rng.choice(pool) + (rng.choice(pool) if rng.random() < 0.7 else "")
    return rng.choice(_SURNAMES) + given


# --- reference tables -------------------------------------------------------------------------------------
# (ICD-9-CM-3 code, name, grade 1–4, incision class "0"/"I"/"II"/"III", department). Incision classes follow
# the Chinese definition (0类: no body-surface incision, including endoscopic routes).
PROCEDURES = (
    ("13.41", "白内障超声乳化抽吸术", 3, "I", "OPH"),
    ("13.71", "人工晶体一期置入术", 3, "I", "OPH"),
    ("12.64", "小梁切除术", 3, "I", "OPH"),
    ("11.39", "翼状胬肉切除术", 2, "I", "OPH"),
    ("08.21", "睑板腺囊肿切除术", 1, "I", "OPH"),
    ("15.11", "眼外肌后徙术", 2, "I", "OPH"),
    ("14.74", "玻璃体切除术", 4, "I", "OPH"),
    ("09.81", "泪囊鼻腔吻合术", 3, "II", "OPH"),
    ("08.72", "眼睑病损切除术", 1, "I", "OPH"),
    ("28.2", "扁桃体切除术", 2, "II", "ENT"),
    ("28.3", "扁桃体伴腺样体切除术", 3, "II", "ENT"),
    ("28.6", "腺样体切除术", 2, "II", "ENT"),
    ("21.31", "鼻内镜下鼻息肉切除术", 2, "0", "ENT"),
    ("21.5", "鼻中隔黏膜下切除术", 3, "0", "ENT"),
    ("22.63", "鼻内镜下筛窦切除术", 3, "0", "ENT"),
    ("30.09", "支撑喉镜下声带息肉切除术", 2, "0", "ENT"),
    ("20.01", "鼓膜切开置管术", 1, "0", "ENT"),
    ("19.4", "鼓膜修补术", 3, "I", "ENT"),
    ("21.69", "下鼻甲部分切除术", 2, "0", "ENT"),
    ("53.04", "单侧腹股沟斜疝无张力修补术", 3, "I", "GS"),
    ("53.02", "单侧腹股沟斜疝修补术", 2, "I", "GS"),
    ("17.11", "腹腔镜单侧腹股沟直疝修补术", 3, "0", "GS"),
    ("51.23", "腹腔镜胆囊切除术", 3, "II", "GS"),
    ("86.3", "皮肤病损切除术", 1, "I", "GS"),
    ("86.4", "皮肤病损根治性切除术", 2, "I", "GS"),
    ("85.21", "乳腺病损局部切除术", 2, "I", "GS"),
    ("85.12", "乳腺开放性活检术", 1, "I", "GS"),
    ("06.2", "单侧甲状腺叶切除术", 3, "I", "GS"),
    ("06.31", "甲状腺病损切除术", 3, "I", "GS"),
    ("49.46", "痔切除术", 2, "II", "GS"),
    ("49.12", "肛瘘切除术", 2, "III", "GS"),
    ("49.01", "肛周脓肿切开引流术", 1, "III", "GS"),
    ("45.42", "结肠镜下结肠息肉切除术", 2, "0", "GS"),
    ("43.41", "内镜下胃病损切除术", 3, "0", "GS"),
    ("38.59", "下肢静脉曲张高位结扎剥脱术", 2, "I", "GS"),
    ("40.11", "淋巴结活检术", 1, "I", "GS"),
    ("80.6", "关节镜下膝关节半月板部分切除术", 3, "0", "ORTH"),
    ("80.26", "膝关节镜检查", 2, "0", "ORTH"),
    ("83.63", "关节镜下肩袖修补术", 3, "0", "ORTH"),
    ("78.63", "尺桡骨内固定装置去除术", 2, "I", "ORTH"),
    ("78.65", "股骨内固定装置去除术", 2, "I", "ORTH"),
    ("78.67", "胫腓骨内固定装置去除术", 2, "I", "ORTH"),
    ("82.01", "手部腱鞘切开松解术", 1, "I", "ORTH"),
    ("04.43", "腕管松解术", 2, "I", "ORTH"),
    ("83.31", "腱鞘囊肿切除术", 1, "I", "ORTH"),
    ("77.59", "拇外翻矫正术", 3, "I", "ORTH"),
    ("68.12", "宫腔镜检查", 1, "0", "GYN"),
    ("68.29", "宫腔镜下子宫内膜息肉切除术", 2, "0", "GYN"),
    ("69.09", "诊断性刮宫术", 1, "0", "GYN"),
    ("67.2", "宫颈锥形切除术", 2, "0", "GYN"),
    ("67.32", "宫颈病损电切术", 2, "0", "GYN"),
    ("65.25", "腹腔镜卵巢囊肿剥除术", 3, "0", "GYN"),
    ("71.3", "外阴病损切除术", 1, "II", "GYN"),
    ("71.23", "前庭大腺囊肿造口术", 2, "II", "GYN"),
    ("60.29", "经尿道前列腺电切术", 3, "0", "URO"),
    ("57.49", "经尿道膀胱肿瘤电切术", 3, "0", "URO"),
    ("56.0", "输尿管镜碎石取石术", 3, "0", "URO"),
    ("98.51", "体外冲击波碎石术", 1, "0", "URO"),
    ("59.8", "输尿管支架置入术", 2, "0", "URO"),
    ("97.62", "输尿管支架取出术", 1, "0", "URO"),
    ("64.0", "包皮环切术", 1, "I", "URO"),
    ("63.1", "精索静脉曲张高位结扎术", 2, "I", "URO"),
    ("61.2", "睾丸鞘膜积液切除术", 2, "I", "URO"),
    ("57.32", "膀胱镜检查", 1, "0", "URO"),
)

# What the HIS also says of each catalogue entry: body site (手术部位), typical duration in minutes, and the
# anaesthesia methods usual for it, by the names the HIS uses (our side maps them by name).
GA, SA, NB, MAC, LA = "全身麻醉", "椎管内麻醉", "神经阻滞麻醉", "监护麻醉", "局部麻醉"
PROCEDURE_DETAILS = {
    "13.41": ("眼", 30, (LA, MAC)), "13.71": ("眼", 30, (LA, MAC)), "12.64": ("眼", 60, (LA, MAC)),
    "11.39": ("眼", 30, (LA,)), "08.21": ("眼睑", 15, (LA,)), "15.11": ("眼外肌", 60, (GA, LA)),
    "14.74": ("眼", 90, (NB, GA)), "09.81": ("泪道", 60, (GA, LA)), "08.72": ("眼睑", 20, (LA,)),
    "28.2": ("咽", 45, (GA,)), "28.3": ("咽", 60, (GA,)), "28.6": ("鼻咽", 30, (GA,)),
    "21.31": ("鼻腔", 45, (GA,)), "21.5": ("鼻中隔", 60, (GA,)), "22.63": ("鼻窦", 90, (GA,)),
    "30.09": ("喉", 30, (GA,)), "20.01": ("耳", 20, (GA, LA)), "19.4": ("耳", 60, (GA, LA)),
    "21.69": ("鼻腔", 30, (GA, LA)), "53.04": ("腹股沟", 60, (SA, NB, GA)), "53.02": ("腹股沟", 60, (SA, LA)),
    "17.11": ("腹股沟", 60, (GA,)), "51.23": ("胆囊", 60, (GA,)), "86.3": ("皮肤", 20, (LA,)),
    "86.4": ("皮肤", 40, (LA,)), "85.21": ("乳腺", 40, (LA, GA)), "85.12": ("乳腺", 30, (LA,)),
    "06.2": ("甲状腺", 90, (GA,)), "06.31": ("甲状腺", 90, (GA,)), "49.46": ("肛门", 40, (SA,)),
    "49.12": ("肛门", 40, (SA,)), "49.01": ("肛周", 20, (SA, LA)), "45.42": ("结肠", 40, (MAC,)),
    "43.41": ("胃", 60, (GA, MAC)), "38.59": ("下肢", 90, (SA, GA)), "40.11": ("淋巴结", 30, (LA,)),
    "80.6": ("膝关节", 60, (SA, NB, GA)), "80.26": ("膝关节", 40, (SA, NB)), "83.63": ("肩关节", 120, (GA, NB)),
    "78.63": ("前臂", 60, (NB,)), "78.65": ("大腿", 90, (SA, GA)), "78.67": ("小腿", 60, (SA,)),
    "82.01": ("手", 20, (LA,)), "04.43": ("腕", 30, (NB, LA)), "83.31": ("腕", 20, (LA,)),
    "77.59": ("足", 90, (SA, NB)), "68.12": ("子宫", 20, (MAC,)), "68.29": ("子宫", 30, (MAC, GA)),
    "69.09": ("子宫", 20, (MAC,)), "67.2": ("宫颈", 30, (MAC, SA)), "67.32": ("宫颈", 20, (MAC, LA)),
    "65.25": ("卵巢", 90, (GA,)), "71.3": ("外阴", 30, (LA, SA)), "71.23": ("外阴", 30, (LA,)),
    "60.29": ("前列腺", 90, (SA,)), "57.49": ("膀胱", 60, (SA, GA)), "56.0": ("输尿管", 90, (GA, SA)),
    "98.51": ("肾", 45, (MAC,)), "59.8": ("输尿管", 30, (LA, MAC)), "97.62": ("输尿管", 15, (LA,)),
    "64.0": ("阴茎", 30, (LA,)), "63.1": ("精索", 45, (SA, LA)), "61.2": ("睾丸鞘膜", 45, (SA, LA)),
    "57.32": ("膀胱", 15, (LA,)),
}


@dataclass(frozen=True)
class CatalogueEntry:
    """One procedure as the HIS catalogue serves it."""

    code: str
    name: str
    grade: int
    incision_class: str  # "0" / "I" / "II" / "III"
    department_code: str
    body_site: str = ""
    duration_minutes: int | None = None
    anaesthesia: tuple[str, ...] = ()


def procedure_catalogue() -> dict[str, CatalogueEntry]:
    """The catalogue the HIS starts with, by code (the simulator changes a copy at runtime via /_sim)."""
    out = {}
    for code, name, grade, incision, dept in PROCEDURES:
        site, minutes, anaesthesia = PROCEDURE_DETAILS.get(code, ("", None, ()))
        out[code] = CatalogueEntry(code, name, grade, incision, dept, site, minutes, anaesthesia)
    return out

# ICD-10 outpatient diagnoses per department (code, name).
DIAGNOSES = {
    "OPH": (("H25.9", "老年性白内障"), ("H40.1", "原发性开角型青光眼"), ("H11.0", "翼状胬肉"), ("H00.1", "睑板腺囊肿")),
    "ENT": (("J35.0", "慢性扁桃体炎"), ("J33.9", "鼻息肉"), ("J34.2", "鼻中隔偏曲"), ("J38.1", "声带息肉")),
    "GS": (("K40.9", "单侧腹股沟疝"), ("K80.2", "胆囊结石"), ("D17.9", "脂肪瘤"), ("N60.2", "乳腺纤维腺瘤"),
           ("K64.9", "痔"), ("K60.3", "肛瘘"), ("E04.1", "甲状腺单发结节")),
    "ORTH": (("M23.2", "半月板紊乱"), ("Z47.0", "骨折内固定装置取出"), ("M65.3", "扳机指"), ("G56.0", "腕管综合征"),
             ("M67.4", "腱鞘囊肿")),
    "GYN": (("N84.0", "子宫内膜息肉"), ("N87.1", "宫颈中度异型增生"), ("D27", "卵巢良性肿瘤"), ("N93.9", "异常子宫出血")),
    "URO": (("N40", "前列腺增生"), ("C67.9", "膀胱恶性肿瘤"), ("N20.1", "输尿管结石"), ("N47", "包皮过长"),
            ("I86.1", "精索静脉曲张"), ("N43.3", "鞘膜积液")),
}
_FEMALE_ONLY = {"GYN"}
_MALE_ONLY_DX = {"N40", "N47", "I86.1", "N43.3"}

# Lab items: (LOINC, name, unit, low, high, critical_low, critical_high, decimals). Ranges as printed on
# Chinese pre-operative panels (adult); HGB range is sex-specific.
LAB_PANELS = {
    "CBC": ("血常规", (
        ("6690-2", "白细胞计数", "10^9/L", 3.5, 9.5, 1.0, 30.0, 1),
        ("718-7", "血红蛋白", "g/L", None, None, 50.0, 200.0, 0),
        ("777-3", "血小板计数", "10^9/L", 125.0, 350.0, 30.0, 1000.0, 0),
    )),
    "CHEM": ("生化全项", (
        ("1742-6", "丙氨酸氨基转移酶", "U/L", 9.0, 50.0, None, 1000.0, 0),
        ("2160-0", "肌酐", "μmol/L", 57.0, 111.0, None, 700.0, 0),
        ("2345-7", "葡萄糖", "mmol/L", 3.9, 6.1, 2.8, 22.2, 1),
        ("2823-3", "钾", "mmol/L", 3.5, 5.3, 2.8, 6.2, 2),
    )),
    "COAG": ("凝血四项", (
        ("5902-2", "凝血酶原时间", "s", 9.4, 12.5, None, 30.0, 1),
        ("3173-2", "活化部分凝血活酶时间", "s", 25.1, 36.5, None, 100.0, 1),
        ("6301-6", "国际标准化比值", "", 0.8, 1.2, None, 4.0, 2),
    )),
}
_HGB_RANGE = {"M": (130.0, 175.0), "F": (115.0, 150.0)}
# Urinalysis (尿常规) for every third patient, from an LIS that flags the way many do: text results (阴性/阳性) with a
# flag only when positive, and specific gravity / pH sent without any interpretation (the reader compares with the
# range). Chosen by the patient number, not the random stream, so adding it changed no other generated value.
URINE_PANEL = ("URINE", "尿常规")
URINE_SG = (1.015, 1.035, 1.002, 1.020)  # by (index // 3) % 4: normal, above, below, normal

# 术前四项 (pre-transfusion / pre-operative infectious screening): qualitative results, one report per patient.
# (LOINC, name, positive text, positive rate). Rates are above the Chinese population prevalence so that a
# 200-patient simulator has a few positives of each. Drawn from an rng of its own, seeded from the registration
# number, so the draws of every other generated value are unchanged. TRUST (the RPR-type titre) is positive only
# with a positive TP antibody (a reactive TP-Ab with a negative TRUST is a treated or old infection).
INFECTIOUS_PANEL = ("INFECT", "术前四项")
INFECTIOUS_ITEMS = (
    ("5196-1", "乙型肝炎病毒表面抗原(HBsAg)", "阳性(+)", 0.08),
    ("16128-1", "丙型肝炎病毒抗体(抗-HCV)", "阳性(+)", 0.02),
    ("56888-1", "人类免疫缺陷病毒抗原抗体(HIV Ag/Ab)", "有反应性(待确证)", 0.01),
    ("24110-9", "梅毒螺旋体特异性抗体(TP-Ab)", "阳性(+)", 0.03),
    ("20507-0", "甲苯胺红不加热血清试验(TRUST)", "阳性(1:8)", None),
)
NEGATIVE_TEXT = "阴性(-)"

EXAMS = (
    ("RAD", "CXR", "胸部正位片", "胸部", "双肺纹理清晰，未见明显实变影；心影大小形态正常；双侧膈面光整，肋膈角锐利。",
     "心肺膈未见明显异常。"),
    ("RAD", "US-ABD", "腹部彩超", "肝胆胰脾", "肝脏大小形态正常，实质回声均匀；胆囊壁光滑；胰腺、脾脏未见异常。",
     "肝胆胰脾未见明显异常。"),
    ("RAD", "US-THY", "甲状腺彩超", "甲状腺", "甲状腺右叶见一低回声结节，大小约 8×6 mm，边界清，形态规则，未见钙化。",
     "甲状腺右叶结节，TI-RADS 3类。"),
)
ECG_CONCLUSIONS = (
    ("窦性心律，心率 72 次/分，各波段未见异常。", "窦性心律，正常心电图", False),
    ("窦性心律，心率 56 次/分，PR 间期 0.16 s。", "窦性心动过缓", True),
    ("窦性心律，QRS 时限 0.13 s，V1 导联呈 rsR' 型。", "完全性右束支传导阻滞", True),
    ("窦性心律，II、III、aVF 导联 T 波低平。", "窦性心律，ST-T 改变", True),
)

# Sedated (painless) endoscopy exams of the medical-tech appointment system (A11): (code, name, kind, location).
SEDATION_EXAMS = (
    ("GASTRO-S", "无痛胃镜", "gastroscopy", "内镜中心2层 无痛胃镜室"),
    ("COLON-S", "无痛肠镜", "colonoscopy", "内镜中心2层 无痛肠镜室"),
    ("BRONCH-S", "无痛支气管镜", "bronchoscopy", "内镜中心3层 支气管镜室"),
)
SEDATION_PER_DAY = (5, 6, 7)  # appointments a day: 5–7, drawn per date

FEE_ITEMS = (
    ("250101001", "血细胞分析", "检验", "17.00"),
    ("250301001", "生化全项", "检验", "120.00"),
    ("250203001", "凝血四项", "检验", "80.00"),
    ("210102015", "胸部正位片", "检查", "65.00"),
    ("311201001", "常规心电图检查", "检查", "25.00"),
    ("110200001", "普通门诊诊查费", "诊查", "10.00"),
)

STAFF_TITLES = {
    "doctor": ("主任医师", "副主任医师", "主治医师", "主治医师", "住院医师"),
    "anaesthetist": ("主任医师", "副主任医师", "主治医师", "住院医师"),
    "nurse": ("主任护师", "副主任护师", "主管护师", "护师", "护士"),
    "followup_nurse": ("主管护师", "护师"),
    "hospital_admin": ("科员",),
    "quality_manager": ("质控专员",),
}


# --- records ---------------------------------------------------------------------------------------------
@dataclass
class Patient:
    index: int
    reg_no: str  # 登记号
    outpatient_no: str  # 门诊号
    name: str
    sex: str
    birth_date: date
    id_number: str
    phone: str
    address: str
    visits: list = field(default_factory=list)


@dataclass
class Visit:
    visit_no: str
    reg_no: str
    kind: str
    department_code: str
    doctor_employee_no: str
    started_at: datetime
    diagnoses: list  # [(code, name)]


@dataclass
class LabReport:
    report_no: str
    reg_no: str
    visit_no: str
    panel: str
    name: str
    issued_at: datetime
    items: list  # [dict(code, name, unit, value, low, high, flag)]


@dataclass
class ExamReport:
    report_no: str
    reg_no: str
    visit_no: str
    kind: str  # "RAD" or "ECG"
    code: str
    name: str
    body_site: str
    findings: str
    conclusion: str
    abnormal: bool
    issued_at: datetime


@dataclass
class Staff:
    employee_no: str
    name: str
    sex: str
    id_number: str
    phone: str
    department_code: str
    role: str
    title: str


@dataclass
class Fee:
    fee_no: str
    reg_no: str
    visit_no: str
    code: str
    name: str
    category: str
    quantity: int
    unit_price: str
    occurred_at: datetime


def flag_for(value: float, low, high, crit_low, crit_high) -> str:
    """HL7 table 0078 subset used by Chinese LIS: LL/HH critical, L/H outside range, N normal."""
    if crit_low is not None and value < crit_low:
        return "LL"
    if crit_high is not None and value > crit_high:
        return "HH"
    if low is not None and value < low:
        return "L"
    if high is not None and value > high:
        return "H"
    return "N"


def openid_for(n: str) -> str:
    return "osim" + hashlib.sha1(f"openid:{n}".encode()).hexdigest()[:24]


class Hospital:
    """The whole synthetic hospital, built once per simulator."""

    def __init__(self, *, seed: int = DEFAULT_SEED, anchor: date | None = None, patients: int = 200):
        self.seed = seed
        self.anchor = anchor or datetime.now(CST).date()
        rng = random.Random(seed)
        self.staff = self._make_staff(rng)
        self.procedures = PROCEDURES
        self.patients: list[Patient] = []
        self.visits: dict[str, Visit] = {}
        self.labs: list[LabReport] = []
        self.exams: list[ExamReport] = []
        self.fees: list[Fee] = []
        used_phones = {s.phone for s in self.staff}
        for i in range(1, patients + 1):
            self._make_patient(rng, i, used_phones)

    # -- generation
    def _at(self, days_ago: int, rng: random.Random) -> datetime:
        day = self.anchor - timedelta(days=days_ago)
        return datetime.combine(day, time(8 + rng.randrange(9), rng.randrange(0, 60, 5)), CST)

    def _phone(self, rng, used):
        while True:
            phone = rng.choice(("138", "139", "137", "135", "136", "150", "151", "158", "186", "187")) + \
                f"{rng.randrange(10**8):08d}"
            if phone not in used:
                used.add(phone)
                return phone

    def _make_staff(self, rng: random.Random) -> list[Staff]:
        plan = [(dept, "doctor") for dept in SURGICAL_DEPARTMENTS for _ in range(4)]
        plan += [("ANES", "anaesthetist")] * 5 + [("DSC", "nurse")] * 6 + [("DSC", "followup_nurse")] * 3
        plan += [("DSC", "hospital_admin")] * 2 + [("DSC", "quality_manager")]
        used: set[str] = set()
        staff = []
        for i, (dept, role) in enumerate(plan, start=1):
            sex = "F" if role in ("nurse", "followup_nurse") or rng.random() < 0.35 else "M"
            birth = date(1965 + rng.randrange(30), 1 + rng.randrange(12), 1 + rng.randrange(28))
            staff.append(Staff(
                employee_no=f"E{i:04d}",
                name=_name(rng, sex),
                sex=sex,
                id_number=make_id_number(rng.choice(_REGIONS), birth, rng.randrange(1000), sex),
                phone=self._phone(rng, used),
                department_code=dept,
                role=role,
                title=rng.choice(STAFF_TITLES[role]),
            ))
        return staff

    def doctors(self, dept: str) -> list[Staff]:
        return [s for s in self.staff if s.role == "doctor" and s.department_code == dept]

    def _make_patient(self, rng: random.Random, i: int, used_phones: set[str]) -> None:
        dept = rng.choice(SURGICAL_DEPARTMENTS)
        sex = "F" if dept in _FEMALE_ONLY else rng.choice("MF")
        age = 18 + rng.randrange(65)
        birth = date(self.anchor.year - age, 1 + rng.randrange(12), 1 + rng.randrange(28))
        region = rng.choice(_REGIONS)
        patient = Patient(
            index=i,
            reg_no=f"{1000000 + i:010d}",
            outpatient_no=f"MZ{2400000 + i}",
            name=_name(rng, sex),
            sex=sex,
            birth_date=birth,
            id_number=make_id_number(region, birth, rng.randrange(1000), sex),
            phone=self._phone(rng, used_phones),
            address=f"{rng.choice(('东城区', '海淀区', '浦东新区', '天河区', '武侯区', '西湖区'))}"
                    f"{rng.choice(('和平路', '人民路', '解放路', '中山路', '建设路'))}{1 + rng.randrange(300)}号",
        )
        self.patients.append(patient)
        choices = [d for d in DIAGNOSES[dept] if not (sex == "F" and d[0] in _MALE_ONLY_DX)]
        for v in range(1 + (rng.random() < 0.3)):
            visit_no = f"V{patient.reg_no[-6:]}{v + 1:02d}"
            doctor = rng.choice(self.doctors(dept))
            started = self._at(rng.randrange(3, 60), rng)
            visit = Visit(visit_no, patient.reg_no, "outpatient", dept, doctor.employee_no, started,
                          [rng.choice(choices)])
            patient.visits.append(visit)
            self.visits[visit_no] = visit
        visit = patient.visits[-1]
        issued = visit.started_at + timedelta(hours=3)
        for n, (panel, (panel_name, items)) in enumerate(LAB_PANELS.items(), start=1):
            rows = []
            for code, name, unit, low, high, crit_low, crit_high, decimals in items:
                if code == "718-7":
                    low, high = _HGB_RANGE[sex]
                roll = rng.random()
                span = high - low
                if roll < 0.80:
                    value = low + span * (0.1 + 0.8 * rng.random())
                elif roll < 0.90:
                    value = high + span * (0.05 + 0.3 * rng.random())
                elif roll < 0.97:
                    value = max(low - span * (0.05 + 0.3 * rng.random()), low * 0.5)
                elif crit_low is not None and rng.random() < 0.5:  # an occasional critical value (危急值)
                    value = crit_low * 0.9
                else:
                    value = crit_high * 1.05
                value = round(value, decimals)
                rows.append({"code": code, "name": name, "unit": unit, "value": value, "low": low, "high": high,
                             "flag": flag_for(value, low, high, crit_low, crit_high), "decimals": decimals})
            self.labs.append(LabReport(f"L{patient.reg_no[-6:]}{n:02d}", patient.reg_no, visit.visit_no, panel,
                                       panel_name, issued, rows))
        if i % 3 == 0:
            self.labs.append(self._urinalysis(patient, visit, issued, i))
        self.labs.append(self._infectious_panel(patient, visit, issued))
        exam = EXAMS[0] if rng.random() < 0.7 else rng.choice(EXAMS)
        self.exams.append(ExamReport(f"R{patient.reg_no[-6:]}01", patient.reg_no, visit.visit_no, exam[0], exam[1],
                                     exam[2], exam[3], exam[4], exam[5], exam[1] == "US-THY", issued))
        findings, conclusion, abnormal = ECG_CONCLUSIONS[0] if rng.random() < 0.75 else rng.choice(ECG_CONCLUSIONS)
        self.exams.append(ExamReport(f"E{patient.reg_no[-6:]}01", patient.reg_no, visit.visit_no, "ECG", "ECG12",
                                     "十二导联心电图", "心脏", findings, conclusion, abnormal, issued))
        for n, (code, name, category, price) in enumerate(FEE_ITEMS, start=1):
            self.fees.append(Fee(f"F{visit.visit_no[1:]}{n:02d}", patient.reg_no, visit.visit_no, code, name,
                                 category, 1, price, visit.started_at + timedelta(minutes=30)))

    @staticmethod
    def _urinalysis(patient: Patient, visit: Visit, issued: datetime, i: int) -> LabReport:
        n = i // 3
        positive = n % 5 == 1
        items = [
            {"code": "5811-5", "name": "尿比重", "unit": "", "value": URINE_SG[n % 4], "low": 1.003, "high": 1.030,
             "flag": "", "decimals": 3},
            {"code": "2756-5", "name": "尿酸碱度", "unit": "", "value": 6.0, "low": 4.5, "high": 8.0, "flag": "",
             "decimals": 1},
            {"code": "2888-6", "name": "尿蛋白", "unit": "", "value": "阳性(+)" if positive else "阴性",
             "ref_text": "阴性", "flag": "H" if positive else "N", "text": True},
            {"code": "2350-7", "name": "尿葡萄糖", "unit": "", "value": "阴性", "ref_text": "阴性", "flag": "",
             "text": True},
        ]
        return LabReport(f"L{patient.reg_no[-6:]}{len(LAB_PANELS) + 1:02d}", patient.reg_no, visit.visit_no,
                         URINE_PANEL[0], URINE_PANEL[1], issued + timedelta(minutes=30), items)

    def _infectious_panel(self, patient: Patient, visit: Visit, issued: datetime) -> LabReport:
        """术前四项 as qualitative text results (阴性(-) / 阳性(+)), flagged H only when positive, like many LIS."""
        rng = random.Random(f"{self.seed}:infectious:{patient.reg_no}")
        items = []
        tp_positive = False
        for code, name, positive_text, rate in INFECTIOUS_ITEMS:
            positive = tp_positive and rng.random() < 0.5 if rate is None else rng.random() < rate
            tp_positive = tp_positive or (code == "24110-9" and positive)
            items.append({"code": code, "name": name, "unit": "", "value": positive_text if positive else NEGATIVE_TEXT,
                          "ref_text": "阴性", "flag": "H" if positive else "N", "text": True})
        return LabReport(f"L{patient.reg_no[-6:]}{len(LAB_PANELS) + 2:02d}", patient.reg_no, visit.visit_no,
                         INFECTIOUS_PANEL[0], INFECTIOUS_PANEL[1], issued + timedelta(minutes=45), items)

    def infectious_positive(self) -> dict[str, list[str]]:
        """{item code: [reg_no, ...]} of the positive screening results (tests and the demo pick patients by it)."""
        out: dict[str, list[str]] = {code: [] for code, *_ in INFECTIOUS_ITEMS}
        for report in self.labs:
            if report.panel == INFECTIOUS_PANEL[0]:
                for item in report.items:
                    if item["flag"] == "H":
                        out[item["code"]].append(report.reg_no)
        return out

    def sedation_appointments(self, day: date) -> list[dict]:
        """The sedated endoscopy list of `day`: a pure function of (seed, day), so every call, every restart and
        every test sees the same list. Patients come with the visit holding their labs and reports; GI exams are ordered by general
        surgeons, bronchoscopy by ENT surgeons (the roster has no chest physicians). About one in eight is
        cancelled. Appointment numbers carry the date: SJ<yyyymmdd><nn>."""
        rng = random.Random(f"{self.seed}:sedation:{day.isoformat()}")
        count = rng.choice(SEDATION_PER_DAY)
        patients = rng.sample(self.patients, count)
        start = datetime.combine(day, time(8, 0), CST)
        out = []
        for n, patient in enumerate(patients, start=1):
            code, name, kind, location = rng.choice(SEDATION_EXAMS)
            doctor = rng.choice(self.doctors("ENT" if kind == "bronchoscopy" else "GS"))
            visit = patient.visits[-1]  # the visit whose labs and reports the LIS/PACS hold
            out.append({
                "appointment_no": f"SJ{day:%Y%m%d}{n:02d}", "reg_no": patient.reg_no, "visit_no": visit.visit_no,
                "patient_name": patient.name, "exam_code": code, "exam_name": name, "procedure_kind": kind,
                "scheduled_at": (start + timedelta(minutes=30 * (n - 1))).isoformat(timespec="seconds"),
                "location": location, "ordering_doctor_employee_no": doctor.employee_no,
                "ordering_doctor_name": doctor.name, "status": "cancelled" if rng.random() < 0.125 else "booked",
            })
        return out

    # -- lookups
    def patient_by_reg_no(self, reg_no: str) -> Patient | None:
        return next((p for p in self.patients if p.reg_no == reg_no), None)

    def find_patients(self, *, reg_no=None, id_number=None, phone=None) -> list[Patient]:
        out = self.patients
        if reg_no:
            out = [p for p in out if p.reg_no == reg_no]
        if id_number:
            out = [p for p in out if p.id_number == id_number.upper()]
        if phone:
            out = [p for p in out if p.phone == phone]
        return out

    def find_staff(self, *, id_number=None, phone=None, employee_no=None) -> list[Staff]:
        out = self.staff
        if id_number:
            out = [s for s in out if s.id_number == id_number.upper()]
        if phone:
            out = [s for s in out if s.phone == phone]
        if employee_no:
            out = [s for s in out if s.employee_no == employee_no]
        return out
