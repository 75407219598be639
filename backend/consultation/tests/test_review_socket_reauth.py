"""Review R1: a conversation socket is authorised again for every pushed message, not only on connect and on the
client's own actions: a nurse moved out of the case's ward (or an account disabled) hears no further message
texts of a patient they may no longer read."""

import pytest
from channels.db import database_sync_to_async

from consultation.tests.test_conversations import (
    _receive_until,
    _ticket,
    close_worker_connections,
    communicator,
)

__all__ = ["close_worker_connections"]  # the fixture, imported for this module's tests


def _move_out(nurse):
    nurse.wards.clear()
    nurse.department = None
    nurse.save(update_fields=["department"])


def _patient_sends(account, case, body):
    from consultation.services import message_send

    message_send(actor=account, case=case, body=body)


@pytest.mark.req("PA8")
@pytest.mark.django_db(transaction=True)
async def test_a_nurse_moved_out_of_the_ward_hears_no_more_messages(close_worker_connections, account, case,
                                                                     nurse, doctor):
    nurse_ws = communicator(case.uuid, await _ticket(nurse))
    assert (await nurse_ws.connect())[0]
    assert (await nurse_ws.receive_json_from())["type"] == "ready"
    doctor_ws = communicator(case.uuid, await _ticket(doctor))
    assert (await doctor_ws.connect())[0]
    assert (await doctor_ws.receive_json_from())["type"] == "ready"

    await database_sync_to_async(_patient_sends)(account, case, "第一条")
    first = await _receive_until(nurse_ws, lambda m: m["type"] == "event")
    assert first["payload"]["message"]["body"] == "第一条"
    await _receive_until(doctor_ws, lambda m: m["type"] == "event")

    await database_sync_to_async(_move_out)(nurse)
    await database_sync_to_async(_patient_sends)(account, case, "伤口很疼，还在渗血")
    # the doctor still in the ward hears it; the nurse's socket is refused and closed without the text
    heard = await _receive_until(doctor_ws, lambda m: m["type"] == "event")
    assert heard["payload"]["message"]["body"] == "伤口很疼，还在渗血"
    seen = []
    while True:
        output = await nurse_ws.receive_output(timeout=3)
        seen.append(output)
        if output["type"] == "websocket.close":
            break
    assert output["code"] == 4403
    assert "渗血" not in str(seen)

    await database_sync_to_async(lambda: type(doctor).objects.filter(pk=doctor.pk).update(is_active=False))()
    await database_sync_to_async(_patient_sends)(account, case, "还有发热")
    seen = []
    while True:
        output = await doctor_ws.receive_output(timeout=3)
        seen.append(output)
        if output["type"] == "websocket.close":
            break
    assert output["code"] == 4401 and "发热" not in str(seen)
    await nurse_ws.disconnect()
    await doctor_ws.disconnect()
