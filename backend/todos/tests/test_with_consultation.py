"""SA7 with the real consultation context: a patient's wound consultation and chat messages open the care team's
to-dos; the staff answer and reply close them (one to-do per consultation / conversation, not per message)."""

import pytest

from tests.builders import make_case, make_patient_account
from todos.models import Todo, TodoStatus
from todos.tests.conftest import deliver

pytestmark = [pytest.mark.django_db, pytest.mark.req("SA7")]


@pytest.fixture
def object_store(tmp_path):
    from integrations.adapters.storage import LocalObjectStorage
    from integrations.registry import override_port

    with override_port("storage", LocalObjectStorage(root=tmp_path / "objects")) as adapter:
        yield adapter


def test_wound_consultation_and_chat_todos_follow_the_conversation(world, object_store):
    from consultation.services import message_send, wound_consultation_answer, wound_consultation_submit
    from consultation.tests.conftest import camera_jpeg, upload_files
    from todos.selectors import todo_list

    case = make_case("discharged", ward=world["ward_a"], surgeon=world["doctor_a"])
    patient = make_patient_account(patient=case.patient)
    consultation = wound_consultation_submit(actor=patient, case=case, photos=upload_files(camera_jpeg()),
                                             description="切口有点红")
    message_send(actor=patient, case=case, body="医生您好，今天可以洗澡吗？")
    message_send(actor=patient, case=case, body="伤口有点痒")
    deliver()
    open_kinds = sorted(t.kind for t in todo_list(world["nurse_a"]))
    assert open_kinds == ["answer_wound_consultation", "reply_consultation"]
    wound = Todo.objects.get(kind="answer_wound_consultation")
    assert wound.subject == str(consultation.uuid) and wound.assignee == world["doctor_a"]
    assert todo_list(world["nurse_b"]).count() == 0

    wound_consultation_answer(actor=world["doctor_a"], consultation=consultation, answer="属正常愈合反应",
                              advice="home_care")
    message_send(actor=world["nurse_a"], case=case, body="一周内避免淋浴，可擦浴。")
    deliver()
    assert set(Todo.objects.values_list("status", flat=True)) == {TodoStatus.CLOSED}
