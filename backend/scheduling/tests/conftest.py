"""Fixtures of the theatre scheduling tests: a hospital with a theatre suite whose room codes are the theatre
system's (OR-01…OR-04), a day-surgery ward with a surgeon the theatre knows by employee number, and the hospital
simulator playing the theatre system over real HTTP (scheduling only when a test says so)."""

import itertools
from datetime import datetime, time, timedelta

import pytest
import requests
from django.db import transaction
from django.utils import timezone

from cases.services import case_transition
from integrations.testing import sim_get, sim_post
from org.models import TheatreRoom, TheatreSuite
from tests.builders import make_case, make_department, make_hospital, make_staff, make_ward

_n = itertools.count(1)


class Theatre:
    """The simulated theatre system (手麻/排程), seen from the test."""

    def __init__(self, base_url):
        self.base = base_url

    def applications(self, **match):
        items = sim_get(self.base, "theatre")["items"]
        return [a for a in items if all(a.get(k) == v for k, v in match.items())]

    def application(self, number):
        found = self.applications(application_no=number)
        return found[0] if found else None

    def schedule(self, number, *, room="OR-02", sequence=1, start=None, day=None):
        start = start or timezone.make_aware(datetime.combine(day or timezone.localdate(), time(8, 30)))
        return sim_post(self.base, f"theatre/applications/{number}/schedule",
                        {"room": room, "sequence": sequence, "scheduled_start": start.isoformat()})

    def cancel(self, number, reason="手术间检修"):
        return sim_post(self.base, f"theatre/applications/{number}/cancel", {"reason": reason})

    def fault(self, path="/theatre/applications", status=503, count=3):
        sim_post(self.base, "faults", {"path": path, "status": status, "count": count})

    def clear_faults(self):
        requests.delete(f"{self.base}/_sim/faults", timeout=5).raise_for_status()


@pytest.fixture
def theatre(hospital_sim):
    """The session simulator with automatic scheduling off (a test schedules explicitly); restored after."""
    before = sim_get(hospital_sim, "theatre")["delay_seconds"]
    sim_post(hospital_sim, "config", {"theatre_delay_seconds": 36000})
    t = Theatre(hospital_sim)
    yield t
    t.clear_faults()
    sim_post(hospital_sim, "config", {"theatre_delay_seconds": before})


@pytest.fixture
def world(db):
    """Hospital, a theatre suite with rooms OR-01…OR-04, two wards (A, B) of two departments, staff."""
    hospital, campus = make_hospital()
    suite = TheatreSuite.objects.create(campus=campus, name="日间手术室", code=f"DS-OR-{next(_n)}")
    rooms = {code: TheatreRoom.objects.create(suite=suite, code=code, name=f"{code[-1]}号手术间")
             for code in ("OR-01", "OR-02", "OR-03", "OR-04")}
    gs = make_department(code=f"GS{next(_n)}", name="普外科", hospital=hospital)
    oph = make_department(code=f"OPH{next(_n)}", name="眼科", hospital=hospital)
    ward_a = make_ward(department=gs, name="日间病区A")
    ward_b = make_ward(department=oph, name="日间病区B")
    surgeon = make_staff("doctor", ward=ward_a, name="李主刀", employee_no=f"E{next(_n):04d}")
    surgeon_b = make_staff("doctor", ward=ward_b, name="王主刀", employee_no=f"E{next(_n):04d}")
    nurse = make_staff("nurse", ward=ward_a, name="周护士")
    nurse_b = make_staff("nurse", ward=ward_b, name="吴护士")
    admin = make_staff("hospital_admin", department=gs, name="陈管理员")
    return {"hospital": hospital, "suite": suite, "rooms": rooms, "ward": ward_a, "ward_b": ward_b,
            "gs": gs, "oph": oph, "surgeon": surgeon, "surgeon_b": surgeon_b, "nurse": nurse, "nurse_b": nurse_b,
            "admin": admin}


@pytest.fixture
def deliver(django_capture_on_commit_callbacks):
    """Run `fn`, then deliver the outbox messages it wrote to the scheduling handlers, as a worker would (each in
    its own transaction, recorded as delivered). Other contexts' consumers are left out to keep these tests fast
    and independent of them; the transactional tests here run every consumer for real."""
    from core.models import OutboxDelivery, OutboxMessage
    from core.outbox import handlers_for

    def run(fn, *args, **kwargs):
        last = OutboxMessage.objects.order_by("-id").values_list("id", flat=True).first() or 0
        with django_capture_on_commit_callbacks(execute=False):
            result = fn(*args, **kwargs)
        while True:
            messages = list(OutboxMessage.objects.filter(id__gt=last).order_by("id"))
            if not messages:
                return result
            for message in messages:
                last = message.id
                for handler in handlers_for(message.topic):
                    if handler.name.startswith("scheduling.") and handler.wants(message):
                        with transaction.atomic():
                            handler.func(message)
                            OutboxDelivery.objects.create(message=message, handler=handler.name)

    return run


@pytest.fixture
def send(world, deliver):
    """A booked case of ward A (planned `days` from today), its application sent and delivered to the theatre."""

    def make(*, days=1, ward=None, surgeon=None, **case_kwargs):
        ward = ward or world["ward"]
        surgeon = surgeon or (world["surgeon"] if ward == world["ward"] else world["surgeon_b"])
        case = booked(ward=ward, surgeon=surgeon, days=days, **case_kwargs)
        deliver(case_transition, case=case, transition="send_application", actor=None)
        case.refresh_from_db()
        return case

    return make


def booked(*, ward, surgeon, days=1, **kwargs):
    """A booked case with both assessments passed (ready to send)."""
    from cases.services import case_record_milestone

    case = make_case("booked", ward=ward, surgeon=surgeon, planned_date=timezone.localdate() + timedelta(days=days),
                     **kwargs)
    case_record_milestone(case=case, milestone="preop_assessment", status="passed", actor=None)
    case_record_milestone(case=case, milestone="anaesthesia_clinic", status="passed", actor=None)
    case.refresh_from_db()
    return case


def event_types(case, prefix=""):
    return [e.type for e in case.events.order_by("sequence") if e.type.startswith(prefix)]
