"""The questionnaire schema: validation on save, answer validation, voice-answer parsing, scoring, abnormal rules.

A schema (stored normalised on `FormVersion.schema`):

    {"questions": [
        {"key": "pain", "type": "scale", "label": "...", "required": true, "min": 0, "max": 10, "scored": false},
        {"key": "fever", "type": "yes_no", "label": "...", "scores": {"yes": 0, "no": 0}},
        {"key": "wound", "type": "single_choice", "label": "...",
         "options": [{"value": "dry", "label": "干燥", "score": 0, "aliases": ["好", "正常"]}, ...]},
        {"key": "temperature", "type": "number", "unit": "°C", "min": 34, "max": 43, "decimals": 1},
        {"key": "note", "type": "text", "max_length": 500, "required": false},
        {"key": "visit_date", "type": "date"},
        {"key": "symptoms", "type": "multi_choice", "options": [...]}],
     "rules": [
        {"code": "pain_severe", "label": "疼痛≥7分", "when": "pain >= 7", "tags": ["pain"]},
        {"code": "fever", "label": "发热", "when": {"question": "fever", "op": "==", "value": "yes"}},
        {"code": "wound_bad", "label": "...", "when": {"any": ["wound in [red, oozing]", "fever == yes"]}}]}

A rule's `when` is one condition (an object or the short text form `<key> <op> <value>`) or {"all"/"any": [...]};
it is normalised to objects on save. Operators: == != > >= < <= (numbers, scales), == != in (single choice, yes/no),
contains (multi choice: any of the values chosen). An unanswered question never matches.

Score: the sum of the chosen options' scores, yes/no scores and the values of scales marked `scored`; None when the
form scores nothing.
"""

import re
from datetime import date
from decimal import Decimal

from django.utils.translation import gettext as _

from core.errors import InvalidInput

QUESTION_TYPES = ("single_choice", "multi_choice", "number", "text", "yes_no", "scale", "date")
CHOICE_TYPES = ("single_choice", "multi_choice")
NUMERIC_OPS = ("==", "!=", ">", ">=", "<", "<=")
OPS_BY_TYPE = {
    "number": NUMERIC_OPS,
    "scale": NUMERIC_OPS,
    "single_choice": ("==", "!=", "in"),
    "yes_no": ("==", "!="),
    "multi_choice": ("contains",),
}
KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
OPTION_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
TAG_RE = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")
CONDITION_RE = re.compile(r"^\s*([a-z][a-z0-9_]*)\s*(==|!=|>=|<=|>|<|\bin\b|\bcontains\b)\s*(.+?)\s*$")
MAX_QUESTIONS = 100
MAX_RULES = 100
MAX_OPTIONS = 50
MAX_TEXT = 2000

YES_WORDS = {"1", "yes", "y", "true", "是", "有", "对", "是的", "有的", "嗯"}
NO_WORDS = {"2", "no", "n", "false", "否", "无", "没有", "不是", "没", "不", "没有的"}


class _Errors:
    def __init__(self):
        self.fields: dict[str, list] = {}

    def add(self, path, message):
        self.fields.setdefault(path, []).append(message)

    def raise_if_any(self):
        if self.fields:
            raise InvalidInput(fields=self.fields)


def _is_number(value):
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


def _text(value, limit):
    return isinstance(value, str) and value.strip() != "" and len(value) <= limit


# --- schema validation -----------------------------------------------------------------------------------------


def schema_clean(schema) -> dict:
    """Validate a schema and return its normalised form; InvalidInput with one message per bad field otherwise
    (paths like `schema.questions.2.options`)."""
    errors = _Errors()
    if not isinstance(schema, dict):
        raise InvalidInput(fields={"schema": [_("The schema must be an object with questions and rules.")]})
    unknown = set(schema) - {"questions", "rules"}
    if unknown:
        errors.add("schema", _("Unknown schema entries: %(names)s.") % {"names": ", ".join(sorted(unknown))})
    raw_questions = schema.get("questions")
    if not isinstance(raw_questions, list) or not raw_questions:
        errors.add("schema.questions", _("A form needs at least one question."))
        errors.raise_if_any()
    if len(raw_questions) > MAX_QUESTIONS:
        errors.add("schema.questions", _("A form has at most %(n)s questions.") % {"n": MAX_QUESTIONS})
        errors.raise_if_any()
    questions = []
    seen = set()
    for index, raw in enumerate(raw_questions):
        question = _question_clean(raw, f"schema.questions.{index}", errors)
        if question is None:
            continue
        if question["key"] in seen:
            errors.add(f"schema.questions.{index}.key", _("Two questions have the same key."))
            continue
        seen.add(question["key"])
        questions.append(question)
    errors.raise_if_any()
    by_key = {q["key"]: q for q in questions}
    raw_rules = schema.get("rules", [])
    rules = []
    if not isinstance(raw_rules, list):
        errors.add("schema.rules", _("Rules must be a list."))
    elif len(raw_rules) > MAX_RULES:
        errors.add("schema.rules", _("A form has at most %(n)s rules.") % {"n": MAX_RULES})
    else:
        codes = set()
        for index, raw in enumerate(raw_rules):
            rule = _rule_clean(raw, f"schema.rules.{index}", by_key, errors)
            if rule is None:
                continue
            if rule["code"] in codes:
                errors.add(f"schema.rules.{index}.code", _("Two rules have the same code."))
                continue
            codes.add(rule["code"])
            rules.append(rule)
    errors.raise_if_any()
    return {"questions": questions, "rules": rules}


def _question_clean(raw, path, errors):
    if not isinstance(raw, dict):
        errors.add(path, _("A question must be an object."))
        return None
    ok = True
    key = raw.get("key")
    if not isinstance(key, str) or not KEY_RE.match(key):
        errors.add(f"{path}.key", _("A key is lower-case letters, digits and _ (starting with a letter, at most 40)."))
        ok = False
    qtype = raw.get("type")
    if qtype not in QUESTION_TYPES:
        errors.add(f"{path}.type", _("Unknown question type; use one of: %(types)s.")
                   % {"types": ", ".join(QUESTION_TYPES)})
        return None
    label = raw.get("label")
    if not _text(label, 300):
        errors.add(f"{path}.label", _("Every question needs a label (at most 300 characters)."))
        ok = False
    required = raw.get("required", True)
    if not isinstance(required, bool):
        errors.add(f"{path}.required", _("Must be true or false."))
        ok = False
    question = {"key": key, "type": qtype, "label": label, "required": required}
    help_text = raw.get("help", "")
    if help_text:
        if not isinstance(help_text, str) or len(help_text) > 500:
            errors.add(f"{path}.help", _("Help text is at most 500 characters."))
            ok = False
        else:
            question["help"] = help_text
    allowed = {"key", "type", "label", "required", "help"}

    if qtype in CHOICE_TYPES:
        allowed |= {"options", "min_choices", "max_choices"}
        options = _options_clean(raw.get("options"), f"{path}.options", errors)
        if options is None:
            ok = False
        else:
            question["options"] = options
            if qtype == "multi_choice":
                for bound in ("min_choices", "max_choices"):
                    if bound in raw:
                        value = raw[bound]
                        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= len(options):
                            errors.add(f"{path}.{bound}", _("Must be a whole number between 0 and the number of "
                                                             "options."))
                            ok = False
                        else:
                            question[bound] = value
                if question.get("min_choices", 0) > question.get("max_choices", len(options)):
                    errors.add(f"{path}.min_choices", _("The minimum is above the maximum."))
                    ok = False
    elif qtype == "number":
        allowed |= {"unit", "min", "max", "decimals"}
        unit = raw.get("unit", "")
        if not isinstance(unit, str) or len(unit) > 20:
            errors.add(f"{path}.unit", _("A unit is at most 20 characters."))
            ok = False
        question["unit"] = unit
        for bound in ("min", "max"):
            if raw.get(bound) is not None:
                if not _is_number(raw[bound]):
                    errors.add(f"{path}.{bound}", _("Must be a number."))
                    ok = False
                else:
                    question[bound] = raw[bound]
        if "min" in question and "max" in question and question["min"] > question["max"]:
            errors.add(f"{path}.min", _("The minimum is above the maximum."))
            ok = False
        decimals = raw.get("decimals", 1)
        if not isinstance(decimals, int) or isinstance(decimals, bool) or not 0 <= decimals <= 4:
            errors.add(f"{path}.decimals", _("Decimals is a whole number from 0 to 4."))
            ok = False
        question["decimals"] = decimals
    elif qtype == "scale":
        allowed |= {"min", "max", "scored", "min_label", "max_label"}
        low, high = raw.get("min", 0), raw.get("max", 10)
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (low, high)) or not 0 <= low < high <= 10:
            errors.add(f"{path}.max", _("A scale runs between whole numbers from 0 to 10 (minimum below maximum)."))
            ok = False
        scored = raw.get("scored", False)
        if not isinstance(scored, bool):
            errors.add(f"{path}.scored", _("Must be true or false."))
            ok = False
        question.update({"min": low, "max": high, "scored": scored})
        for name in ("min_label", "max_label"):
            if raw.get(name):
                if not isinstance(raw[name], str) or len(raw[name]) > 40:
                    errors.add(f"{path}.{name}", _("At most 40 characters."))
                    ok = False
                else:
                    question[name] = raw[name]
    elif qtype == "yes_no":
        allowed |= {"scores"}
        scores = raw.get("scores")
        if scores is not None:
            if (not isinstance(scores, dict) or set(scores) - {"yes", "no"}
                    or not all(_is_number(v) for v in scores.values())):
                errors.add(f"{path}.scores", _("Scores of a yes/no question: {\"yes\": number, \"no\": number}."))
                ok = False
            else:
                question["scores"] = scores
    elif qtype == "text":
        allowed |= {"max_length"}
        limit = raw.get("max_length", 500)
        if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_TEXT:
            errors.add(f"{path}.max_length", _("The length limit is a whole number from 1 to %(n)s.") % {"n": MAX_TEXT})
            ok = False
        question["max_length"] = limit
    unknown = set(raw) - allowed
    if unknown:
        errors.add(path, _("Unknown question entries: %(names)s.") % {"names": ", ".join(sorted(unknown))})
        ok = False
    return question if ok else None


def _options_clean(raw, path, errors):
    if not isinstance(raw, list) or not 2 <= len(raw) <= MAX_OPTIONS:
        errors.add(path, _("A choice question needs from 2 to %(n)s options.") % {"n": MAX_OPTIONS})
        return None
    options, values, ok = [], set(), True
    for index, option in enumerate(raw):
        opath = f"{path}.{index}"
        if not isinstance(option, dict):
            errors.add(opath, _("An option must be an object with a value and a label."))
            ok = False
            continue
        value = option.get("value")
        if not isinstance(value, str) or not OPTION_RE.match(value):
            errors.add(f"{opath}.value", _("An option value is letters, digits, _ . - (at most 40)."))
            ok = False
            continue
        if value in values:
            errors.add(f"{opath}.value", _("Two options have the same value."))
            ok = False
            continue
        values.add(value)
        label = option.get("label")
        if not _text(label, 200):
            errors.add(f"{opath}.label", _("Every option needs a label (at most 200 characters)."))
            ok = False
        clean = {"value": value, "label": label}
        if option.get("score") is not None:
            if not _is_number(option["score"]):
                errors.add(f"{opath}.score", _("Must be a number."))
                ok = False
            else:
                clean["score"] = option["score"]
        aliases = option.get("aliases", [])
        if not isinstance(aliases, list) or not all(_text(a, 40) for a in aliases) or len(aliases) > 20:
            errors.add(f"{opath}.aliases", _("Aliases are a list of up to 20 short texts."))
            ok = False
        elif aliases:
            clean["aliases"] = aliases
        unknown = set(option) - {"value", "label", "score", "aliases"}
        if unknown:
            errors.add(opath, _("Unknown option entries: %(names)s.") % {"names": ", ".join(sorted(unknown))})
            ok = False
        options.append(clean)
    return options if ok else None


def _rule_clean(raw, path, by_key, errors):
    if not isinstance(raw, dict):
        errors.add(path, _("A rule must be an object with a code, a label and a condition."))
        return None
    ok = True
    code = raw.get("code")
    if not isinstance(code, str) or not TAG_RE.match(code):
        errors.add(f"{path}.code", _("A code is lower-case letters, digits, _ and - (at most 40)."))
        ok = False
    label = raw.get("label")
    if not _text(label, 100):
        errors.add(f"{path}.label", _("Every rule needs a label (at most 100 characters)."))
        ok = False
    tags = raw.get("tags", [])
    if not isinstance(tags, list) or len(tags) > 10 or not all(isinstance(t, str) and TAG_RE.match(t) for t in tags):
        errors.add(f"{path}.tags", _("Tags are a list of up to 10 codes (lower-case letters, digits, _ and -)."))
        ok = False
    unknown = set(raw) - {"code", "label", "when", "tags"}
    if unknown:
        errors.add(path, _("Unknown rule entries: %(names)s.") % {"names": ", ".join(sorted(unknown))})
        ok = False
    when = _condition_clean(raw.get("when"), f"{path}.when", by_key, errors, depth=0)
    if when is None or not ok:
        return None
    return {"code": code, "label": label, "when": when, "tags": list(dict.fromkeys(tags))}


def _condition_clean(raw, path, by_key, errors, *, depth):
    if isinstance(raw, dict) and len(raw) == 1 and ("all" in raw or "any" in raw):
        (joiner, items), = raw.items()
        if depth >= 3 or not isinstance(items, list) or not items or len(items) > 20:
            errors.add(path, _("\"all\" / \"any\" take a list of 1 to 20 conditions (nested at most 3 deep)."))
            return None
        parts = [_condition_clean(item, f"{path}.{joiner}.{i}", by_key, errors, depth=depth + 1)
                 for i, item in enumerate(items)]
        return None if any(p is None for p in parts) else {joiner: parts}
    if isinstance(raw, str):
        raw = _condition_parse(raw, by_key)
        if raw is None:
            errors.add(path, _("Write a condition as <question key> <operator> <value>, e.g. pain >= 7."))
            return None
    if not isinstance(raw, dict) or set(raw) != {"question", "op", "value"}:
        errors.add(path, _("A condition has a question, an operator (op) and a value."))
        return None
    question = by_key.get(raw["question"])
    if question is None:
        errors.add(path, _("The condition names a question that is not in the form: %(key)s.")
                   % {"key": raw["question"]})
        return None
    ops = OPS_BY_TYPE.get(question["type"], ())
    op = raw["op"]
    if op not in ops:
        if not ops:
            errors.add(path, _("Answers to a question of this type cannot make a rule."))
        else:
            errors.add(path, _("Use one of these operators for this question: %(ops)s.") % {"ops": " ".join(ops)})
        return None
    value = raw["value"]
    qtype = question["type"]
    if qtype in ("number", "scale"):
        if not _is_number(value):
            errors.add(path, _("Compare this question with a number."))
            return None
    elif qtype == "yes_no":
        value = _yes_no_value(value)
        if value is None:
            errors.add(path, _("Compare a yes/no question with yes or no."))
            return None
    else:
        values = {o["value"] for o in question["options"]}
        listed = value if isinstance(value, list) else [value]
        if op == "==" and isinstance(value, list) or not listed:
            errors.add(path, _("Compare this question with one of its option values."))
            return None
        bad = [v for v in listed if v not in values]
        if bad:
            errors.add(path, _("Not an option of this question: %(values)s.") % {"values": ", ".join(map(str, bad))})
            return None
        if op in ("in", "contains"):
            value = listed
    return {"question": question["key"], "op": op, "value": value}


def _condition_parse(text, by_key):
    match = CONDITION_RE.match(text)
    if not match:
        return None
    key, op, value = match.groups()
    question = by_key.get(key)
    if question is not None and question["type"] in ("number", "scale"):
        try:
            value = float(value) if "." in value else int(value)
        except ValueError:
            return {"question": key, "op": op, "value": value}
    elif value.startswith("[") and value.endswith("]"):
        value = [v.strip().strip("'\"") for v in value[1:-1].split(",") if v.strip()]
    else:
        value = value.strip("'\"")
    return {"question": key, "op": op, "value": value}


def max_score(schema) -> Decimal | None:
    total, scored = Decimal(0), False
    for question in schema["questions"]:
        qtype = question["type"]
        if qtype in CHOICE_TYPES:
            scores = [Decimal(str(o["score"])) for o in question["options"] if "score" in o]
            if scores:
                scored = True
                total += max(scores) if qtype == "single_choice" else sum(s for s in scores if s > 0)
        elif qtype == "yes_no" and "scores" in question:
            scored = True
            total += max(Decimal(str(v)) for v in question["scores"].values())
        elif qtype == "scale" and question.get("scored"):
            scored = True
            total += question["max"]
    return total if scored else None


# --- answers ---------------------------------------------------------------------------------------------------


def _yes_no_value(value):
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if isinstance(value, str) and value.strip().lower() in ("yes", "no"):
        return value.strip().lower()
    return None


def _blank(value):
    return value is None or (isinstance(value, str) and value.strip() == "") or value == []


def _answer_clean(question, value):
    """The clean value of one answer, or raise ValueError with a message for the patient/staff."""
    qtype = question["type"]
    if qtype == "single_choice":
        if not isinstance(value, str) or value not in {o["value"] for o in question["options"]}:
            raise ValueError(_("Choose one of the options."))
        return value
    if qtype == "multi_choice":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError(_("Choose from the options."))
        values = [o["value"] for o in question["options"]]
        if any(v not in values for v in value):
            raise ValueError(_("Choose from the options."))
        chosen = [v for v in values if v in value]  # option order, no duplicates
        if len(chosen) < question.get("min_choices", 0):
            raise ValueError(_("Choose at least %(n)s options.") % {"n": question["min_choices"]})
        if len(chosen) > question.get("max_choices", len(values)):
            raise ValueError(_("Choose at most %(n)s options.") % {"n": question["max_choices"]})
        return chosen
    if qtype == "yes_no":
        clean = _yes_no_value(value)
        if clean is None:
            raise ValueError(_("Answer yes or no."))
        return clean
    if qtype in ("number", "scale"):
        if isinstance(value, str):
            try:
                value = Decimal(value.strip())
            except ArithmeticError:
                raise ValueError(_("Enter a number.")) from None
        if not _is_number(value) or not Decimal(str(value)).is_finite():
            raise ValueError(_("Enter a number."))
        number = Decimal(str(value))
        if qtype == "scale":
            if number != number.to_integral_value():
                raise ValueError(_("Choose a whole number on the scale."))
            number = int(number)
        else:
            number = number.quantize(Decimal(1).scaleb(-question["decimals"]))
        low, high = question.get("min"), question.get("max")
        if (low is not None and number < Decimal(str(low))) or (high is not None and number > Decimal(str(high))):
            if low is not None and high is not None:
                raise ValueError(_("Enter a value from %(min)s to %(max)s.") % {"min": low, "max": high})
            if low is not None:
                raise ValueError(_("Enter a value of at least %(min)s.") % {"min": low})
            raise ValueError(_("Enter a value of at most %(max)s.") % {"max": high})
        if qtype == "scale":
            return number
        return int(number) if question["decimals"] == 0 else float(number)
    if qtype == "text":
        if not isinstance(value, str):
            raise ValueError(_("Enter text."))
        value = value.strip()
        if len(value) > question["max_length"]:
            raise ValueError(_("At most %(n)s characters.") % {"n": question["max_length"]})
        return value
    if qtype == "date":
        try:
            if not isinstance(value, str) or len(value.strip()) != 10:
                raise ValueError
            return date.fromisoformat(value.strip()).isoformat()
        except ValueError:
            raise ValueError(_("Enter a date as YYYY-MM-DD.")) from None
    raise ValueError(_("Unknown question type."))


def answers_validate(version_schema, answers, *, allow_partial=False) -> tuple[dict, list]:
    """Strict validation of submitted answers (mobile, staff): (clean answers, missing required keys). Unknown
    questions, wrong values, and — unless `allow_partial` — unanswered required questions raise InvalidInput with
    a message per question (`answers.<key>`)."""
    if not isinstance(answers, dict):
        raise InvalidInput(fields={"answers": [_("Answers must be an object keyed by question.")]})
    errors = _Errors()
    by_key = {q["key"]: q for q in version_schema["questions"]}
    for key in answers:
        if key not in by_key:
            errors.add(f"answers.{key}", _("This question is not in the form."))
    clean, missing = {}, []
    for key, question in by_key.items():
        value = answers.get(key)
        if _blank(value):
            if question["required"]:
                missing.append(key)
                if not allow_partial:
                    errors.add(f"answers.{key}", _("This question must be answered."))
            continue
        try:
            clean[key] = _answer_clean(question, value)
        except ValueError as exc:
            errors.add(f"answers.{key}", str(exc))
    errors.raise_if_any()
    return clean, missing


# --- voice / free-text parsing ---------------------------------------------------------------------------------

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
              "九": 9}
_NUMBER_RE = re.compile(r"-?\d+(?:\.\d+)?")


def _cn_number(text):
    """A small Chinese numeral (0–99, with 点 for decimals: 三十八点五) or None."""
    text = text.strip().rstrip("分度岁次")
    whole, _dot, frac = text.partition("点")
    if not whole or any(c not in _CN_DIGITS and c != "十" for c in whole):
        return None
    if "十" in whole:
        tens, _ten, ones = whole.partition("十")
        if len(tens) > 1 or len(ones) > 1:
            return None
        value = (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[ones] if ones else 0)
    elif len(whole) == 1:
        value = _CN_DIGITS[whole]
    else:
        return None
    if frac:
        if any(c not in _CN_DIGITS for c in frac):
            return None
        return Decimal(f"{value}.{''.join(str(_CN_DIGITS[c]) for c in frac)}")
    return Decimal(value)


def _number_from_text(text):
    if _is_number(text):
        return Decimal(str(text))
    if not isinstance(text, str):
        return None
    match = _NUMBER_RE.search(text)
    if match:
        return Decimal(match.group())
    return _cn_number(text)


def _option_from_text(question, text):
    options = question["options"]
    token = str(text).strip()
    if token.isdigit() and 1 <= int(token) <= len(options):  # a keypress: the n-th option
        return options[int(token) - 1]["value"]
    lowered = token.lower()
    for option in options:
        if lowered == option["value"].lower() or token == option["label"]:
            return option["value"]
    for option in options:
        if token in option.get("aliases", []):
            return option["value"]
    # Recognised speech: the one option whose label or alias appears in the text (ambiguous → nothing).
    hits = {o["value"] for o in options
            for word in [o["label"], *o.get("aliases", [])] if word and word in token}
    return hits.pop() if len(hits) == 1 else None


def _parse_one(question, raw):
    qtype = question["type"]
    if qtype == "yes_no":
        if isinstance(raw, bool):
            return "yes" if raw else "no"
        text = str(raw).strip().lower()
        if text in YES_WORDS:
            return "yes"
        if text in NO_WORDS:
            return "no"
        if text[:1] in ("没", "无", "不", "否"):
            return "no"
        if text[:1] in ("有", "是", "对"):
            return "yes"
        return None
    if qtype == "single_choice":
        return _option_from_text(question, raw)
    if qtype == "multi_choice":
        tokens = raw if isinstance(raw, list) else re.split(r"[,，、;；\s#*]+", str(raw).strip())
        values = [_option_from_text(question, t) for t in tokens if str(t).strip()]
        if not values or any(v is None for v in values):
            return None
        return values
    if qtype in ("number", "scale"):
        number = _number_from_text(raw)
        return None if number is None else str(number)
    if qtype == "date":
        return str(raw).strip()
    return str(raw).strip()


def answers_parse_schema(version_schema, raw) -> tuple[dict, list]:
    """Lenient mapping of voice answers (keypresses or recognised text, by question key) to clean answers: values
    that cannot be understood are dropped, unknown keys ignored. Returns (clean, missing required keys)."""
    by_key = {q["key"]: q for q in version_schema["questions"]}
    clean = {}
    for key, value in (raw or {}).items():
        question = by_key.get(key)
        if question is None or _blank(value):
            continue
        parsed = _parse_one(question, value)
        if parsed is None:
            continue
        try:
            clean[key] = _answer_clean(question, parsed)
        except ValueError:
            continue
    missing = [q["key"] for q in version_schema["questions"] if q["required"] and q["key"] not in clean]
    return clean, missing


# --- scoring and abnormal rules --------------------------------------------------------------------------------


def score(version_schema, answers) -> Decimal | None:
    total, scored = Decimal(0), False
    for question in version_schema["questions"]:
        qtype, value = question["type"], answers.get(question["key"])
        if qtype in CHOICE_TYPES and any("score" in o for o in question["options"]):
            scored = True
            chosen = value if isinstance(value, list) else [value]
            total += sum((Decimal(str(o.get("score", 0))) for o in question["options"] if o["value"] in chosen),
                         Decimal(0))
        elif qtype == "yes_no" and "scores" in question:
            scored = True
            if value in question["scores"]:
                total += Decimal(str(question["scores"][value]))
        elif qtype == "scale" and question.get("scored"):
            scored = True
            if value is not None:
                total += value
    return total if scored else None


def _condition_holds(condition, answers):
    if "all" in condition:
        return all(_condition_holds(c, answers) for c in condition["all"])
    if "any" in condition:
        return any(_condition_holds(c, answers) for c in condition["any"])
    value = answers.get(condition["question"])
    if value is None or value == []:
        return False
    op, target = condition["op"], condition["value"]
    if op == "contains":
        return any(v in value for v in target)
    if op == "in":
        return value in target
    if op in ("==", "!="):
        if _is_number(value):
            equal = Decimal(str(value)) == Decimal(str(target))
        else:
            equal = value == target
        return equal if op == "==" else not equal
    left, right = Decimal(str(value)), Decimal(str(target))
    return {">": left > right, ">=": left >= right, "<": left < right, "<=": left <= right}[op]


def _condition_questions(condition):
    if "all" in condition or "any" in condition:
        return [k for c in condition.get("all", condition.get("any")) for k in _condition_questions(c)]
    return [condition["question"]]


def abnormal(version_schema, answers) -> list[dict]:
    """The rules the answers match: [{code, label, questions, tags}] in the schema's order."""
    return [
        {"code": rule["code"], "label": rule["label"], "questions": _condition_questions(rule["when"]),
         "tags": rule.get("tags", [])}
        for rule in version_schema.get("rules", []) if _condition_holds(rule["when"], answers)
    ]
