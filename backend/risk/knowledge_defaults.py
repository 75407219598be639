"""The built-in knowledge base (A1, A7): version 1 of every hospital, which its staff then copy and edit.

Data, not code: each adverse event × level → monitoring, drugs, minimum anaesthetist seniority, equipment,
disposition and advice, written in Chinese for the clinic. The content follows common practice (ASA difficult
airway algorithm, SAMBA OSA consensus, the Fourth Consensus Guidelines on PONV, ACC/AHA and CCS perioperative
cardiac guidance, Caprini prophylaxis bands); every hospital must review it before clinical use — it is a
starting point, which is why the published version records who published it.

`unknown` is the plan when the models of an event lack inputs: for events that gate safety (cardiac, airway,
OSA, mortality, sedation hypoxaemia) the answer is "further assessment" until the data are complete.
"""

STD = "标准监测（心电图、无创血压、脉搏血氧饱和度）"
ETCO2 = "呼气末二氧化碳监测"
CONT_SPO2 = "术后持续脉搏血氧饱和度监测"
TOF = "肌松监测（TOF）"
SUGAMMADEX = "舒更葡糖（罗库溴铵拮抗，备用）"
MULTIMODAL = "多模式镇痛（对乙酰氨基酚、NSAIDs、局部浸润或神经阻滞），减少阿片类用量"

EVENT_LABELS_ZH = {
    "mi_cardiac_arrest": "心肌梗死/心脏骤停",
    "pneumonia": "术后肺炎",
    "pulmonary_complications": "术后肺部并发症",
    "ponv": "术后恶心呕吐（PONV）",
    "pdnv": "出院后恶心呕吐（PDNV）",
    "osa": "阻塞性睡眠呼吸暂停（OSA）",
    "difficult_airway": "困难气道",
    "vte": "静脉血栓栓塞（VTE）",
    "sedation_hypoxaemia": "镇静相关低氧血症",
    "mortality_30d": "30天死亡",
    "postoperative_morbidity": "术后并发症",
    "respiratory_failure": "术后呼吸衰竭",
    "ards": "急性呼吸窘迫综合征（ARDS）",
    "sepsis": "脓毒症",
    "shock": "休克",
}

# The models of each event in the order that names the primary one (the first that returned a result).
EVENT_MODELS = {
    "mi_cardiac_arrest": ("gupta_mica", "rcri"),
    "pneumonia": ("gupta_pneumonia", "arozullah_pneumonia"),
    "pulmonary_complications": ("ariscat",),
    "ponv": ("apfel_ponv",),
    "pdnv": ("apfel_pdnv",),
    "osa": ("stop_bang",),
    "difficult_airway": ("el_ganzouri",),
    "vte": ("caprini",),
    "sedation_hypoxaemia": ("geng_2018",),
    "mortality_30d": ("sort",),
    "postoperative_morbidity": ("sort_morbidity",),
    "respiratory_failure": ("gupta_prf", "arozullah_prf"),
    "ards": ("lips",),
    "sepsis": ("sepsis_screen",),
    "shock": ("shock_screen",),
}
EVENTS = tuple(EVENT_LABELS_ZH)
LEVELS = ("low", "intermediate", "high", "unknown")
RESULT_LEVELS = ("low", "intermediate", "high")  # ordered: the event's level is the highest of its models

LEVEL_LABELS_ZH = {"low": "低危", "intermediate": "中危", "high": "高危", "unknown": "资料不足"}
SENIORITIES = ("resident", "attending", "associate_chief", "chief")
SENIORITY_LABELS_ZH = {
    "resident": "住院医师及以上",
    "attending": "主治医师及以上",
    "associate_chief": "副主任医师及以上",
    "chief": "主任医师",
}
DISPOSITIONS = ("can_book", "refer", "not_suitable")
DISPOSITION_LABELS_ZH = {
    "can_book": "可预约日间手术",
    "refer": "建议转诊/进一步评估",
    "not_suitable": "不适合日间手术",
}


def _plan(monitoring=(), drugs=(), seniority="resident", equipment=(), disposition="can_book", advice=""):
    return {
        "monitoring": list(monitoring), "drugs": list(drugs), "seniority": seniority,
        "equipment": list(equipment), "disposition": disposition, "advice": advice,
    }


DEFAULT_PLANS = {
    "mi_cardiac_arrest": {
        "low": _plan([STD]),
        "intermediate": _plan(
            [STD, "五导联心电图ST段监测", "术前12导联心电图"],
            ["长期服用的β受体阻滞剂、他汀类药物术日继续服用", "血管活性药备用（去氧肾上腺素、麻黄碱）"],
            "attending", ["除颤仪"],
            advice="心血管风险升高：复核心功能与用药，维持血压与心率平稳，避免低血压和心动过速；"
                   "必要时术前检测BNP/NT-proBNP。",
        ),
        "high": _plan(
            [STD, "五导联心电图ST段监测", "有创动脉血压监测", "术后肌钙蛋白监测"],
            ["长期服用的β受体阻滞剂、他汀类药物继续服用", "去甲肾上腺素、艾司洛尔备用", "硝酸甘油备用"],
            "associate_chief", ["除颤仪", "有创动脉压监测套件"], "refer",
            "围术期心肌梗死/心脏骤停高风险：建议心内科会诊及进一步心功能评估（超声心动图、BNP），"
            "优化后再决定手术方式与场所。",
        ),
        "unknown": _plan(
            [STD], seniority="attending", disposition="refer",
            advice="心脏风险评估资料不足（如ASA分级、功能状态、肌酐、手术类别或RCRI各项）：请补充后重新评估。",
        ),
    },
    "pneumonia": {
        "low": _plan([STD]),
        "intermediate": _plan(
            [STD, "术后体温与呼吸频率观察"], [], "attending", ["激励式肺量计"],
            advice="术前至少戒烟；术后鼓励深呼吸、有效咳嗽和早期下床活动；注意防止误吸。",
        ),
        "high": _plan(
            [STD, ETCO2, CONT_SPO2], ["慢阻肺患者围术期继续吸入支气管扩张剂", MULTIMODAL],
            "attending", ["激励式肺量计", "吸引装置"], "refer",
            "术后肺炎高风险：建议呼吸科评估并优化肺功能（控制感染、戒烟、支气管扩张剂），考虑住院手术。",
        ),
        "unknown": _plan(
            [STD], advice="术后肺炎风险资料不足（如年龄、ASA分级、慢阻肺、吸烟、功能状态、手术类别）。",
        ),
    },
    "pulmonary_complications": {
        "low": _plan([STD]),
        "intermediate": _plan(
            [STD, ETCO2, TOF], ["短效肌松药，拔管前充分拮抗（舒更葡糖或新斯的明）"], "attending", ["肌松监测仪"],
            advice="肺保护性通气（潮气量6–8 mL/kg理想体重、适当PEEP），确认肌松完全恢复后拔管；术后早期活动。",
        ),
        "high": _plan(
            [STD, ETCO2, TOF, CONT_SPO2], [SUGAMMADEX, MULTIMODAL], "associate_chief",
            ["肌松监测仪", "高流量鼻导管氧疗设备"], "refer",
            "术后肺部并发症高风险：进一步评估肺功能，优先考虑区域麻醉或住院手术；术后持续氧饱和度监测。",
        ),
        "unknown": _plan([STD], advice="肺部并发症评估资料不足（如术前SpO₂、血红蛋白、近1月呼吸道感染、切口部位与手术时长）。"),
    },
    "ponv": {
        "low": _plan([STD], ["有1个危险因素时：地塞米松4–5 mg诱导后静注"],
                     advice="PONV风险低：可不常规预防或单药预防。"),
        "intermediate": _plan(
            [STD, "术后恶心呕吐评分"], ["地塞米松4–5 mg诱导后静注", "5-HT3受体拮抗剂（如昂丹司琼4 mg，手术结束前）"],
            advice="两种不同机制的止吐药联合预防；减少挥发性麻醉药与术后阿片类用量。",
        ),
        "high": _plan(
            [STD, "术后恶心呕吐评分"],
            ["地塞米松4–5 mg诱导后静注", "5-HT3受体拮抗剂（昂丹司琼或帕洛诺司琼）",
             "第三种止吐药：氟哌利多0.625–1.25 mg或东莨菪碱透皮贴", "丙泊酚全凭静脉麻醉（TIVA）"],
            "attending", ["靶控输注泵"],
            advice="PONV高风险：多模式预防（3–4种措施），TIVA、避免氧化亚氮与挥发性麻醉药、减少阿片类；"
                   "补救用药应选择与预防用药不同类别。",
        ),
        "unknown": _plan([STD], advice="PONV评估资料不足（性别、吸烟、PONV或晕动病史、术后阿片类使用）。"),
    },
    "pdnv": {
        "low": _plan(),
        "intermediate": _plan(
            ["离院前评估恶心呕吐"], ["出院带口服止吐药（如昂丹司琼，按需）"],
            advice="告知患者出院后恶心呕吐的处理方法；尽量减少出院带阿片类药物。",
        ),
        "high": _plan(
            ["离院前评估恶心呕吐", "出院后24–48小时电话随访"],
            ["长效止吐预防（地塞米松、帕洛诺司琼或东莨菪碱透皮贴）", "出院带口服止吐药"],
            advice="PDNV高风险：离院标准中须确认无明显恶心呕吐；出院后随访并提供联系电话。",
        ),
        "unknown": _plan(advice="PDNV评估资料不足（性别、年龄、PONV史；PACU阿片类使用与恶心待术后补充）。"),
    },
    "osa": {
        "low": _plan([STD]),
        "intermediate": _plan(
            [STD, ETCO2, CONT_SPO2], ["优先使用短效药物（丙泊酚、瑞芬太尼）", MULTIMODAL], "attending",
            ["口咽/鼻咽通气道"],
            advice="疑似OSA：避免过度镇静，半坐位或侧卧位复苏；离院前确认呼吸空气时SpO₂稳定且无呼吸暂停。",
        ),
        "high": _plan(
            ["持续脉搏血氧饱和度监测", "呼气末二氧化碳监测（镇静时经鼻导管采样）", "PACU延长观察"],
            ["避免长效阿片类药物及苯二氮䓬类", "优先使用短效药物（丙泊酚、瑞芬太尼）", MULTIMODAL],
            "attending", ["可视喉镜", "口咽/鼻咽通气道", "无创正压通气设备（CPAP）"],
            advice="OSA高风险：合并症已优化、术后以非阿片类镇痛为主且能使用CPAP者可考虑日间手术（SAMBA共识）；"
                   "已确诊者携带CPAP入院；离院前须无呼吸暂停与低氧发作，否则转住院观察。",
        ),
        "unknown": _plan([STD], seniority="attending", disposition="refer",
                         advice="OSA筛查资料不足：请完成STOP-Bang问诊（打鼾、日间困倦、目击呼吸暂停、高血压、BMI、年龄、颈围、性别）。"),
    },
    "difficult_airway": {
        "low": _plan([STD], equipment=["常规喉镜与气管导管"]),
        "intermediate": _plan(
            [STD, ETCO2], [SUGAMMADEX], "attending",
            ["可视喉镜", "声门上气道装置（喉罩）", "插管探条"],
            advice="可能存在困难气道：按困难气道流程准备，诱导前充分预给氧，备好第二套通气方案。",
        ),
        "high": _plan(
            [STD, ETCO2],
            [SUGAMMADEX, "清醒插管所需表面麻醉（利多卡因）与镇静药（右美托咪定）"],
            "associate_chief",
            ["可视喉镜", "纤维支气管镜", "二代声门上气道装置", "环甲膜穿刺/切开套件", "困难气道车"], "refer",
            "预测困难气道：由副主任医师及以上制定气道管理方案（必要时清醒纤支镜插管），"
            "在具备完整困难气道设备的手术室实施；评估是否适合日间流程。",
        ),
        "unknown": _plan([STD], seniority="attending", disposition="refer",
                         advice="气道评估资料不足（张口度、甲颏距离、Mallampati分级、颈部活动度、下颌前伸、体重、困难插管史）：请完成气道检查。"),
    },
    "vte": {
        "low": _plan(advice="VTE风险低：术后早期下床活动。"),
        "intermediate": _plan(
            equipment=["间歇充气加压装置（IPC）", "梯度压力弹力袜"],
            advice="VTE中危：机械预防（IPC或弹力袜）联合早期活动。",
        ),
        "high": _plan(
            drugs=["低分子肝素预防（如依诺肝素40 mg皮下每日一次，7–10天；评估出血风险）"], seniority="attending",
            equipment=["间歇充气加压装置（IPC）"],
            advice="VTE高风险：机械预防联合药物预防，出院带药并指导患者注射；Caprini≥9分或既往VTE者"
                   "建议血管外科或血液科评估，延长预防至30天。",
        ),
        "unknown": _plan(advice="VTE评估资料不足：请补充Caprini危险因素。"),
    },
    "sedation_hypoxaemia": {
        "low": _plan([STD, "鼻导管吸氧"]),
        "intermediate": _plan(
            [STD, "经鼻呼气末二氧化碳监测"], ["丙泊酚小剂量分次滴定", "避免阿片类与苯二氮䓬类叠加"], "attending",
            ["带二氧化碳采样的鼻导管", "口咽/鼻咽通气道", "简易呼吸器与面罩"],
            advice="镇静中低氧风险升高：由麻醉医师实施镇静，提高吸氧流量，密切观察呼吸。",
        ),
        "high": _plan(
            [STD, "经鼻呼气末二氧化碳监测", "专人持续监护"],
            ["丙泊酚小剂量分次滴定", "避免阿片类与苯二氮䓬类叠加", "纳洛酮、氟马西尼备用"], "attending",
            ["高流量鼻导管氧疗设备", "鼻咽通气道", "喉罩", "可视喉镜", "简易呼吸器与面罩"],
            advice="镇静低氧高风险（如肥胖、打鼾、高龄）：麻醉医师全程管理，高流量吸氧，备好气道工具；"
                   "合并OSA者考虑气管插管全麻下检查。",
        ),
        "unknown": _plan([STD], seniority="attending", disposition="refer",
                         advice="镇静低氧评估资料不足（年龄、BMI、习惯性打鼾）。"),
    },
    "mortality_30d": {
        "low": _plan([STD]),
        "intermediate": _plan(
            [STD, "术后生命体征延长观察"], seniority="attending",
            advice="预测死亡风险中等：确认合并症已优化，术后延长观察，严格执行离院标准。",
        ),
        "high": _plan(
            [STD, "有创动脉血压监测", "术后高依赖病房监护"], seniority="associate_chief",
            disposition="not_suitable",
            advice="预测30天死亡风险高：不适合日间手术，建议住院手术并进行多学科评估。",
        ),
        "unknown": _plan([STD], seniority="attending", disposition="refer",
                         advice="死亡风险评估资料不足（ASA分级、手术紧急程度、专科与手术等级、肿瘤、年龄）。"),
    },
    "postoperative_morbidity": {
        "low": _plan(),
        "intermediate": _plan(seniority="attending", advice="术后并发症风险中等：做好离院前评估与出院后随访。"),
        "high": _plan(
            [STD, "术后生命体征延长观察"], seniority="attending", disposition="refer",
            advice="术后并发症风险高：评估是否适合日间手术，必要时安排住院观察。",
        ),
        "unknown": _plan(advice="术后并发症评估资料不足。"),
    },
    "respiratory_failure": {
        "low": _plan([STD]),
        "intermediate": _plan(
            [STD, ETCO2, TOF], [SUGAMMADEX], "attending", ["肌松监测仪"],
            advice="术后呼吸衰竭风险升高：肺保护性通气，确认肌松完全恢复后拔管，术后持续氧饱和度监测。",
        ),
        "high": _plan(
            [STD, ETCO2, TOF, "有创动脉血压及血气分析", CONT_SPO2], [SUGAMMADEX, MULTIMODAL], "associate_chief",
            ["无创通气设备", "转入ICU/高依赖病房预案"], "not_suitable",
            "术后呼吸衰竭高风险：不适合日间手术，建议呼吸科评估并在住院条件下手术。",
        ),
        "unknown": _plan(advice="呼吸衰竭评估资料不足（ASA分级、功能状态、脓毒症、急诊、手术类别或白蛋白、尿素）。"),
    },
    "ards": {
        "low": _plan(),
        "intermediate": _plan(
            [STD, ETCO2], ["限制性液体管理"], "attending",
            advice="存在ARDS危险因素：肺保护性通气（小潮气量、适当PEEP），限制性输液。",
        ),
        "high": _plan(
            [STD, ETCO2, "动脉血气分析"], ["肺保护性通气", "限制性液体管理"], "associate_chief",
            disposition="not_suitable",
            advice="ARDS高风险（LIPS>4，提示休克、误吸、脓毒症或肺炎等急性病理状态）：不适合日间手术，先处理原发病。",
        ),
        "unknown": _plan(advice="ARDS评估资料不足。"),
    },
    "sepsis": {
        "low": _plan(),
        "intermediate": _plan(
            [STD, "术后体温、心率、呼吸频率观察"],
            advice="存在脓毒症危险因素（如ASA≥III级、功能依赖、SIRS）：术前排除活动性感染，术后注意感染征象，"
                   "出院指导中告知发热等就诊指征。",
        ),
        "high": _plan(
            [STD, "体温、心率、呼吸频率、乳酸"], seniority="attending", disposition="not_suitable",
            advice="脓毒症筛查阳性：存在感染或全身炎症反应征象，择期日间手术应推迟，先明确并治疗感染。",
        ),
        "unknown": _plan(advice="脓毒症筛查资料不足（体温、心率、呼吸频率、白细胞计数）。"),
    },
    "shock": {
        "low": _plan(),
        "intermediate": _plan(
            [STD, "血压、心率复测（休克指数）"], seniority="attending", disposition="refer",
            advice="存在血流动力学不稳定征象：复测血压心率，查找原因（出血、脱水、心功能）后再评估。",
        ),
        "high": _plan(
            [STD, "有创动脉血压监测", "乳酸"], ["血管活性药备用（去甲肾上腺素）"], "associate_chief",
            disposition="not_suitable",
            advice="休克筛查阳性（如收缩压<90 mmHg或休克指数>1）：不适合日间手术，立即评估处理。",
        ),
        "unknown": _plan(advice="休克筛查资料不足（收缩压、心率）。"),
    },
}
