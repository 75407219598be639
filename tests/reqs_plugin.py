"""Requirement traceability: the `req("ID", ...)` marker and the `--reqs-table` report (make reqs).

IDs are checked against the requirement catalogue, so a typo fails collection instead of proving nothing.
The catalogue is ../shared/mission/REQUIREMENTS.md when present (the authority), else docs/REQUIREMENTS.md.
"""

import re
from collections import defaultdict
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CATALOGUES = [REPO.parent / "shared" / "mission" / "REQUIREMENTS.md", REPO / "docs" / "REQUIREMENTS.md"]
_ID_LINE = re.compile(r"^- ([A-Z]{1,2}\d+) (.*)$")


def load_catalogue():
    path = next(p for p in CATALOGUES if p.exists())
    ids = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        m = _ID_LINE.match(line.strip())
        if m:
            ids[m.group(1)] = m.group(2)
    return ids


def pytest_addoption(parser):
    parser.addoption("--reqs-table", action="store_true", help="print the requirement table after collection")


def pytest_configure(config):
    config._reqs_catalogue = load_catalogue()


def pytest_collection_modifyitems(session, config, items):
    catalogue = config._reqs_catalogue
    unknown = []
    by_req = defaultdict(list)
    for item in items:
        for marker in item.iter_markers("req"):
            for rid in marker.args:
                if rid not in catalogue:
                    unknown.append(f"{item.nodeid}: {rid}")
                by_req[rid].append(item.nodeid)
    if unknown:
        raise pytest.UsageError("unknown requirement IDs in @pytest.mark.req: " + ", ".join(unknown))
    config._reqs_by_req = by_req


def _prefix_order(rid):
    m = re.match(r"([A-Z]+)(\d+)", rid)
    return m.group(1), int(m.group(2))


def pytest_collection_finish(session):
    config = session.config
    if not config.getoption("--reqs-table"):
        return
    catalogue = config._reqs_catalogue
    by_req = getattr(config, "_reqs_by_req", {})
    group_order = []
    for rid in catalogue:
        g = _prefix_order(rid)[0]
        if g not in group_order:
            group_order.append(g)
    rows = sorted(catalogue, key=lambda r: (group_order.index(_prefix_order(r)[0]), _prefix_order(r)[1]))
    tw = config.get_terminal_writer()
    tw.line("")
    tw.line(f"{'ID':<5} {'tests':>5}  requirement")
    tw.line("-" * 100)
    for rid in rows:
        tests = by_req.get(rid, [])
        mark = f"{len(tests):>5}" if tests else "    -"
        tw.line(f"{rid:<5} {mark}  {catalogue[rid][:88]}")
        if config.getoption("verbose") > 0:
            for nodeid in tests:
                tw.line(f"{'':13}{nodeid}")
    proven = sum(1 for rid in catalogue if by_req.get(rid))
    tw.line("-" * 100)
    tw.line(f"requirements proven by at least one test: {proven} of {len(catalogue)}")
    missing = [rid for rid in rows if not by_req.get(rid)]
    tw.line("without tests: " + (" ".join(missing) if missing else "none"))
