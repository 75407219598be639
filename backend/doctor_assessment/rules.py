"""The high-risk rule engine (D5, Y9): pure functions from rules and results to findings (no database here).

- A lab rule reads the newest result of each of its item codes within the window (a newer value replaces an
  older one: a potassium corrected before surgery no longer flags).
- `lab_numeric`: the numeric value compared with the threshold; a value outside the analyser's range ("<10",
  ">33.3") matches when every value it stands for would; other text (阴性) never matches.
- `lab_positive`: a qualitative result that says positive — 阳性, 弱阳性, 有反应性, 检出, "+", POS, reactive, a titre
  (1:8) — while negatives are recognised first (阴性, 无反应性, 未检出, "-", NEG, non-reactive); a value that says
  neither counts as positive when the LIS flagged it abnormal (a bare S/CO number with an H flag).
- `exam_keyword`: a keyword in the report's conclusion or findings, unless it is negated in its clause
  (未见结节, 无胸腔积液, 未发现占位, 排除肺结核): Chinese reports state normality by naming what is absent.
"""

import re
from dataclasses import dataclass
from decimal import Decimal

_NEGATIVE = re.compile(r"阴性|无反应性|非反应性|未检出|未检测到|negative|non-?reactive|\bneg\b|^\s*[-－]\s*$|\(\s*[-－]\s*\)",
                       re.IGNORECASE)
_POSITIVE = re.compile(r"阳性|有反应性|反应性|检出|positive|reactive|\bpos\b|[+＋]|\b1\s*[:：]\s*\d+", re.IGNORECASE)
_NEGATION_CUES = ("未见", "未发现", "未探及", "未显示", "未闻及", "无", "排除", "否认", "不伴", "未提示")
_CLAUSE_BREAK = re.compile(r"[，,。；;、\n]")
# "Cannot be ruled out" (不能排除, 无法排除, 待排除, 不除外...) says the finding may be present: not a negation.
_NOT_RULED_OUT = re.compile(r"(?:不能|无法|未能|不|待|需|尚不能|难以)排除|(?:不|未)除外")


def is_positive(value: str, flag: str = "") -> bool:
    text = (value or "").strip()
    if text and _NEGATIVE.search(text):
        return False
    if text and _POSITIVE.search(text):
        return True
    return flag in ("H", "HH")


def compare(value: Decimal | None, comparator: str, threshold: Decimal | None) -> bool:
    if value is None or threshold is None:
        return False
    return {"gt": value > threshold, "ge": value >= threshold, "lt": value < threshold,
            "le": value <= threshold}.get(comparator, False)


_CENSORED = re.compile(r"^\s*(<=|>=|[<>≤≥＜＞])\s*([+-]?\d+(?:\.\d+)?)\s*$")


def compare_censored(value: str, comparator: str, threshold: Decimal | None) -> bool:
    """A value outside the analyser's range ("<10", ">33.3"): it hits only when every value it stands for would
    (">10" hits "> 1.5"; "<100" does not hit "< 80")."""
    match = _CENSORED.match(value or "")
    if match is None or threshold is None:
        return False
    sign, bound = match.group(1), Decimal(match.group(2))
    if sign in (">", "＞", ">=", "≥"):
        strict = sign in (">", "＞")
        if comparator == "gt":
            return bound > threshold or (strict and bound == threshold)
        if comparator == "ge":
            return bound >= threshold
        return False
    strict = sign in ("<", "＜")
    if comparator == "lt":
        return bound < threshold or (strict and bound == threshold)
    if comparator == "le":
        return bound <= threshold
    return False


def _negated(text: str, start: int) -> bool:
    clause_start = 0
    for match in _CLAUSE_BREAK.finditer(text, 0, start):
        clause_start = match.end()
    before = _NOT_RULED_OUT.sub("", text[clause_start:start])
    return any(cue in before for cue in _NEGATION_CUES)


def keyword_hits(text: str, keywords) -> list[str]:
    """The keywords found in `text` outside a negated clause, in the rule's order."""
    hits = []
    for keyword in keywords:
        if not keyword:
            continue
        for match in re.finditer(re.escape(keyword), text or "", re.IGNORECASE):
            if not _negated(text, match.start()):
                hits.append(keyword)
                break
    return hits


@dataclass(frozen=True)
class Finding:
    rule: object  # the HighRiskRule
    source: str  # "lab" | "exam"
    code: str
    value: str
    lab_result: object = None
    exam_report: object = None
    issued_at: object = None

    @property
    def flag(self) -> dict:
        """The case event's form: category, code, label and rule uuid (names a test, never the patient)."""
        return {"category": self.rule.category, "code": self.code, "label": self.rule.label,
                "rule": str(self.rule.uuid) if getattr(self.rule, "uuid", None) else ""}


def applies_to(rule, case) -> bool:
    if rule.procedure_id is not None:
        procedure = rule.procedure
        same = case.procedure_id == rule.procedure_id or (
            procedure is not None and case.procedure_code and case.procedure_code == procedure.code)
        if not same:
            return False
    return rule.department_id is None or rule.department_id == case.department_id


def evaluate(rules, labs_by_code: dict, exams) -> list[Finding]:
    """Findings of `rules` (already chosen for the case) over the newest lab result per item code (code → result)
    and the exam reports within the window."""
    out = []
    for rule in rules:
        codes = [c.strip().lower() for c in rule.codes or [] if c and c.strip()]
        if rule.kind in ("lab_numeric", "lab_positive"):
            for code in codes:
                result = labs_by_code.get(code)
                if result is None:
                    continue
                if rule.kind == "lab_numeric":
                    hit = (compare(result.numeric_value, rule.comparator, rule.threshold)
                           if result.numeric_value is not None
                           else compare_censored(result.value, rule.comparator, rule.threshold))
                else:
                    hit = is_positive(result.value, result.flag)
                if hit:
                    value = f"{result.name} {result.value}{result.unit}".strip()
                    out.append(Finding(rule, "lab", result.code, value[:200], lab_result=result,
                                       issued_at=result.report.issued_at))
        elif rule.kind == "exam_keyword":
            for report in exams:
                if rule.exam_kind and report.kind != rule.exam_kind:
                    continue
                if codes and (report.code or "").lower() not in codes:
                    continue
                hits = keyword_hits(f"{report.conclusion}\n{report.findings}", rule.keywords or [])
                if hits:
                    out.append(Finding(rule, "exam", report.code or report.kind,
                                       f"{report.name}：{'、'.join(hits)}"[:200], exam_report=report,
                                       issued_at=report.issued_at))
    return out
