"""The printable anaesthesia risk report (A10): 麻醉术前评估报告 as a PDF.

`render_assessment_report(data)` only renders: `anaesthesia.selectors.assessment_report_data(assessment)` gathers
the data (shape in the module docstring of that selector and below). Every section prints even when the
assessment has nothing for it ("未记录"), so a reader can tell "not recorded" from "left off the report".
The output is deterministic for the same data (core.pdf.build_pdf), and every value, including the ↑/↓
arrows of abnormal lab results, is real text in the PDF (extractable, searchable, testable).

    {"hospital_name", "title", "assessment_no", "status", "status_label", "concluded_at", "anaesthetist",
     "patient": {"name", "sex_label", "age", "reg_no", "visit_no", "ward", "diagnosis", "phone_masked"},
     "procedure": {"kind_label", "name", "planned_date", "surgeon", "anaesthesia_plan_label"},
     "vitals": [{"label", "value", "unit"}], "labs": [{"name", "value", "unit", "ref", "arrow"}],
     "exams": [{"name", "conclusion", "abnormal"}], "findings": [{"system", "text"}],
     "risks": [{"event_label", "level_label", "model", "value_text", "note"}],
     "disposition_label", "opinion",
     "recommendations": {"monitoring": [], "drugs": [], "seniority_label", "equipment": [], "advice": []},
     "generated_at"}
"""

from __future__ import annotations

from reportlab.platypus import KeepTogether

from core import pdf

DEFAULT_TITLE = "麻醉术前评估报告"
NOT_RECORDED = "未记录"
CHINESE_NUMERALS = "一二三四五六七八九十"
ARROW_LEGEND = "↑ 高于参考范围　↓ 低于参考范围　↑↑/↓↓ 危急值"
HIGH_LEVEL_MARKERS = ("高危",)


def _text(value, default: str = "") -> str:
    if value is None:
        return default
    value = str(value).strip()
    return value or default


def _rows(data, key) -> list:
    value = data.get(key)
    return [row for row in value if isinstance(row, dict)] if isinstance(value, list) else []


class _Sections:
    """Numbered section headings: 一、患者信息, 二、..."""

    def __init__(self):
        self.count = 0

    def __call__(self, title):
        self.count += 1
        number = CHINESE_NUMERALS[self.count - 1] if self.count <= len(CHINESE_NUMERALS) else str(self.count)
        return pdf.heading(f"{number}、{title}")


def _patient(data):
    p = data.get("patient") or {}
    return pdf.key_value_table([
        ("姓名", _text(p.get("name"), NOT_RECORDED)), ("性别", _text(p.get("sex_label"), NOT_RECORDED)),
        ("年龄", _text(p.get("age"), NOT_RECORDED)), ("登记号", _text(p.get("reg_no"), NOT_RECORDED)),
        ("就诊号", _text(p.get("visit_no"), NOT_RECORDED)), ("病区", _text(p.get("ward"), NOT_RECORDED)),
        ("诊断", _text(p.get("diagnosis"), NOT_RECORDED)), ("联系电话", _text(p.get("phone_masked"), NOT_RECORDED)),
    ])


def _procedure(data):
    p = data.get("procedure") or {}
    return pdf.key_value_table([
        ("类别", _text(p.get("kind_label"), NOT_RECORDED)), ("手术/检查", _text(p.get("name"), NOT_RECORDED)),
        ("计划日期", _text(p.get("planned_date"), NOT_RECORDED)), ("手术医生", _text(p.get("surgeon"), NOT_RECORDED)),
        ("麻醉方式", _text(p.get("anaesthesia_plan_label"), NOT_RECORDED)), ("麻醉医师", _text(data.get("anaesthetist"),
                                                                                        NOT_RECORDED)),
    ])


def _vitals(data):
    rows = _rows(data, "vitals")
    if not rows:
        return [pdf.para(NOT_RECORDED)]
    pairs = [(_text(v.get("label")), " ".join(x for x in (_text(v.get("value")), _text(v.get("unit"))) if x))
             for v in rows]
    return [pdf.key_value_table(pairs, columns=3)]


def _labs(data):
    rows = _rows(data, "labs")
    if not rows:
        return [pdf.para(NOT_RECORDED)]
    body, abnormal = [], set()
    for index, lab in enumerate(rows):
        arrow = _text(lab.get("arrow"))
        if arrow:
            abnormal.add(index)
        body.append([_text(lab.get("name")), _text(lab.get("value")), arrow, _text(lab.get("unit")),
                     _text(lab.get("ref"))])
    table = pdf.data_table(["项目", "结果", "提示", "单位", "参考范围"], body,
                           col_widths=[0.34, 0.16, 0.08, 0.16, 0.26], alert_rows=abnormal)
    return [table, pdf.para(ARROW_LEGEND, "small")]


def _exams(data):
    rows = _rows(data, "exams")
    if not rows:
        return [pdf.para(NOT_RECORDED)]
    labels = {True: "异常", False: "正常", None: "—"}
    body, abnormal = [], set()
    for index, exam in enumerate(rows):
        flag = exam.get("abnormal")
        if flag is True:
            abnormal.add(index)
        body.append([_text(exam.get("name")), _text(exam.get("conclusion"), NOT_RECORDED),
                     labels.get(flag if isinstance(flag, bool) else None)])
    return [pdf.data_table(["检查项目", "结论", "判定"], body, col_widths=[0.26, 0.62, 0.12], alert_rows=abnormal)]


def _findings(data):
    rows = _rows(data, "findings")
    if not rows:
        return [pdf.para(NOT_RECORDED)]
    body = [[_text(f.get("system")), _text(f.get("text"), NOT_RECORDED)] for f in rows]
    return [pdf.data_table(["系统", "评估所见"], body, col_widths=[0.2, 0.8])]


def _risks(data):
    rows = _rows(data, "risks")
    if not rows:
        return [pdf.para(NOT_RECORDED)]
    body, high = [], set()
    for index, risk in enumerate(rows):
        level = _text(risk.get("level_label"), "—")
        if any(marker in level for marker in HIGH_LEVEL_MARKERS):
            high.add(index)
        body.append([_text(risk.get("event_label")), level, _text(risk.get("model"), "—"),
                     _text(risk.get("value_text"), "—"), _text(risk.get("note"))])
    return [pdf.data_table(["不良事件", "风险等级", "模型", "结果", "说明"], body,
                           col_widths=[0.17, 0.1, 0.2, 0.18, 0.35], alert_rows=high, alert_cols={1})]


def _conclusion(data):
    disposition = _text(data.get("disposition_label"), NOT_RECORDED)
    status = _text(data.get("status_label"))
    items = [pdf.key_value_table([("评估结论", disposition), ("评估状态", status or NOT_RECORDED)], columns=2)]
    concluded = _text(data.get("concluded_at"))
    if concluded:
        items.append(pdf.para(f"结论时间：{concluded}", "small"))
    return items


def _recommendations(data):
    rec = data.get("recommendations") or {}
    groups = [("监测建议", rec.get("monitoring")), ("药物准备", rec.get("drugs")),
              ("设备准备", rec.get("equipment")), ("其他建议", rec.get("advice"))]
    items = [pdf.key_value_table([("麻醉医师资质", _text(rec.get("seniority_label"), NOT_RECORDED))], columns=1)]
    for label, values in groups:
        values = [v for v in values if _text(v)] if isinstance(values, list) else []
        items.append(pdf.para(label, "body"))
        items.extend(pdf.bullet_list(values, style="cell", empty_text=NOT_RECORDED))
    return items


def _signature(data):
    anaesthetist = _text(data.get("anaesthetist"))
    concluded_date = _text(data.get("concluded_at"))[:10]
    line = "________________"
    return KeepTogether([
        pdf.spacer(8),
        pdf.key_value_table([
            ("麻醉医师", anaesthetist or line), ("签名", line),
            ("日期", concluded_date or "______年____月____日"), ("评估编号", _text(data.get("assessment_no"), "—")),
        ], columns=2),
    ])


def render_assessment_report(data: dict) -> bytes:
    """The report as PDF bytes (A4, Chinese, embedded font); same data → same bytes."""
    title = _text(data.get("title"), DEFAULT_TITLE)
    hospital = _text(data.get("hospital_name"))
    section = _Sections()
    subtitle = "　".join(x for x in (
        f"评估编号：{_text(data.get('assessment_no'))}" if _text(data.get("assessment_no")) else "",
        f"状态：{_text(data.get('status_label'))}" if _text(data.get("status_label")) else "",
        f"生成时间：{_text(data.get('generated_at'))}" if _text(data.get("generated_at")) else "",
    ) if x)
    story = [pdf.para(hospital, "subtitle")] if hospital else []
    story += [pdf.para(title, "title")]
    if subtitle:
        story.append(pdf.para(subtitle, "subtitle"))
    story += [section("患者信息"), _patient(data)]
    story += [section("手术与麻醉计划"), _procedure(data)]
    story += [section("生命体征"), *_vitals(data)]
    story += [section("化验结果"), *_labs(data)]
    story += [section("检查与心电图"), *_exams(data)]
    story += [section("系统评估"), *_findings(data)]
    story += [section("风险评估"), *_risks(data)]
    story += [section("评估结论"), *_conclusion(data)]
    story += [section("麻醉医师意见"), pdf.para(_text(data.get("opinion"), NOT_RECORDED), "clause")]
    story += [section("麻醉建议"), *_recommendations(data)]
    story.append(_signature(data))
    return pdf.build_pdf(
        story, title=title, author=_text(data.get("anaesthetist")) or hospital or title, hospital_name=hospital,
        subject=_text(data.get("assessment_no")),
        footer_text=f"评估编号 {_text(data.get('assessment_no'))}" if _text(data.get("assessment_no")) else "",
    )
