"""The consent PDFs (core.pdf): the document the clinician signs, and the signed copy.

The document carries everything the patient is told: the hospital, the form's title and version, the patient and
procedure details, the rendered clauses and empty signature lines. Its SHA-256 is what the CA signs, so it is
generated once, stored, and never regenerated. The signed copy is a second PDF made after both signatures: the
same text plus the patient's signature image and the CA signature details (certificate serial, signer,
algorithm, time, signature value) and the hashes that tie them together, for printing and the medical record.
"""

from __future__ import annotations

import textwrap
from io import BytesIO

from reportlab.lib.units import mm
from reportlab.platypus import Image as PdfImage
from reportlab.platypus import KeepTogether

from core import pdf

DETAIL_FIELDS = (
    ("patient_name", "患者姓名"), ("sex", "性别"), ("age", "年龄"), ("reg_no", "登记号"), ("ward", "病区"),
    ("diagnosis", "诊断"), ("procedure_name", "手术/检查"), ("planned_date", "计划日期"),
    ("anaesthesia_plan", "麻醉方式"), ("anaesthetist", "麻醉医师"),
)
BLANK = "________________"


def _body(document) -> list:
    """Clauses: one paragraph per line of the rendered text; a line like "一、..." prints as a heading."""
    story = []
    for line in document.body_text.splitlines():
        line = line.strip()
        if not line:
            continue
        if len(line) <= 30 and line[:2].rstrip("、") in "一二三四五六七八九十" and "、" in line[:3]:
            story.append(pdf.heading(line))
        else:
            story.append(pdf.para(line, "clause"))
    return story


def _header(document) -> list:
    context = document.context or {}
    story = [pdf.para(context.get("hospital_name", ""), "subtitle"), pdf.para(document.title, "title"),
             pdf.para(f"编号：{document.consent_no}　模板：{document.template_code} 第{document.template_version}版", "subtitle")]
    story.append(pdf.key_value_table([(label, context.get(key) or "—") for key, label in DETAIL_FIELDS]))
    story.append(pdf.spacer(2))
    return story


def render_consent_document(document) -> bytes:
    """The document to sign: header, clauses, blank signature lines."""
    context = document.context or {}
    signatures = pdf.key_value_table([
        ("医师签名", BLANK), ("日期", BLANK),
        ("患者/监护人签名", BLANK), ("与患者关系", BLANK),
    ])
    story = [*_header(document), *_body(document), pdf.spacer(6), KeepTogether([pdf.heading("签名"), signatures])]
    return pdf.build_pdf(story, title=document.title, author=context.get("hospital_name") or document.title,
                         hospital_name=context.get("hospital_name", ""), subject=document.consent_no,
                         footer_text=f"同意书编号 {document.consent_no}")


def _wrapped(value: str, width: int = 76) -> str:
    return "\n".join(textwrap.wrap(value or "", width)) or "—"


def render_signed_copy(document, *, signature_png: bytes, signer_kind_label: str, local_time) -> bytes:
    """The signed copy: the document's text, the patient's signature image and the CA signature details."""
    context = document.context or {}
    image = PdfImage(BytesIO(signature_png))
    scale = min(60 * mm / image.imageWidth, 25 * mm / image.imageHeight)
    image.drawWidth, image.drawHeight = image.imageWidth * scale, image.imageHeight * scale
    image.hAlign = "LEFT"
    clinician = pdf.key_value_table([
        ("签名医师", f"{document.clinician_name}（工号 {document.clinician_signer_id}）"),
        ("签名时间", local_time(document.clinician_signed_at)),
        ("证书序列号", document.cert_serial), ("签名算法", document.signature_algorithm),
    ])
    patient = pdf.key_value_table([
        ("签署人", f"{document.patient_signer_name}（{signer_kind_label}）"),
        ("与患者关系", document.patient_signer_relationship or "本人"),
        ("签署时间", local_time(document.patient_signed_at)), ("签名图像SHA-256", document.patient_signature_hash),
    ])
    hashes = pdf.data_table(["项目", "值"], [
        ["原始文件SHA-256", document.document_hash],
        ["CA签名值（Base64）", _wrapped(document.signature_value)],
        ["存证哈希（SHA-256）", document.record_hash],
    ], col_widths=[0.24, 0.76])
    story = [
        *_header(document), *_body(document), pdf.spacer(4),
        KeepTogether([pdf.heading("医师电子签名（CA）"), clinician]),
        KeepTogether([pdf.heading("患者/监护人签名"), image, pdf.spacer(2), patient]),
        KeepTogether([pdf.heading("防篡改信息"), hashes,
                      pdf.para("原始文件哈希由医师CA证书签名；存证哈希覆盖原始文件哈希、CA签名、签名图像哈希、签署人与时间。"
                               "任何一项被修改，验证即失败。", "small")]),
    ]
    return pdf.build_pdf(story, title=f"{document.title}（已签署）",
                         author=context.get("hospital_name") or document.title,
                         hospital_name=context.get("hospital_name", ""), subject=document.consent_no,
                         footer_text=f"同意书编号 {document.consent_no}（已签署副本）")
