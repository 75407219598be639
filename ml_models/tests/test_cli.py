"""`python -m ml_models.predict`: over a real subprocess it gives the same numbers as engine.evaluate; the other
cases run its main() in-process (same code, no interpreter start-up)."""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ml_models import predict

from .test_engine import FULL

REPO = Path(__file__).resolve().parents[2]


def run_cli(stdin: bytes, *args):
    return subprocess.run([sys.executable, "-m", "ml_models.predict", *args], input=stdin, capture_output=True,
                          cwd=REPO, env=os.environ.copy(), timeout=60)


def run_main(monkeypatch, capsys, stdin: bytes, *args):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8"))
    code = predict.main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.slow
@pytest.mark.req("A1", "A6")
def test_cli_subprocess_gives_the_same_numbers_as_the_engine(engine):
    done = run_cli(json.dumps(FULL).encode())
    assert done.returncode == 0, done.stderr.decode()
    text = done.stdout.decode("utf-8")
    assert json.loads(text) == json.loads(json.dumps(engine.evaluate(FULL)))
    assert "心肌梗死" in text  # UTF-8, not \\u escapes
    results = {r["model"]: r for r in json.loads(text)["results"]}
    assert results["gupta_mica"]["logit"] == pytest.approx(-6.79, abs=1e-4)


@pytest.mark.slow
def test_cli_subprocess_bad_input_exits_2_with_a_json_error():
    done = run_cli(json.dumps({"age": 300, "asa_class": 7}).encode())
    assert done.returncode == 2 and done.stdout == b""
    error = json.loads(done.stderr.decode("utf-8"))
    assert set(error["fields"]) == {"age", "asa_class"} and "超出合理范围" in error["fields"]["age"][0]


@pytest.mark.parametrize("patient", [dict(FULL, procedure_type="colonoscopy", sex="F", pacu_nausea=True), {"age": 40}, {}])
def test_cli_output_equals_engine_evaluate(engine, monkeypatch, capsys, patient):
    code, out, _ = run_main(monkeypatch, capsys, json.dumps(patient).encode(), "--indent", "2")
    assert code == 0 and json.loads(out) == json.loads(json.dumps(engine.evaluate(patient)))


@pytest.mark.parametrize(("stdin", "field"), [(b"{not json", "patient"), (b"[1, 2]", "patient"),
                                              (b"\xff\xfe", "patient"), (b'{"copd": "yes"}', "copd")])
def test_cli_bad_input(monkeypatch, capsys, stdin, field):
    code, out, err = run_main(monkeypatch, capsys, stdin)
    assert code == 2 and out == "" and field in json.loads(err)["fields"]


def test_cli_screening_rules_from_a_file(monkeypatch, capsys, tmp_path):
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps({"shock": {"version": "t1", "factors": [
        {"key": "tachy", "label_zh": "心动过速", "when": {"input": "heart_rate", "gt": 60}}],
        "levels": [{"min_count": 0, "level": "low", "label_zh": "低"},
                   {"min_count": 1, "level": "high", "label_zh": "高"}]}}))
    code, out, _ = run_main(monkeypatch, capsys, json.dumps(FULL).encode(), "--screening-rules", str(rules))
    shock = next(r for r in json.loads(out)["results"] if r["model"] == "shock_screen")
    assert code == 0 and (shock["level"], shock["rule_set_version"]) == ("high", "t1")
    rules.write_text(json.dumps({"shock": {"factors": []}}))
    code, _, err = run_main(monkeypatch, capsys, json.dumps(FULL).encode(), "--screening-rules", str(rules))
    assert code == 2 and "screening_rules" in json.loads(err)["fields"]
    rules.write_text("{")
    code, _, err = run_main(monkeypatch, capsys, json.dumps(FULL).encode(), "--screening-rules", str(rules))
    assert code == 2 and "screening_rules" in json.loads(err)["fields"]
