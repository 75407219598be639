"""`python -m ml_models.predict` over a real subprocess gives the same numbers as engine.evaluate."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .test_engine import FULL

REPO = Path(__file__).resolve().parents[2]


def run_cli(stdin: bytes, *args):
    return subprocess.run([sys.executable, "-m", "ml_models.predict", *args], input=stdin, capture_output=True,
                          cwd=REPO, env=os.environ.copy(), timeout=60)


@pytest.mark.slow
@pytest.mark.req("A1", "A6")
def test_cli_gives_the_same_numbers_as_the_engine(engine):
    for patient in (FULL, dict(FULL, procedure_type="colonoscopy", sex="F", pacu_nausea=True), {"age": 40}):
        done = run_cli(json.dumps(patient).encode())
        assert done.returncode == 0, done.stderr.decode()
        out = json.loads(done.stdout.decode("utf-8"))
        assert out == json.loads(json.dumps(engine.evaluate(patient)))
    assert "心肌梗死" in done.stdout.decode("utf-8")  # UTF-8, not \\u escapes


@pytest.mark.slow
def test_cli_bad_input_exits_2_with_a_json_error(tmp_path):
    done = run_cli(json.dumps({"age": 300, "asa_class": 7}).encode())
    assert done.returncode == 2 and done.stdout == b""
    error = json.loads(done.stderr.decode("utf-8"))
    assert set(error["fields"]) == {"age", "asa_class"} and "超出合理范围" in error["fields"]["age"][0]
    done = run_cli(b"{not json")
    assert done.returncode == 2 and "patient" in json.loads(done.stderr)["fields"]
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps({"shock": {"factors": []}}))
    done = run_cli(json.dumps(FULL).encode(), "--screening-rules", str(rules))
    assert done.returncode == 2 and "screening_rules" in json.loads(done.stderr)["fields"]


@pytest.mark.slow
def test_cli_applies_screening_rules_from_a_file(tmp_path):
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps({"shock": {"version": "t1", "factors": [
        {"key": "tachy", "label_zh": "心动过速", "when": {"input": "heart_rate", "gt": 60}}],
        "levels": [{"min_count": 0, "level": "low", "label_zh": "低"}, {"min_count": 1, "level": "high", "label_zh": "高"}]}}))
    done = run_cli(json.dumps(FULL).encode(), "--screening-rules", str(rules))
    shock = next(r for r in json.loads(done.stdout)["results"] if r["model"] == "shock_screen")
    assert (shock["level"], shock["rule_set_version"]) == ("high", "t1")
