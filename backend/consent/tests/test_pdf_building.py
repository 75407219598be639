"""core.pdf (shared by the consent documents and the A10 report): embedded CJK font, extractable text, page x/y,
deterministic bytes, symbols without a glyph replaced, a clear error when the font is missing."""

import subprocess
import sys
from io import BytesIO
from pathlib import Path

import pypdf
import pytest

from core import pdf

BACKEND = Path(__file__).resolve().parents[2]


def story(rows=10):
    return [pdf.para("麻醉知情同意书", "title"), pdf.heading("一、风险"),
            pdf.data_table(["项目", "结果", "提示"], [[f"血钾{i}", "6.8", "↑↑"] for i in range(rows)]),
            pdf.para("☐ 同意　☑ 拒绝　<b>不是标记</b> & ℃ μmol/L")]


def text_of(content):
    return [p.extract_text() for p in pypdf.PdfReader(BytesIO(content)).pages]


@pytest.mark.req("A10", "A8")
def test_chinese_text_symbols_and_page_numbers_are_extractable():
    content = pdf.build_pdf(story(rows=120), title="测试文档", author="测试", hospital_name="示例人民医院")
    pages = text_of(content)
    assert len(pages) >= 3
    joined = "".join(pages).replace("\n", "").replace(" ", "")
    for expected in ("麻醉知情同意书", "血钾119", "↑↑", "示例人民医院", "测试文档", "<b>不是标记</b>&℃μmol/L"):
        assert expected in joined
    # Symbols the font lacks are drawn as an equivalent it has (never an empty box or a lost character).
    assert "□同意" in joined and "■拒绝" in joined
    for n, page in enumerate(pages, 1):
        assert f"第{n}页/共{len(pages)}页" in page.replace(" ", "")
    reader = pypdf.PdfReader(BytesIO(content))
    assert reader.metadata.title == "测试文档"
    fonts = {f["/BaseFont"] for p in reader.pages for f in p["/Resources"]["/Font"].values()}
    assert any("WenQuanYi" in name for name in fonts)


@pytest.mark.req("A10")
def test_same_story_same_bytes_even_across_processes():
    first = pdf.build_pdf(story(), title="测试", author="测试")
    assert first == pdf.build_pdf(story(), title="测试", author="测试")
    script = ("import django,os,sys,hashlib;os.environ['DJANGO_SETTINGS_MODULE']='config.settings.test';"
              "django.setup();from consent.tests.test_pdf_building import story;from core import pdf;"
              "sys.stdout.write(hashlib.sha256(pdf.build_pdf(story(),title='测试',author='测试')).hexdigest())")
    import hashlib
    import os

    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": str(BACKEND)}
    out = subprocess.run([sys.executable, "-c", script], cwd=BACKEND, env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == hashlib.sha256(first).hexdigest()


def test_missing_font_is_a_clear_error(monkeypatch, settings):
    monkeypatch.setattr(pdf, "_registered_font", None)
    settings.PDF_CJK_FONT_PATH = "/nonexistent/wqy-microhei.ttc"
    with pytest.raises(pdf.PdfFontMissing, match="fonts-wqy-microhei"):
        pdf.build_pdf(story(), title="x", author="y")
