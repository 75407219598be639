"""The risk engine: every model of ``specs/index.toml`` for a patient in one call.

    from ml_models.engine import default_engine, InputError
    engine = default_engine()                      # process-wide, graphs loaded once (thread-safe)
    engine.evaluate(patient, screening_rules=None) # {"engine_version", "results": [ModelResult, ...]}
    engine.evaluate_batch(patients)                # one onnxruntime run per model for the whole batch
    engine.catalogue()                             # the model cards as data
    engine.default_screening_rules()

Scored models run through their ONNX graph (one InferenceSession per graph, created once, one intra-op thread);
the sepsis and shock screens are rule sets evaluated in Python (they have no numbers to compute). A graph that is
missing, or was built from an older spec (its ``spec_hash`` metadata differs), is rebuilt on load.
"""

from __future__ import annotations

import logging
import math
import threading
from pathlib import Path

import numpy as np
import onnxruntime as ort

from . import screening
from .build import dist_dir, ensure_graph
from .features import SMALL_BATCH, BatchColumns, feature_matrix
from .graphs import build_graph
from .inputs import InputError, canonicalise
from .spec import (
    CONFIDENCE_ORDER,
    ENGINE_VERSION,
    ModelSpec,
    all_specs,
    condition_inputs,
    input_schema,
    weakest,
)

__all__ = ["ENGINE_VERSION", "InputError", "RiskEngine", "default_engine"]

logger = logging.getLogger(__name__)
TOP_CONTRIBUTIONS = 5
_LEVEL_ZH = {"low": "低危", "intermediate": "中危", "high": "高危"}


def _session_options() -> ort.SessionOptions:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    return options


class RiskEngine:
    def __init__(self, dist: Path | None = None):
        self.specs: list[ModelSpec] = all_specs()
        self.dist = Path(dist) if dist else dist_dir()
        self.sessions: dict[str, ort.InferenceSession] = {}
        self.rebuilt: list[str] = []
        self._static_cache: dict[str, tuple[dict, tuple[str, ...], dict]] = {}
        self._schema = input_schema()
        options = _session_options()
        for spec in self.specs:
            if spec.kind == "screening":
                continue
            self.sessions[spec.id] = self._load_session(spec, options)
        self._outputs = {mid: [o.name for o in s.get_outputs()] for mid, s in self.sessions.items()}

    def _load_session(self, spec: ModelSpec, options: ort.SessionOptions) -> ort.InferenceSession:
        try:
            path, rebuilt = ensure_graph(spec, self.dist)
        except OSError:
            # Graph folder not writable (read-only deployment): build in memory rather than refuse to start.
            logger.warning("ml_models: cannot write %s; graph %s built in memory", self.dist, spec.id)
            self.rebuilt.append(spec.id)
            return ort.InferenceSession(build_graph(spec).SerializeToString(), sess_options=options,
                                        providers=["CPUExecutionProvider"])
        if rebuilt:
            self.rebuilt.append(spec.id)
        session = ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])
        if session.get_modelmeta().custom_metadata_map.get("spec_hash") != spec.spec_hash:
            # Replaced under us by a process running an older spec: rebuild once more.
            path, _ = ensure_graph(spec, self.dist, force=True)
            session = ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])
        return session

    # --- public API -----------------------------------------------------------------------------------------

    def evaluate(self, patient: dict, *, screening_rules: dict | None = None) -> dict:
        return self.evaluate_batch([patient], screening_rules=screening_rules)[0]

    def evaluate_batch(self, patients: list[dict], *, screening_rules: dict | None = None) -> list[dict]:
        rules = screening.resolve_rules(screening_rules)
        canons, ignored = [], []
        errors: dict[str, list[str]] = {}
        for i, patient in enumerate(patients):
            try:
                canon, extra = canonicalise(patient)
            except InputError as exc:
                if len(patients) == 1:
                    raise
                errors.update({f"[{i}].{k}": v for k, v in exc.fields.items()})
                continue
            canons.append(canon)
            ignored.append(extra)
        if errors:
            raise InputError(errors)

        per_patient: list[list[dict]] = [[] for _ in canons]
        columns = BatchColumns(canons)
        for spec in self.specs:
            if spec.kind == "screening":
                rule_set = rules[spec.raw["rule_set"]]
                compiled = screening.compile_rule_set(rule_set)
                used = tuple(sorted(set().union(*(inputs for _, _, inputs in compiled))))
                for i, canon in enumerate(canons):
                    per_patient[i].append(self._screening_result(spec, rule_set, compiled, used, canon))
            else:
                for i, result in enumerate(self._model_results(spec, canons, columns)):
                    per_patient[i].append(result)
        return [{"engine_version": ENGINE_VERSION, "results": results, "ignored_inputs": extra}
                for results, extra in zip(per_patient, ignored, strict=True)]

    def run_graph(self, model_id: str, x: np.ndarray) -> dict[str, np.ndarray]:
        """One onnxruntime run of a model on a feature matrix [N, F] (float32)."""
        session = self.sessions[model_id]
        values = session.run(self._outputs[model_id], {"x": np.ascontiguousarray(x, dtype=np.float32)})
        return dict(zip(self._outputs[model_id], values, strict=True))

    def catalogue(self) -> list[dict]:
        return [model_card_data(spec) for spec in self.specs]

    def default_screening_rules(self) -> dict:
        return screening.default_rules()

    def validate_screening_rules(self, rules: dict) -> None:
        """InputError({"screening_rules": [...]}) when a rule-set dict is malformed (for knowledge-base editors)."""
        screening.resolve_rules(rules)

    # --- result assembly ------------------------------------------------------------------------------------

    def _static(self, spec: ModelSpec) -> tuple[dict, tuple[str, ...], dict]:
        """The per-model part of every result, and the inputs it reports (computed once per model)."""
        cached = self._static_cache.get(spec.id)
        if cached is not None:
            return cached
        raw = spec.raw
        used = set(spec.inputs_used())
        for *_, rule in spec.applicability:
            used |= condition_inputs(rule["when"])
        static = {
            "model": spec.id, "name": raw["name"], "name_zh": raw["name_zh"], "version": spec.version,
            "event": raw["event"], "kind": spec.kind, "citation": raw["citation"],
            "status": "ok", "missing_inputs": [], "assumed_inputs": [],
            "probability": None, "logit": None, "score": None,
            "band": None, "band_label_zh": None, "band_risk": None, "level": None,
            "level_source": spec.level_source,
            "outside_derivation": False, "applicability_note": raw["applicability_note_zh"],
            "confidence": None, "evidence_note": raw["evidence_note_zh"],
        }
        vectors = {}
        if spec.kind != "screening":
            ranks = np.array([CONFIDENCE_ORDER[f.confidence] for f in spec.features])
            vectors = {"scoring": np.array([not f.aux for f in spec.features]), "ranks": ranks,
                       "ranks_list": ranks.tolist(), "scoring_idx": [j for j, f in enumerate(spec.features) if not f.aux],
                       "rank_tags": {rank: tag for tag, rank in CONFIDENCE_ORDER.items()},
                       "weakest_all": weakest(f.confidence for f in spec.scoring)}
        self._static_cache[spec.id] = static, tuple(sorted(used)), vectors
        return self._static_cache[spec.id]

    def _base(self, spec: ModelSpec, canon: dict, notes: list[str]) -> dict:
        static, used, _ = self._static(spec)
        result = dict(static)
        if notes:
            result["outside_derivation"] = True
            result["applicability_note"] = "超出推导人群：" + "；".join(notes)
        result["inputs"] = {n: canon[n] for n in used if n in canon}
        result["contributions"] = []
        return result

    def _model_results(self, spec: ModelSpec, canons: list[dict], columns: BatchColumns) -> list[dict]:
        """Every patient's result for one scored model: one graph run for the batch, then per-row dicts. What can
        be computed column-wise (fired items, their order, the weakest tag, outside-derivation flags) is."""
        batch = feature_matrix(spec, columns)
        rows = np.flatnonzero(batch.complete)
        out = self.run_graph(spec.id, batch.x[rows]) if len(rows) else {}
        static = self._static(spec)[2]
        outside = [(rule, columns.truth(scalar, vector)) for scalar, vector, rule in spec.applicability]
        if len(rows):
            summaries = _fired_summaries(out["terms"], static)
            terms = out["terms"].tolist()
            lists = {name: values.tolist() for name, values in out.items() if name != "terms"}
        position = {int(i): k for k, i in enumerate(rows)}

        results = []
        for i, canon in enumerate(canons):
            result = self._base(spec, canon, [rule["note_zh"] for rule, flags in outside if flags[i]])
            undecided = sorted({name for rule, flags in outside if flags[i] is None
                                for name in condition_inputs(rule["when"]) if name not in canon})
            if undecided:
                labels = "、".join(self._schema[name]["label_zh"] for name in undecided)
                result["applicability_note"] += f"（未提供{labels}，无法判断是否超出推导人群。）"
            result["assumed_inputs"] = [name for name in spec.optional if name not in canon]
            k = position.get(i)
            if k is None:
                result.update(status="insufficient_data", confidence=static["weakest_all"],
                              missing_inputs=[name for name in spec.required if name not in canon])
                results.append(result)
                continue
            band = spec.bands[lists["band_index"][k]]
            rank, top, weak = summaries[k]
            tags = [static["rank_tags"][rank]] if rank >= 0 else []
            if spec.kind == "logistic":
                tags.append(spec.intercept_confidence)
                result.update(logit=lists["logit"][k], probability=lists["probability"][k])
            else:
                result["score"] = round(lists["score"][k], 4)
            if band.risk is not None:
                tags.append(band.risk_confidence)
            risk = lists["band_risk"][k]
            result.update(band=band.key, band_label_zh=band.label_zh, level=band.level,
                          band_risk=None if math.isnan(risk) else round(risk, 6))
            if band.risk_secondary is not None:
                result["band_risk_secondary"] = band.risk_secondary
            if "escalated" in lists:
                result["escalated"] = lists["escalated"][k]
                if result["escalated"]:
                    tags.append(spec.raw["escalation"].get("confidence", "V"))
                    result["evidence_note"] += " " + spec.raw["escalation"]["note_zh"]
            variant = spec.raw.get("variant")
            if variant:
                known = all(canon.get(name) is not None for name in variant["inputs"])
                result["variant"] = variant["complete" if known else "incomplete"]
                if not known:
                    result["applicability_note"] += " " + variant["incomplete_note_zh"]
            result["confidence"] = weakest(tags)
            features = spec.features
            if weak:
                labels = "、".join(_label(features[j], canon) for j in weak)
                result["evidence_note"] += f" 本次计算用到的单一来源/未核实系数：{labels}。"
            row_terms = terms[k]
            result["contributions"] = [
                {"factor": features[j].key, "label_zh": _label(features[j], canon), "value": round(row_terms[j], 4)}
                for j in top]
            results.append(result)
        return results

    def _screening_result(self, spec: ModelSpec, rule_set: dict, compiled, used, canon: dict) -> dict:
        result = self._base(spec, canon, [])
        result["inputs"] = {n: canon[n] for n in used if n in canon}
        outcome = screening.screen(rule_set, canon, compiled)
        result.update(level_source="screening", confidence=rule_set.get("confidence", "R"),
                      missing_inputs=outcome["missing"], rule_set_version=str(rule_set.get("version", "")))
        if outcome["evaluable"] == 0:
            result["status"] = "insufficient_data"
            return result
        level = outcome["level"]
        result.update(score=float(outcome["count"]), band=level["level"], band_label_zh=level["label_zh"],
                      level=level["level"],
                      fired_factors=[{"factor": f["key"], "label_zh": f["label_zh"]} for f in outcome["fired"]],
                      contributions=[{"factor": f["key"], "label_zh": f["label_zh"], "value": 1.0}
                                     for f in outcome["fired"]][:TOP_CONTRIBUTIONS])
        if rule_set.get("description_zh"):
            result["evidence_note"] += " " + rule_set["description_zh"]
        return result


def _fired_summaries(terms: np.ndarray, static: dict) -> list[tuple[int, list[int], list[int]]]:
    """Per row of terms: the weakest confidence rank among the fired (non-zero, scored) items, the top fired
    columns by |term| (ties in feature order), and the fired columns whose figure is [S] or [R]."""
    weak_rank = CONFIDENCE_ORDER["S"]
    if len(terms) <= SMALL_BATCH:
        ranks, out = static["ranks_list"], []
        for row in terms.tolist():
            fired = [j for j in static["scoring_idx"] if row[j] != 0.0]
            top = sorted(fired, key=lambda j, r=row: -abs(r[j]))[:TOP_CONTRIBUTIONS]
            out.append((max((ranks[j] for j in fired), default=-1), top, [j for j in fired if ranks[j] >= weak_rank]))
        return out
    fired = (terms != 0.0) & static["scoring"]
    rank = np.where(fired, static["ranks"], -1).max(axis=1, initial=-1).tolist()
    order = np.argsort(-np.where(fired, np.abs(terms), -1.0), axis=1, kind="stable")[:, :TOP_CONTRIBUTIONS].tolist()
    n_top = np.minimum(fired.sum(axis=1), TOP_CONTRIBUTIONS).tolist()
    weak_mask = fired & (static["ranks"] >= weak_rank)
    has_weak = weak_mask.any(axis=1).tolist()
    return [(rank[k], order[k][:n_top[k]], np.flatnonzero(weak_mask[k]).tolist() if has_weak[k] else [])
            for k in range(len(terms))]


def _label(feature, canon: dict) -> str:
    return feature.label_zh.format(value=canon.get(feature.value_input or "", 0)) if feature.value_input \
        else feature.label_zh


def model_card_data(spec: ModelSpec) -> dict:
    """The model card as data (catalogue entry)."""
    raw = spec.raw
    card = {
        "id": spec.id, "name": raw["name"], "name_zh": raw["name_zh"], "version": spec.version,
        "event": raw["event"], "kind": spec.kind, "citation": raw["citation"],
        "derivation_population": raw["derivation_population"], "outcome": raw["outcome"],
        "outcome_zh": raw.get("outcome_zh", ""),
        "applicability_note": raw["applicability_note"], "applicability_note_zh": raw["applicability_note_zh"],
        "evidence_note_zh": raw["evidence_note_zh"], "spec_hash": spec.spec_hash,
        "inputs_required": list(spec.required), "inputs_optional": list(spec.optional),
        "inputs_used": list(spec.inputs_used()),
        "outside_derivation_rules": [{"note": r["note"], "note_zh": r["note_zh"], "when": r["when"]}
                                     for *_, r in spec.applicability],
    }
    if spec.kind == "screening":
        card.update(level_source="screening", rule_set=raw["rule_set"], confidence=None, bands=[],
                    default_rules=screening.default_rules()[raw["rule_set"]])
        return card
    tags = [f.confidence for f in spec.scoring] + [b.risk_confidence for b in spec.bands if b.risk is not None]
    if spec.kind == "logistic":
        tags.append(spec.intercept_confidence)
        card["intercept"] = spec.intercept
    card.update(
        confidence=weakest(tags), level_source=spec.level_source, band_on=spec.band_on,
        bands_note=raw["bands"].get("note", ""), bands_note_zh=raw["bands"].get("note_zh", ""),
        bands=[{"key": b.key, "lower": b.lower, "label": b.label, "label_zh": b.label_zh, "level": b.level,
                "level_label_zh": _LEVEL_ZH[b.level], "risk": b.risk, "risk_confidence": b.risk_confidence,
                "risk_secondary": b.risk_secondary, "note": b.note} for b in spec.bands],
        features=[{"key": f.key, "label": f.label, "label_zh": f.label_zh, "weight": f.weight,
                   "confidence": f.confidence, "when": f.cond, "value": f.value_input, "aux": f.aux}
                  for f in spec.features],
        reference_categories=list(raw.get("reference_categories", [])),
        examples=list(raw.get("examples", [])),
    )
    return card


_default: RiskEngine | None = None
_lock = threading.Lock()


def default_engine() -> RiskEngine:
    """The process-wide engine; the first call loads (and if needed builds) every graph, exactly once."""
    global _default
    if _default is None:
        with _lock:
            if _default is None:
                _default = RiskEngine()
    return _default
