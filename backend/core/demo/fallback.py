"""Deterministic local lists used by the demo seed when the hospital simulator's HIS does not answer.

The simulator is the preferred source (its roster makes demo logins match real-name registration); these
lists only keep `seed_demo` working on a machine where the simulator is not running.
"""

import random

from core.identity import id_number_check_char
from integrations.ports.his import HisPatient, HisProcedure, HisStaffMember, Identifier

# (code, name, grade, incision class name, department code) — ICD-9-CM-3 procedures typical of day surgery.
PROCEDURES = [
    ("53.00", "单侧腹股沟疝修补术", 2, "Ⅰ类", "GS"),
    ("53.02", "单侧腹股沟斜疝疝囊高位结扎术", 2, "Ⅰ类", "GS"),
    ("53.04", "单侧腹股沟斜疝无张力修补术", 2, "Ⅰ类", "GS"),
    ("53.41", "脐疝修补术伴补片植入", 2, "Ⅰ类", "GS"),
    ("51.23", "腹腔镜下胆囊切除术", 3, "Ⅱ类", "GS"),
    ("49.46", "痔切除术", 2, "Ⅱ类", "GS"),
    ("49.12", "肛瘘切除术", 2, "Ⅲ类", "GS"),
    ("49.01", "肛周脓肿切开引流术", 1, "Ⅲ类", "GS"),
    ("85.21", "乳腺病损局部切除术", 2, "Ⅰ类", "GS"),
    ("86.3", "皮肤和皮下组织病损局部切除术", 1, "Ⅰ类", "GS"),
    ("86.04", "皮肤和皮下组织切开引流术", 1, "Ⅲ类", "GS"),
    ("06.31", "甲状腺病损切除术", 3, "Ⅰ类", "GS"),
    ("38.59", "下肢静脉曲张高位结扎剥脱术", 2, "Ⅰ类", "GS"),
    ("86.22", "皮肤伤口切除性清创术", 1, "Ⅱ类", "GS"),
    ("40.11", "淋巴结活组织检查", 1, "Ⅰ类", "GS"),
    ("45.42", "内镜下结肠息肉切除术", 2, "0类", "GS"),
    ("43.41", "内镜下胃病损切除术", 3, "0类", "GS"),
    ("86.21", "藏毛窦切除术", 2, "Ⅱ类", "GS"),
    ("80.26", "膝关节镜检查", 2, "Ⅰ类", "ORTH"),
    ("80.6", "膝关节镜下半月板部分切除术", 3, "Ⅰ类", "ORTH"),
    ("81.45", "膝关节交叉韧带修补术", 3, "Ⅰ类", "ORTH"),
    ("78.63", "桡骨内固定装置去除术", 2, "Ⅰ类", "ORTH"),
    ("78.67", "胫腓骨内固定装置去除术", 2, "Ⅰ类", "ORTH"),
    ("82.21", "手部腱鞘囊肿切除术", 1, "Ⅰ类", "ORTH"),
    ("04.43", "腕管松解术", 2, "Ⅰ类", "ORTH"),
    ("82.01", "手腱鞘探查术（扳机指松解）", 1, "Ⅰ类", "ORTH"),
    ("77.56", "拇外翻矫形术", 3, "Ⅰ类", "ORTH"),
    ("83.63", "肩袖修补术", 3, "Ⅰ类", "ORTH"),
    ("13.41", "白内障超声乳化抽吸术", 3, "Ⅰ类", "OPH"),
    ("13.71", "人工晶状体一期植入术", 3, "Ⅰ类", "OPH"),
    ("11.39", "翼状胬肉切除术", 2, "Ⅰ类", "OPH"),
    ("11.32", "翼状胬肉切除伴角膜移植术", 3, "Ⅰ类", "OPH"),
    ("08.20", "眼睑病损切除术", 1, "Ⅰ类", "OPH"),
    ("08.21", "睑板腺囊肿切除术", 1, "Ⅰ类", "OPH"),
    ("15.11", "眼外肌后徙术（斜视矫正）", 3, "Ⅰ类", "OPH"),
    ("14.74", "玻璃体切除术", 4, "Ⅰ类", "OPH"),
    ("09.81", "鼻腔泪囊吻合术", 3, "Ⅱ类", "OPH"),
    ("12.64", "小梁切除术", 3, "Ⅰ类", "OPH"),
    ("28.2", "扁桃体切除术", 2, "Ⅱ类", "ENT"),
    ("28.3", "扁桃体伴腺样体切除术", 2, "Ⅱ类", "ENT"),
    ("28.6", "腺样体切除术", 2, "Ⅱ类", "ENT"),
    ("21.5", "鼻中隔黏膜下切除术", 3, "Ⅱ类", "ENT"),
    ("22.63", "鼻内镜下筛窦切除术", 3, "Ⅱ类", "ENT"),
    ("21.31", "鼻息肉切除术", 2, "Ⅱ类", "ENT"),
    ("30.09", "支撑喉镜下声带息肉切除术", 2, "Ⅱ类", "ENT"),
    ("20.01", "鼓膜切开置管术", 1, "Ⅱ类", "ENT"),
    ("19.4", "鼓膜修补术", 3, "Ⅰ类", "ENT"),
    ("18.21", "耳前瘘管切除术", 1, "Ⅰ类", "ENT"),
    ("68.29", "宫腔镜下子宫内膜病损切除术", 2, "0类", "GYN"),
    ("69.09", "诊断性刮宫术", 1, "0类", "GYN"),
    ("68.12", "宫腔镜检查", 1, "0类", "GYN"),
    ("67.2", "宫颈锥形切除术", 2, "Ⅱ类", "GYN"),
    ("67.32", "宫颈病损电切术（LEEP）", 2, "Ⅱ类", "GYN"),
    ("65.25", "腹腔镜下卵巢病损切除术", 3, "Ⅱ类", "GYN"),
    ("71.3", "外阴病损切除术", 1, "Ⅱ类", "GYN"),
    ("69.51", "负压吸引人工流产术", 1, "0类", "GYN"),
    ("71.23", "前庭大腺囊肿造口术", 1, "Ⅲ类", "GYN"),
    ("64.0", "包皮环切术", 1, "Ⅱ类", "URO"),
    ("63.1", "精索静脉曲张高位结扎术", 2, "Ⅰ类", "URO"),
    ("61.2", "睾丸鞘膜积液切除术", 2, "Ⅰ类", "URO"),
    ("57.32", "膀胱镜检查", 1, "0类", "URO"),
    ("56.0", "输尿管镜下碎石取石术", 3, "0类", "URO"),
    ("59.8", "输尿管支架置入术", 2, "0类", "URO"),
    ("97.62", "输尿管支架取出术", 1, "0类", "URO"),
    ("60.11", "经会阴前列腺穿刺活检术", 2, "Ⅱ类", "URO"),
    ("57.49", "经尿道膀胱病损电切术", 3, "0类", "URO"),
]

_INCISION_TO_HIS = {"0类": "0", "Ⅰ类": "I", "Ⅱ类": "II", "Ⅲ类": "III"}


def procedures() -> list[HisProcedure]:
    return [
        HisProcedure(code=c, name=n, grade=g, incision_class=_INCISION_TO_HIS[i], department_code=d)
        for c, n, g, i, d in PROCEDURES
    ]


_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
_GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉兰萍鹏辉玲建华亮红国华飞鑫波宁斌浩凯俊帆婷雪琳晨阳欣怡子涵梓萱宇轩浩然一诺"
_REGIONS = ["110105", "310104", "440106", "510107", "330106", "420106", "320102", "610113"]


def _id_number(rng, birth_year_range, sex):
    year = rng.randint(*birth_year_range)
    month, day = rng.randint(1, 12), rng.randint(1, 28)
    serial = rng.randint(0, 49) * 2 + (1 if sex == "M" else 0)  # odd 17th digit = male
    first17 = f"{rng.choice(_REGIONS)}{year:04d}{month:02d}{day:02d}{rng.randint(1, 9)}{serial:02d}"
    return first17 + id_number_check_char(first17)


def _name(rng):
    given = "".join(rng.choice(_GIVEN) for _ in range(rng.choice((1, 2))))
    return rng.choice(_SURNAMES) + given


# (role, department code, count, titles) — the fallback roster: ~20 surgeons and the other roles.
ROSTER_PLAN = [
    ("doctor", "GS", 5, ("主任医师", "副主任医师", "主治医师", "主治医师", "住院医师")),
    ("doctor", "ORTH", 3, ("主任医师", "主治医师", "住院医师")),
    ("doctor", "OPH", 3, ("主任医师", "主治医师", "住院医师")),
    ("doctor", "ENT", 3, ("副主任医师", "主治医师", "住院医师")),
    ("doctor", "GYN", 3, ("主任医师", "主治医师", "住院医师")),
    ("doctor", "URO", 3, ("副主任医师", "主治医师", "住院医师")),
    ("anaesthetist", "ANES", 4, ("主任医师", "副主任医师", "主治医师", "住院医师")),
    ("nurse", "DSC", 4, ("护士长", "主管护师", "护师", "护士")),
    ("nurse", "GS", 1, ("主管护师",)),
    ("nurse", "OPH", 1, ("护师",)),
    ("followup_nurse", "DSC", 1, ("主管护师",)),
    ("hospital_admin", "DSC", 1, ("医务处",)),
    ("quality_manager", "DSC", 1, ("质控办",)),
]


def staff() -> list[HisStaffMember]:
    rng = random.Random(20260101)
    members, n = [], 0
    for role, dept, count, titles in ROSTER_PLAN:
        for i in range(count):
            n += 1
            sex = rng.choice("MF")
            members.append(
                HisStaffMember(
                    employee_no=f"D{n:04d}",
                    name=_name(rng),
                    id_number=_id_number(rng, (1965, 1995), sex),
                    phone=f"1380000{n:04d}",
                    department_code=dept,
                    role=role,
                    title=titles[i % len(titles)],
                )
            )
    return members


def patients(count=200) -> list[HisPatient]:
    from datetime import date

    rng = random.Random(20260202)
    result = []
    for n in range(1, count + 1):
        sex = rng.choice("MF")
        id_number = _id_number(rng, (1950, 2012), sex)
        birth = date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
        reg_no = f"DEMO{n:06d}"
        result.append(
            HisPatient(
                reg_no=reg_no,
                name=_name(rng),
                sex=sex,
                birth_date=birth,
                phone=f"1390000{n:04d}",
                id_number=id_number,
                identifiers=(Identifier("reg_no", reg_no), Identifier("outpatient_no", f"MZ{n:08d}")),
            )
        )
    return result
