"""The platform's default education materials (PA3: the day-surgery instructions for the whole perioperative
period), for every procedure. A hospital replaces one by creating a material with the same key (for all its
procedures or for one). Re-synced after every migrate (education.apps): a missing default is created; a default whose
text changed here gets a new version unless a person edited it since.
"""

DEFAULT_MATERIALS = [
    {
        "key": "preop_instructions", "phase": "preop", "order": 10,
        "title": "日间手术术前须知",
        "summary": "手术前一天和手术当天早晨需要做的准备：禁食禁饮、用药、个人准备。",
        "body": """## 一、禁食禁饮
- 手术前一天晚上 **22:00 以后不再进食**（包括牛奶、稀饭等）。
- 手术前 **2 小时以前** 可以少量饮用清水（不超过 200 毫升），之后完全禁饮。
- 具体时间以护士电话或短信通知为准。

## 二、用药
- 平时服用的降压药，手术当天早晨用一小口水照常服用。
- 降糖药、胰岛素手术当天早晨 **暂停**，请携带到医院。
- 服用阿司匹林、氯吡格雷、华法林等抗凝或抗血小板药物的，请务必提前告知医生，按医生要求停药。

## 三、个人准备
- 手术前一天洗澡，剪短指甲，去除指甲油、化妆品。
- 取下首饰、假牙、隐形眼镜，贵重物品交家属保管。
- 术前两周起戒烟戒酒。
- 如出现感冒、发热、咳嗽或女性月经来潮，请及时联系日间手术中心改期。

## 四、陪护
- 必须有一名成年家属全程陪同，并在出院时陪同回家。
- 术后 24 小时内不能自己驾车、骑车。""",
    },
    {
        "key": "admission_day_guide", "phase": "admission", "order": 20,
        "title": "手术当日入院指引",
        "summary": "手术当天的报到时间、携带物品和流程。",
        "body": """## 报到
- 请按通知时间到日间手术中心护士站报到，**不要迟到**。
- 携带：身份证、医保卡、入院证、术前检查报告、正在服用的药物。

## 当天流程
1. 护士核对身份、佩戴腕带、测量生命体征。
2. 更换病号服，等待手术室接送。
3. 手术结束后在复苏室观察，清醒后返回日间病房。
4. 医生、护士评估合格后办理出院，一般在 24 小时内。

## 温馨提示
- 家属请在等候区等候，手术进展会在大屏上显示。
- 有任何不适请立即告诉护士。""",
    },
    {
        "key": "discharge_home_care", "phase": "discharge", "order": 30,
        "title": "出院后居家护理指导",
        "summary": "伤口护理、饮食活动、疼痛处理，以及需要立即就医的情况。",
        "body": """## 伤口护理
- 保持伤口清洁干燥，按医嘱换药；拆线前不要泡澡。
- 伤口少量渗液属正常，渗血渗液增多请及时联系我们。

## 饮食与活动
- 麻醉清醒后可先饮少量温水，无恶心呕吐再进食清淡易消化食物。
- 术后当天以休息为主，次日起可适当下床活动，一周内避免剧烈运动和提重物。

## 疼痛
- 按医嘱服用止痛药；疼痛评分（0–10 分）持续大于 4 分请联系医生。

## 出现以下情况请立即就医
- 体温超过 38.5℃；
- 伤口大量出血、红肿、流脓；
- 剧烈腹痛、持续呕吐、呼吸困难；
- 小便排不出。

## 随访
- 出院后护士会通过电话或微信随访，请保持手机畅通并按时填写随访问卷。""",
    },
]
