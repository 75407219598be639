"""The assessment form as data (A2, A9): every captured field, its type, unit, choices, whether the risk models
need it, and a Chinese explanatory note for specialist items.

One definition serves three purposes: the form-schema endpoint (clients draw the form and show the notes), the
draft validation of each section (types and ranges; anaesthesia.validation builds the serializers from here),
and the required-field check before evaluation and conclusion (A9).

Field keys are the risk engine's canonical input names wherever the engine uses the value (see the shared brief,
interface 1), so building the engine inputs is a copy, not a translation.
"""

from dataclasses import dataclass, field

# Field types understood by clients and the validation:
#   decimal / integer (min, max), boolean (None = not yet answered), choice (one of `choices`), multi_choice,
#   text (max_length), system_finding ({status, text}), teeth / eyes / airway_marks (diagram data, see below).


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    type: str
    unit: str = ""
    choices: tuple = ()  # ((value, label_zh), ...)
    min: float | None = None
    max: float | None = None
    decimals: int = 1
    max_length: int = 500
    required_for_risk: bool = False  # A9: evaluate and conclude refuse while it is empty
    required_to_conclude: bool = False  # needed for the decision, not by the risk models
    procedure_types: tuple = ()  # empty = every procedure; else only these ("surgery", "gastroscopy"...)
    note: str = ""  # explanatory note shown beside the item
    widget: str = ""  # a hint for clients: "picture_choice", "diagram", "toggle"...
    engine: bool = True  # the value is a risk-engine input under the same key


@dataclass(frozen=True)
class Section:
    key: str
    label: str
    fields: tuple
    note: str = ""
    diagram: bool = False


YES_NO_NOTE = "请明确选择“是”或“否”；未回答视为未填写。"

ASA_NOTE = (
    "ASA 分级（2020）：Ⅰ级 健康；Ⅱ级 轻度系统性疾病（控制良好的高血压/糖尿病、吸烟、BMI 30–40、妊娠）；"
    "Ⅲ级 严重系统性疾病（控制不佳的糖尿病/高血压、COPD、BMI≥40、起搏器、透析、>3个月的心梗/卒中）；"
    "Ⅳ级 持续威胁生命的系统性疾病（<3个月的心梗/卒中、严重瓣膜病、脓毒症）；Ⅴ级 不手术难以存活。"
    "急诊手术另标“E”。"
)

MALLAMPATI_NOTE = (
    "改良 Mallampati 分级：患者坐位、头居中、最大张口伸舌、不发音。Ⅰ级 可见软腭、咽腭弓、悬雍垂全部及扁桃体窝；"
    "Ⅱ级 可见软腭、悬雍垂；Ⅲ级 仅见软腭及悬雍垂根部；Ⅳ级 仅见硬腭。Ⅲ–Ⅳ级提示喉镜暴露可能困难，"
    "需结合张口度、甲颏距离和颈部活动度综合判断。"
)

SYSTEMS = (
    ("cardiovascular", "心血管系统", "心电图结论、心功能（NYHA）、瓣膜病、心律失常、起搏器等。"),
    ("respiratory", "呼吸系统", "胸片结论、哮喘/COPD、近期上呼吸道感染、活动后气促等。"),
    ("nervous", "神经系统", "卒中史、癫痫、意识状态、神经肌肉疾病等。"),
    ("endocrine", "内分泌/代谢", "糖尿病（血糖控制、用药）、甲状腺功能、肾上腺皮质激素使用等。"),
    ("hepatic", "肝脏", "肝功能（转氨酶、胆红素、白蛋白）、肝硬化、病毒性肝炎等。"),
    ("renal", "肾脏", "肌酐、eGFR、透析、尿量等。"),
    ("haematological", "血液系统", "贫血、凝血功能、抗凝/抗血小板药物、出血史等。"),
    ("other", "其他", "过敏史、妊娠、精神心理、皮肤及穿刺部位等。"),
)
SYSTEM_STATUS = (("normal", "正常"), ("abnormal", "异常"), ("not_examined", "未查"))

TOOTH_STATES = (
    ("missing", "缺失"), ("loose", "松动"), ("crowned", "牙冠/烤瓷"), ("denture", "义齿（活动）"),
    ("implant", "种植牙"), ("caries", "龋齿/残根"), ("protruding", "前突"),
)
PUPIL_REFLEX = (("brisk", "灵敏"), ("sluggish", "迟钝"), ("absent", "消失"))
EYE_MARKS = (
    ("ptosis", "上睑下垂"), ("strabismus", "斜视"), ("cataract", "白内障"), ("glaucoma", "青光眼"),
    ("prosthesis", "义眼"), ("contact_lens", "佩戴隐形眼镜"), ("exophthalmos", "眼球突出"),
)
AIRWAY_REGIONS = (
    ("nose", "鼻/鼻腔"), ("upper_lip", "上唇"), ("lower_lip", "下唇"), ("hard_palate", "硬腭"),
    ("soft_palate", "软腭"), ("uvula", "悬雍垂"), ("tonsils", "扁桃体"), ("tongue", "舌"),
    ("mandible", "下颌"), ("larynx", "喉"), ("trachea", "气管"), ("neck", "颈部"),
)
AIRWAY_MARK_KINDS = (
    ("mass", "肿物"), ("swelling", "肿胀"), ("scar", "瘢痕/放疗后"), ("limited", "活动受限"),
    ("deviation", "偏移"), ("bleeding_risk", "出血风险"), ("other", "其他"),
)

FDI_TEETH = tuple(q * 10 + n for q in (1, 2, 3, 4) for n in range(1, 9))

SECTIONS = (
    Section("body", "身高体重", (
        Field("height_cm", "身高", "decimal", "cm", min=50, max=250, required_for_risk=True,
              note="赤足站立测量；无法站立者可用卧位身长。用于计算 BMI。"),
        Field("weight_kg", "体重", "decimal", "kg", min=2, max=400, required_for_risk=True,
              note="空腹、着单衣称重。BMI = 体重(kg) / 身高(m)²，由系统计算。"),
    )),
    Section("vitals", "生命体征", (
        Field("systolic_bp", "收缩压", "integer", "mmHg", min=40, max=300, required_for_risk=True,
              note="静息 5 分钟后测量；两次测量取平均。"),
        Field("diastolic_bp", "舒张压", "integer", "mmHg", min=20, max=200, required_for_risk=True),
        Field("heart_rate", "心率", "integer", "次/分", min=20, max=250, required_for_risk=True),
        Field("respiratory_rate", "呼吸频率", "integer", "次/分", min=4, max=80),
        Field("temperature_c", "体温", "decimal", "℃", min=30, max=43),
        Field("spo2_pct", "脉搏血氧饱和度", "integer", "%", min=50, max=100, required_for_risk=True,
              note="未吸氧状态下静息测量（ARISCAT 以 SpO₂ ≤90%、91–95% 分层）。"),
    )),
    Section("status", "一般状况", (
        Field("asa_class", "ASA 分级", "choice",
              choices=((1, "Ⅰ级"), (2, "Ⅱ级"), (3, "Ⅲ级"), (4, "Ⅳ级"), (5, "Ⅴ级")),
              required_for_risk=True, note=ASA_NOTE),
        Field("emergency", "急诊（E）", "boolean", required_for_risk=True, note="需在 24 小时内完成的急诊手术标记为 E。"),
        Field("functional_status", "功能状态", "choice", choices=(
            ("independent", "完全自理"), ("partially_dependent", "部分依赖"), ("totally_dependent", "完全依赖")),
            required_for_risk=True,
            note="术前 30 天内日常生活活动（进食、穿衣、如厕、行走）是否需要他人协助。"),
        Field("smoker_current", "吸烟（近 1 年内）", "boolean", required_for_risk=True, note=YES_NO_NOTE),
        Field("alcohol_gt2_drinks_day", "饮酒（每日 >2 标准杯）", "boolean", required_for_risk=True,
              procedure_types=("surgery",), note="一标准杯约含酒精 10 g（啤酒 250 ml / 葡萄酒 100 ml / 白酒 25 ml）。"),
        Field("alcohol_abuse", "酒精滥用", "boolean", required_for_risk=True, procedure_types=("surgery",),
              note="符合酒精使用障碍或长期大量饮酒（LIPS 危险因素）。"),
        Field("sepsis_status", "术前感染状态", "choice", choices=(
            ("none", "无"), ("sirs", "SIRS"), ("sepsis", "脓毒症"), ("septic_shock", "脓毒性休克")),
            required_for_risk=True,
            note="SIRS：体温 >38℃ 或 <36℃、心率 >90、呼吸 >20 或 PaCO₂ <32 mmHg、白细胞 >12 或 <4 ×10⁹/L 中满足两项；"
                 "脓毒症：感染 + 器官功能障碍。日间手术患者通常为“无”。"),
    )),
    Section("history", "病史", (
        Field("hypertension", "高血压", "boolean", required_for_risk=True, note=YES_NO_NOTE),
        Field("ischaemic_heart_disease", "缺血性心脏病", "boolean", required_for_risk=True,
              note="心梗史、心绞痛、冠脉介入/搭桥史、运动试验阳性或使用硝酸酯类药物。"),
        Field("heart_failure", "心力衰竭", "boolean", required_for_risk=True,
              note="心衰病史、夜间阵发性呼吸困难、肺部啰音、S3 奔马律或胸片肺血管再分布。"),
        Field("cerebrovascular_disease", "脑血管疾病", "boolean", required_for_risk=True,
              note="卒中或短暂性脑缺血发作（TIA）病史。"),
        Field("diabetes", "糖尿病", "boolean", required_for_risk=True),
        Field("insulin_treatment", "胰岛素治疗", "boolean", required_for_risk=True,
              note="术前使用胰岛素（RCRI 危险因素）。"),
        Field("copd", "慢性阻塞性肺疾病", "boolean", required_for_risk=True),
        Field("respiratory_infection_last_month", "近 1 个月呼吸道感染", "boolean", required_for_risk=True,
              note="近 1 个月内上/下呼吸道感染并使用抗生素（ARISCAT）。"),
        Field("cancer", "恶性肿瘤", "boolean", required_for_risk=True,
              note="现患或既往恶性肿瘤（SORT 模型；内镜检查同样需要）。"),
        Field("weight_loss_gt10pct", "6 个月内体重下降 >10%", "boolean", required_for_risk=True,
              procedure_types=("surgery",)),
        Field("impaired_sensorium", "意识障碍", "boolean", required_for_risk=True, procedure_types=("surgery",),
              note="术前 2 周内新发的意识模糊或谵妄。"),
        Field("chronic_steroids", "长期使用糖皮质激素", "boolean", required_for_risk=True, procedure_types=("surgery",),
              note="因慢性疾病长期口服或静脉使用糖皮质激素（不含外用、吸入）。"),
        Field("transfusion_gt4_units", "术前 72 小时输血 >4 单位", "boolean", required_for_risk=True,
              procedure_types=("surgery",)),
        Field("caprini_factors", "VTE 危险因素（Caprini）", "multi_choice", procedure_types=("surgery",),
              required_for_risk=True,
              note="勾选患者存在的 Caprini 危险因素（无则提交空列表）；年龄、BMI 和手术类型由系统自动计入。"),
        Field("shock", "休克", "boolean", note="术前存在休克（LIPS、休克筛查）。"),
        Field("aspiration", "误吸", "boolean", note="已发生误吸或误吸高危（LIPS）。"),
        Field("pneumonia", "肺炎", "boolean"),
        Field("chemotherapy", "近期化疗", "boolean"),
        Field("allergies", "过敏史", "text", max_length=500, engine=False),
        Field("medications", "长期用药", "text", max_length=1000, engine=False,
              note="重点记录抗凝/抗血小板药、降糖药、降压药（ACEI/ARB）、GLP-1 受体激动剂等需术前调整的药物。"),
        Field("previous_anaesthesia", "既往麻醉史", "text", max_length=500, engine=False),
    )),
    Section("osa", "阻塞性睡眠呼吸暂停（STOP-Bang）", (
        Field("snoring", "打鼾（响亮，隔门可闻）", "boolean", required_for_risk=True,
              note="S：打鼾声音是否大到隔着关闭的门也能听到。"),
        Field("tired_daytime", "白天疲倦嗜睡", "boolean", required_for_risk=True,
              note="T：白天是否经常感到疲倦、乏力或嗜睡。"),
        Field("observed_apnoea", "他人观察到睡眠中呼吸暂停", "boolean", required_for_risk=True,
              note="O：是否有人观察到睡眠时呼吸停止或憋醒。"),
        Field("neck_circumference_cm", "颈围", "decimal", "cm", min=20, max=70, required_for_risk=True,
              note="在甲状软骨（喉结）水平测量颈周长；男性 >43 cm、女性 >41 cm 计 1 分。"),
    ), note="STOP-Bang：P（高血压）取自病史，B（BMI>35）、A（年龄>50）、G（男性）由系统计算。"),
    Section("ponv", "术后恶心呕吐（Apfel）", (
        Field("history_ponv", "既往术后恶心呕吐史", "boolean", required_for_risk=True,
              procedure_types=("surgery",)),
        Field("motion_sickness", "晕动病史", "boolean", required_for_risk=True, procedure_types=("surgery",)),
        Field("postop_opioids", "预计术后使用阿片类药物", "boolean", required_for_risk=True,
              procedure_types=("surgery",)),
    ), note="Apfel 简化评分：女性、不吸烟、PONV/晕动病史、术后阿片类药物各计 1 分。"),
    Section("airway", "气道评估", (
        Field("mallampati", "Mallampati 分级", "choice", choices=((1, "Ⅰ级"), (2, "Ⅱ级"), (3, "Ⅲ级"), (4, "Ⅳ级")),
              required_for_risk=True, note=MALLAMPATI_NOTE, widget="picture_choice"),
        Field("mouth_opening_cm", "张口度", "decimal", "cm", min=0, max=8, required_for_risk=True,
              note="最大张口时上下切牙间距离；<3 cm（约两横指）提示置入喉镜困难，El-Ganzouri 指数 <4 cm 计 1 分。"),
        Field("thyromental_distance_cm", "甲颏距离", "decimal", "cm", min=0, max=15, required_for_risk=True,
              note="头部完全后仰、闭口时，甲状软骨切迹至下颏骨性突起的直线距离；<6 cm（约三横指）提示喉镜暴露困难。"),
        Field("neck_movement_deg", "颈部活动度", "integer", "°", min=0, max=180, required_for_risk=True,
              note="头颈最大屈曲至最大后仰的角度范围；>90° 正常，80–90° 计 1 分，<80° 计 2 分（El-Ganzouri）。"),
        Field("can_prognath", "下颌能否前伸", "boolean", required_for_risk=True,
              note="下切牙能否前伸超过上切牙（下颌前伸试验）；不能前伸提示面罩通气及插管困难。"),
        Field("difficult_intubation_history", "困难插管史", "choice", choices=(
            ("none", "无"), ("questionable", "可疑"), ("definite", "明确")), required_for_risk=True,
            note="查阅既往麻醉记录；明确困难插管史是最强的困难气道预测因素。"),
        Field("beard", "胡须浓密", "boolean", engine=False, note="影响面罩密闭，提示面罩通气困难。"),
    )),
    Section("labs", "检验结果", (
        Field("creatinine_umol_l", "肌酐", "decimal", "μmol/L", min=5, max=3000, required_for_risk=True,
              note="RCRI 以肌酐 >177 μmol/L（2 mg/dL）计 1 分；Gupta MICA 以 >133 μmol/L（1.5 mg/dL）分层。"),
        Field("haemoglobin_g_l", "血红蛋白", "decimal", "g/L", min=10, max=260, required_for_risk=True,
              procedure_types=("surgery",), note="ARISCAT 以 Hb ≤100 g/L 计为术前贫血。"),
        Field("urea_mmol_l", "尿素", "decimal", "mmol/L", min=0.1, max=100),
        Field("albumin_g_l", "白蛋白", "decimal", "g/L", min=5, max=70),
        Field("wbc_10e9_l", "白细胞计数", "decimal", "×10⁹/L", min=0, max=500),
        Field("platelets_10e9_l", "血小板计数", "decimal", "×10⁹/L", min=0, max=3000, decimals=0),
        Field("potassium_mmol_l", "钾", "decimal", "mmol/L", min=1, max=10, decimals=2),
        Field("glucose_mmol_l", "葡萄糖", "decimal", "mmol/L", min=0.5, max=60),
        Field("inr", "国际标准化比值（INR）", "decimal", min=0.5, max=15, decimals=2),
    ), note="可由“自动填充”从本次就诊的检验结果按映射规则填入，也可手工录入。"),
    Section("systems", "各系统检查", tuple(
        Field(key, label, "system_finding", required_to_conclude=True, engine=False, note=note)
        for key, label, note in SYSTEMS
    ), note="每个系统选择“正常/异常/未查”；选择异常时须填写描述。"),
    Section("teeth", "牙齿", (
        Field("teeth", "牙位图", "teeth", engine=False, widget="diagram",
              note="FDI 两位数牙位：第一位为象限（1 右上、2 左上、3 左下、4 右下），第二位为中切牙起算的牙序 1–8。"
                   "标记缺失、松动、牙冠、义齿、种植牙等；松动牙和上前牙修复体在插管时有脱落、损伤风险。"),
        Field("note", "牙齿备注", "text", max_length=300, engine=False),
    ), diagram=True),
    Section("eyes", "眼", (
        Field("eyes", "眼部示意", "eyes", engine=False, widget="diagram",
              note="分别记录左、右眼瞳孔直径（mm，正常 2–5 mm）、对光反射及特殊情况；术前基线用于术中、术后比较。"),
    ), diagram=True),
    Section("airway_marks", "气道示意", (
        Field("marks", "气道部位标记", "airway_marks", engine=False, widget="diagram",
              note="在气道示意图的命名部位上标记肿物、肿胀、瘢痕/放疗后、活动受限等异常。"),
    ), diagram=True),
    Section("plan", "麻醉计划", (
        Field("anaesthesia_plan", "麻醉方式", "choice", choices=(), required_to_conclude=True, engine=False,
              note="麻醉医师的决定；全身麻醉时系统将“全身麻醉”计入风险模型。"),
        Field("plan_note", "麻醉计划说明", "text", max_length=2000, engine=False),
    )),
)


def _plan_choices():
    from anaesthesia.models import AnaesthesiaPlan

    labels = {
        "general_lma": "全身麻醉（喉罩）",
        "general_ett": "全身麻醉（气管插管）",
        "mac_sedation": "监护麻醉/静脉镇静",
        "neuraxial": "椎管内麻醉",
        "nerve_block": "神经阻滞",
        "local_monitored": "局部麻醉+监护",
        "general_plus_block": "全身麻醉复合神经阻滞",
    }
    return tuple((value, labels[value]) for value in AnaesthesiaPlan.values)




def plan_label(value) -> str:
    return dict(_plan_choices()).get(value, "")


SECTION_BY_KEY = {s.key: s for s in SECTIONS}


def field_choices(f: Field) -> tuple:
    if f.key == "anaesthesia_plan":
        return _plan_choices()
    return f.choices


def applies(f: Field, procedure_type: str) -> bool:
    return not f.procedure_types or procedure_type in f.procedure_types


def iter_fields():
    for section in SECTIONS:
        for f in section.fields:
            yield section, f


ENGINE_FIELDS = tuple((s.key, f.key) for s, f in iter_fields() if f.engine)


@dataclass(frozen=True)
class Diagram:
    """The diagram vocabularies, served with the schema so clients draw exactly what the server accepts."""

    teeth: tuple = FDI_TEETH
    tooth_states: tuple = TOOTH_STATES
    pupil_reflex: tuple = PUPIL_REFLEX
    eye_marks: tuple = EYE_MARKS
    airway_regions: tuple = AIRWAY_REGIONS
    airway_mark_kinds: tuple = AIRWAY_MARK_KINDS
    system_status: tuple = SYSTEM_STATUS
    extra: dict = field(default_factory=dict)


def _choice_rows(pairs):
    return [{"value": v, "label": label} for v, label in pairs]


def form_schema(procedure_type: str | None = None) -> dict:
    """The form as JSON for clients: sections → fields with notes; `procedure_type` narrows the required flags."""
    sections = []
    for section in SECTIONS:
        fields = []
        for f in section.fields:
            applicable = procedure_type is None or applies(f, procedure_type)
            fields.append({
                "key": f.key, "path": f"{section.key}.{f.key}", "label": f.label, "type": f.type, "unit": f.unit,
                "choices": _choice_rows(field_choices(f)), "min": f.min, "max": f.max,
                "decimals": f.decimals if f.type == "decimal" else None,
                "max_length": f.max_length if f.type == "text" else None,
                "required_for_risk": f.required_for_risk and applicable,
                "required_to_conclude": (f.required_for_risk or f.required_to_conclude) and applicable,
                "applies_to": list(f.procedure_types) or ["surgery", "gastroscopy", "colonoscopy", "bronchoscopy"],
                "note": f.note, "widget": f.widget,
            })
        sections.append({"key": section.key, "label": section.label, "note": section.note,
                         "diagram": section.diagram, "fields": fields})
    d = Diagram()
    return {
        "sections": sections,
        "diagrams": {
            "teeth": {"numbers": list(d.teeth), "states": _choice_rows(d.tooth_states)},
            "eyes": {"sides": _choice_rows((("left", "左眼"), ("right", "右眼"))),
                     "pupil_mm": {"min": 1, "max": 9, "decimals": 1},
                     "light_reflex": _choice_rows(d.pupil_reflex), "marks": _choice_rows(d.eye_marks)},
            "airway": {"regions": _choice_rows(d.airway_regions), "kinds": _choice_rows(d.airway_mark_kinds),
                       "mallampati_pictures": [{"value": n, "image": f"mallampati-{n}"} for n in (1, 2, 3, 4)]},
            "system_status": _choice_rows(d.system_status),
        },
    }
