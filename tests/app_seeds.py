"""Each bounded context's own patient-bearing rows for the cross-cutting tests.

A context that keeps patient data of its own (assessments, lab results, consents...) offers
`<app>/testing.py: seed_rows(*, ward, patient, case)`; the authorisation matrix and the schema fuzzer call every
one of them, so a new context's rows are probed without editing those tests.
"""

import importlib

from django.apps import apps


def seed_app_rows(*, ward, patient, case):
    seeded = []
    for config in apps.get_app_configs():
        module_name = f"{config.name}.testing"
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue
            raise
        seed = getattr(module, "seed_rows", None)
        if seed is not None:
            seed(ward=ward, patient=patient, case=case)
            seeded.append(config.name)
    return seeded
