"""The demo risk set-up: the simulator's catalogue gets its profiles once; a second run adds nothing."""

import pytest

from catalog.services import procedure_create
from hospital_sim.data import PROCEDURES
from risk import selectors
from risk.demo import PROFILES, seed_risk
from risk.models import KnowledgeBaseVersion, ProcedureRiskProfile
from tests.builders import make_hospital

pytestmark = pytest.mark.django_db


@pytest.mark.req("A1", "A7")
def test_seed_risk_is_idempotent_and_covers_the_simulator_catalogue():
    assert set(PROFILES) == {row[0] for row in PROCEDURES}  # every simulator procedure has a mapping
    hospital, _ = make_hospital()
    for code, name, grade, incision, _dept in PROCEDURES[:12] + PROCEDURES[30:40]:
        procedure_create(actor=None, code=code, name=name, grade=grade, incision_class=incision)
    first = seed_risk(hospital, write=lambda line: None)
    assert first == {"knowledge_base_version": 1, "profiles": 22, "without_profile": 0}
    assert seed_risk(hospital, write=lambda line: None)["profiles"] == 0
    assert KnowledgeBaseVersion.objects.filter(hospital=hospital).count() == 1
    polypectomy = ProcedureRiskProfile.objects.get(procedure__code="45.42").procedure
    assert selectors.procedure_type_for(polypectomy) == "colonoscopy"
    cataract = ProcedureRiskProfile.objects.get(procedure__code="13.41").procedure
    assert "procedure_category" not in selectors.procedure_risk_inputs(cataract)  # no Gupta group for the eye
