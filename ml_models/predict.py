"""Command-line entry point: one patient in, every model's result out.

    .venv/bin/python -m ml_models.predict < patient.json > results.json

stdin: one JSON object with the canonical inputs (ml_models/README.md). stdout: {"engine_version", "results"}
as UTF-8 JSON (Chinese as is). Bad input: exit code 2 and {"error": ..., "fields": {...}} on stderr.
Optional: --screening-rules FILE (JSON rule sets replacing the defaults), --indent N.
"""

from __future__ import annotations

import argparse
import json
import sys


def _fail(message: str, fields: dict | None = None) -> int:
    payload = {"error": message, "fields": fields or {}}
    sys.stderr.write(json.dumps(payload, ensure_ascii=False) + "\n")
    return 2


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ml_models.predict", description=__doc__.splitlines()[0])
    parser.add_argument("--screening-rules", type=argparse.FileType("rb"), default=None,
                        help="JSON file with screening rule sets (sepsis, shock) replacing the defaults")
    parser.add_argument("--indent", type=int, default=None)
    args = parser.parse_args(argv)
    for stream in (sys.stdout, sys.stderr):
        stream.reconfigure(encoding="utf-8")

    try:
        patient = json.loads(sys.stdin.buffer.read().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return _fail(f"输入不是有效的JSON：{exc}", {"patient": ["输入不是有效的JSON。"]})
    rules = None
    if args.screening_rules is not None:
        try:
            rules = json.loads(args.screening_rules.read().decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            return _fail(f"筛查规则文件不是有效的JSON：{exc}", {"screening_rules": ["不是有效的JSON。"]})

    from .engine import InputError, default_engine

    try:
        out = default_engine().evaluate(patient, screening_rules=rules)
    except InputError as exc:
        return _fail("输入数据有误。", exc.fields)
    json.dump(out, sys.stdout, ensure_ascii=False, indent=args.indent)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
