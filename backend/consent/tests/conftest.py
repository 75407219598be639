"""Consent test world: a ward with a surgeon, an anaesthetist known to the simulated CA, a nurse, a hospital
administrator, the default templates, and an assessment of a day-surgery case."""

from io import BytesIO

import pytest
from PIL import Image, ImageDraw

from tests.builders import authenticate, make_case, make_patient, make_staff


def signature_png(*, size=(400, 160), strokes=True, colour=(20, 20, 120), background=(255, 255, 255, 0),
                  seed=0) -> bytes:
    """A signature-pad image: transparent (or coloured) background, a few pen strokes."""
    image = Image.new("RGBA", size, background)
    if strokes:
        draw = ImageDraw.Draw(image)
        w, h = size
        points = [(20 + i * (w - 40) // 12, h // 2 + ((i * 37 + seed * 11) % 50) - 25) for i in range(13)]
        draw.line(points, fill=colour, width=4)
        draw.line([(w // 3, 20), (w // 3 + 30, h - 20)], fill=colour, width=3)
    out = BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def templates(hospital):
    from consent.services import consent_templates_ensure_default

    consent_templates_ensure_default(hospital)
    return hospital


@pytest.fixture
def anaesthetist(ward, hospital_sim):
    from integrations.testing import sim_staff

    roster = sim_staff(hospital_sim, role="anaesthetist")[0]
    return make_staff("anaesthetist", ward=ward, name=roster["name"], employee_no=roster["employee_no"])


@pytest.fixture
def admin(ward):
    return make_staff("hospital_admin", ward=ward)


@pytest.fixture
def case(ward):
    return make_case("booked", ward=ward, patient=make_patient(name="李秀兰", sex="F"))


@pytest.fixture
def assessment(case):
    from anaesthesia.models import AnaesthesiaAssessment, ProcedureKind

    return AnaesthesiaAssessment.objects.create(ward=case.ward, patient=case.patient, case=case,
                                                procedure_kind=ProcedureKind.DAY_SURGERY)


@pytest.fixture
def client_as(api_client):
    def login(user):
        return authenticate(api_client, user)

    return login
