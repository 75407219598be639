"""The A10 report renderer: every section and value is real text in the PDF (pypdf extracts it), arrows
included; the same data gives the same bytes; long lab lists break across pages; missing sections print
"未记录" instead of failing."""

import copy
import re
from io import BytesIO

import pypdf
import pytest

from anaesthesia.report_pdf import render_assessment_report


def report_data():
    return {
        "hospital_name": "华东第一人民医院",
        "title": "麻醉术前评估报告",
        "assessment_no": "MZ20261126001",
        "status": "passed",
        "status_label": "通过",
        "concluded_at": "2026-11-26 09:40",
        "anaesthetist": "周明远",
        "patient": {"name": "李秀兰", "sex_label": "女", "age": "67岁", "reg_no": "R0012345", "visit_no": "V20261126-07",
                    "ward": "日间手术中心一病区", "diagnosis": "胆囊结石伴慢性胆囊炎", "phone_masked": "138****5678"},
        "procedure": {"kind_label": "日间手术", "name": "腹腔镜胆囊切除术", "planned_date": "2026-11-28",
                      "surgeon": "王建国", "anaesthesia_plan_label": "气管插管全身麻醉"},
        "vitals": [{"label": "血压", "value": "152/88", "unit": "mmHg"},
                   {"label": "心率", "value": "78", "unit": "次/分"},
                   {"label": "血氧饱和度", "value": "96", "unit": "%"},
                   {"label": "体温", "value": "36.6", "unit": "℃"},
                   {"label": "BMI", "value": "27.4", "unit": "kg/m²"}],
        "labs": [{"name": "血红蛋白", "value": "98", "unit": "g/L", "ref": "115-150", "arrow": "↓"},
                 {"name": "肌酐", "value": "186", "unit": "μmol/L", "ref": "41-81", "arrow": "↑"},
                 {"name": "血钾", "value": "6.8", "unit": "mmol/L", "ref": "3.5-5.3", "arrow": "↑↑"},
                 {"name": "血小板", "value": "18", "unit": "10^9/L", "ref": "125-350", "arrow": "↓↓"},
                 {"name": "白蛋白", "value": "41.2", "unit": "g/L", "ref": "40-55", "arrow": ""}],
        "exams": [{"name": "心电图", "conclusion": "窦性心律，ST-T改变", "abnormal": True},
                  {"name": "胸部X线", "conclusion": "双肺纹理增多", "abnormal": False},
                  {"name": "心脏超声", "conclusion": "", "abnormal": None}],
        "findings": [{"system": "心血管系统", "text": "高血压病史10年，规律服用氨氯地平"},
                     {"system": "气道", "text": "Mallampati II级，张口度4.0 cm，甲颏距离6.5 cm"},
                     {"system": "呼吸系统", "text": "无慢阻肺病史，STOP-Bang 4分"}],
        "risks": [{"event_label": "心肌梗死/心脏骤停", "level_label": "低危", "model": "Gupta MICA 1.0.0",
                   "value_text": "0.31%", "note": ""},
                  {"event_label": "术后恶心呕吐", "level_label": "高危", "model": "Apfel 1.0.0",
                   "value_text": "3分（61%）", "note": "女性、非吸烟、术后阿片"},
                  {"event_label": "阻塞性睡眠呼吸暂停", "level_label": "中危", "model": "STOP-Bang 1.0.0",
                   "value_text": "4分", "note": "手术模型用于诊断性内镜：超出推导人群"}],
        "disposition_label": "可预约日间手术",
        "opinion": "患者一般情况可，ASA II级，可耐受全身麻醉。术前纠正血钾后复查。",
        "recommendations": {"monitoring": ["常规心电、血压、脉搏血氧监测", "呼气末二氧化碳监测"],
                            "drugs": ["地塞米松5 mg诱导后静注", "昂丹司琼4 mg手术结束前静注"],
                            "seniority_label": "主治医师及以上",
                            "equipment": ["可视喉镜"], "advice": ["术前禁食8小时", "术晨降压药少量饮水送服"]},
        "generated_at": "2026-11-26 09:41",
    }


def extract(pdf_bytes) -> tuple[list[str], str]:
    reader = pypdf.PdfReader(BytesIO(pdf_bytes))
    pages = [page.extract_text() for page in reader.pages]
    return pages, "\n".join(pages)


def compact(text):
    """Text with whitespace removed: CJK line wrapping may split a value over two lines."""
    return re.sub(r"\s+", "", text)


@pytest.mark.req("A10")
def test_report_has_every_section_and_value():
    data = report_data()
    pdf_bytes = render_assessment_report(data)
    assert pdf_bytes.startswith(b"%PDF-")
    _, text = extract(pdf_bytes)
    flat = compact(text)
    for heading in ("麻醉术前评估报告", "患者信息", "手术与麻醉计划", "生命体征", "化验结果", "检查与心电图",
                    "系统评估", "风险评估", "评估结论", "麻醉医师意见", "麻醉建议"):
        assert heading in flat, heading
    expected = [
        "华东第一人民医院", "MZ20261126001", *data["patient"].values(), *data["procedure"].values(),
        "152/88", "mmHg", "36.6", "℃", "kg/m²",
        "窦性心律，ST-T改变", "双肺纹理增多", "异常", "正常",
        "高血压病史10年，规律服用氨氯地平", "Mallampati II级", "心血管系统",
        "心肌梗死/心脏骤停", "Gupta MICA 1.0.0", "0.31%", "术后恶心呕吐", "3分（61%）", "高危", "中危",
        "手术模型用于诊断性内镜：超出推导人群",
        "可预约日间手术", "通过", "2026-11-26 09:40", "周明远",
        "患者一般情况可，ASA II级，可耐受全身麻醉。术前纠正血钾后复查。",
        "常规心电、血压、脉搏血氧监测", "昂丹司琼4 mg手术结束前静注", "主治医师及以上", "可视喉镜", "术前禁食8小时",
        "签名",
    ]
    for value in expected:
        assert compact(value) in flat, value
    assert re.search(r"第1页/共\d+页", flat)


@pytest.mark.req("A4", "A10")
def test_lab_rows_carry_their_arrows_as_text():
    _, text = extract(render_assessment_report(report_data()))
    lines = [compact(line) for line in text.splitlines()]
    # Each lab's row: name, value, arrow, unit, reference, in that order in the extracted text.
    flat = compact(text)
    for name, value, arrow, ref in (("血红蛋白", "98", "↓", "115-150"), ("肌酐", "186", "↑", "41-81"),
                                    ("血钾", "6.8", "↑↑", "3.5-5.3"), ("血小板", "18", "↓↓", "125-350")):
        assert re.search(re.escape(name) + re.escape(value) + re.escape(arrow) + r"[^↑↓]", flat), name
        assert ref in flat
    # The normal result has no arrow after its value.
    assert re.search(r"白蛋白41\.2g/L40-55", flat)
    assert any("↑高于参考范围" in line for line in lines)


@pytest.mark.req("A10")
def test_same_data_gives_the_same_bytes():
    first = render_assessment_report(report_data())
    second = render_assessment_report(copy.deepcopy(report_data()))
    assert first == second
    changed = report_data()
    changed["opinion"] = "建议推迟手术。"
    assert render_assessment_report(changed) != first


@pytest.mark.req("A10")
def test_many_labs_break_across_pages_with_the_header_repeated():
    data = report_data()
    data["labs"] = [{"name": f"检验项目{i:03d}", "value": str(100 + i), "unit": "mmol/L", "ref": "1-99",
                     "arrow": "↑" if i % 3 == 0 else ""} for i in range(150)]
    pages, text = extract(render_assessment_report(data))
    assert len(pages) >= 3
    flat = compact(text)
    for i in (0, 74, 149):
        assert f"检验项目{i:03d}{100 + i}" in flat
    assert "检验项目003103↑" in flat and "检验项目004104mmol/L" in flat
    total = len(pages)
    for number, page in enumerate(pages, 1):
        assert f"第{number}页/共{total}页" in compact(page)
    # The lab table's header row repeats on the page where the table continues.
    continued = [p for p in pages[1:] if "检验项目" in p]
    assert continued and all("参考范围" in p for p in continued)


@pytest.mark.req("A10")
def test_missing_optional_sections_do_not_break_the_report():
    minimal = {"title": "麻醉术前评估报告", "patient": {"name": "赵六"}, "labs": None, "risks": "n/a",
               "recommendations": None}
    pages, text = extract(render_assessment_report(minimal))
    flat = compact(text)
    assert "赵六" in flat and "化验结果" in flat and "风险评估" in flat and "麻醉建议" in flat
    assert flat.count("未记录") >= 8
    data = report_data()
    for key in ("vitals", "labs", "exams", "findings", "risks", "recommendations", "opinion", "concluded_at",
                "procedure"):
        del data[key]
    _, text = extract(render_assessment_report(data))
    assert "李秀兰" in compact(text) and "可预约日间手术" in compact(text)


@pytest.mark.req("A10")
def test_text_is_escaped_not_interpreted_as_markup():
    data = report_data()
    data["opinion"] = "<b>注意</b> & 血钾 < 3.5 时补钾"
    _, text = extract(render_assessment_report(data))
    assert "<b>注意</b>&血钾<3.5时补钾" in compact(text)


def test_a_conclusion_longer_than_a_page_continues_on_the_next_page():
    """PACS conclusions are unbounded text: a table cell taller than the page must not fail the report (it was a
    ReportLab LayoutError, a 500 on the report PDF endpoints)."""
    data = report_data()
    marker = "末尾标记"
    data["exams"][0]["conclusion"] = "窦性心律，ST-T改变。" * 500 + marker
    pages, text = extract(render_assessment_report(data))
    assert len(pages) >= 3
    assert marker in compact(text)
    assert compact(text).count("ST-T改变") >= 490  # a page break may fall inside one occurrence
