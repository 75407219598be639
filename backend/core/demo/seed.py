"""Seed the demo hospital (issue item 11): organisation, staff, procedures, patients and their cases.

Idempotent: every row is found by its natural key (codes, phone numbers, 登记号) before it is created, so
running it twice changes nothing. Staff, procedures and patients come from the hospital simulator through
the HIS port when it answers (so demo logins match real-name registration), else from the deterministic
lists in `core.demo.fallback`. Cases are driven through the case services so every state is reached by
legal transitions.
"""

import logging
import time
from dataclasses import dataclass, field
from datetime import time as dtime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.demo import fallback

logger = logging.getLogger(__name__)

HOSPITAL_CODE = "DEMO"
HOSPITAL_NAME = "示范市第一人民医院"
CAMPUS_CODE = "MAIN"

# The simulator's department codes (backend/hospital_sim) and their names.
DEPARTMENTS = [
    ("GS", "普外科"),
    ("ORTH", "骨科"),
    ("OPH", "眼科"),
    ("ENT", "耳鼻喉科"),
    ("GYN", "妇科"),
    ("URO", "泌尿外科"),
    ("ANES", "麻醉科"),
    ("DSC", "日间手术中心"),
]
SURGICAL_DEPARTMENTS = ("GS", "ORTH", "OPH", "ENT", "GYN", "URO")

# (code, name, department, management mode, beds, location) — one ward per management mode.
WARDS = [
    ("DSC-W", "日间手术中心病区", "DSC", "centre", 20, "门诊楼5层"),
    ("GS-DW", "普外科病房日间", "GS", "ward", 8, "住院部8层东"),
    ("OPD-OR", "门诊手术室", "OPH", "outpatient", 4, "门诊楼3层"),
]

# Demo password for accounts that need one: the hospital administrator (admin web: password + SMS code)
# and the Django superuser. Override with DEMO_ADMIN_PASSWORD.
DEFAULT_DEMO_PASSWORD = "DaySurgery-2026"
SUPERUSER_PHONE = "13800009999"
VIRTUAL_SURGEON_NO = "VIRTUAL-01"


def demo_password():
    import os

    return os.environ.get("DEMO_ADMIN_PASSWORD", DEFAULT_DEMO_PASSWORD)


class Progress:
    """Prints one line per step and, for long steps, a few lines as it goes ("patients 120/200")."""

    def __init__(self, write):
        self.write = write

    def run(self, name, items, fn, *, every=None):
        items = list(items)
        total = len(items)
        every = every or max(1, total // 4)
        started = time.monotonic()
        done = 0
        for done, item in enumerate(items, 1):
            fn(item)
            if done % every == 0 and done != total:
                self.write(f"  {name} {done}/{total}")
        self.write(f"  {name} {done}/{total} ({time.monotonic() - started:.1f}s)")
        return total


@dataclass
class SeedReport:
    source: str = "local"
    counts: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)
    seconds: float = 0.0


class DemoSeeder:
    def __init__(self, *, write=print, patients=200, use_his=True):
        self.write = write
        self.progress = Progress(write)
        self.patient_count = patients
        self.use_his = use_his
        self.report = SeedReport()
        self.departments = {}
        self.wards = {}
        self.users_by_role = {}
        self.latest_visit = {}  # 登记号 → the latest visit number (from the simulator's index)
        self.visit_by_patient = {}

    # ---------------------------------------------------------------------------------------------------------
    def run(self) -> SeedReport:
        started = time.monotonic()
        his = self._his_port()
        self.report.source = "his" if his is not None else "local"
        self.write(
            "data source: hospital simulator HIS at " + settings.HOSPITAL_SIM_URL
            if his is not None
            else "data source: the simulator's generator in-process (its HIS did not answer)"
        )
        from accounts.permissions import sync_permissions

        sync_permissions()
        with transaction.atomic():
            self._seed_org()
            self._seed_staff(his)
            self._seed_groups()
            self._seed_theatre()
        self._seed_procedures(his)
        self._seed_booking_setup()
        self._seed_patients(his)
        self._seed_cases()
        self._seed_booking_policy()
        self._seed_anaesthesia_clinic()
        self._seed_preop_pathway()
        self._seed_superuser()
        self.report.seconds = time.monotonic() - started
        self.write(f"seeded in {self.report.seconds:.1f}s: " + ", ".join(f"{k} {v}" for k, v in self.report.counts.items()))
        for note in self.report.notes:
            self.write(f"note: {note}")
        return self.report

    def _seed_booking_setup(self):
        """Catalogue extras (test packages, notices, admitted doctors), resources and a quota (issue 3)."""
        from capacity.demo import seed_capacity
        from catalog.demo import seed_catalog_extras

        counts = seed_catalog_extras(self.hospital)
        self.write("  catalogue extras: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
        seed_capacity(self.hospital, write=self.write)

    def _seed_booking_policy(self):
        """Admission rules and booking-mode grants: after the cases, because the seeded patients were not chosen
        to fit the rules; they apply to every booking made in the demo."""
        from booking_policy.demo import seed_booking_policy

        seed_booking_policy(self.hospital, write=self.write)

    def _seed_anaesthesia_clinic(self):
        """The risk knowledge base and procedure risk profiles, consent templates, this visit's lab and exam
        results of the demo cases, the sedated-endoscopy lists, and assessments at each stage (issue 4)."""
        from anaesthesia.demo import seed_anaesthesia
        from clinical.demo import seed_clinical
        from consent.demo import seed_consent
        from risk.demo import seed_risk

        seed_risk(self.hospital, write=self.write)
        seed_consent(self.hospital, write=self.write)
        seed_clinical(self.hospital, write=self.write)
        seed_anaesthesia(self.hospital, write=self.write)

    def _seed_preop_pathway(self):
        """Doctor assessments and high-risk findings, theatre schedules, stays from admission to discharge, then the
        bed-card icons and timelines derived from all those events (issue 5)."""
        from doctor_assessment.demo import seed_doctor_assessment
        from preop.demo import seed_preop
        from scheduling.demo import seed_scheduling
        from stay.demo import seed_stay
        from timeline.demo import seed_timeline

        seed_doctor_assessment(self.hospital, write=self.write)
        seed_scheduling(self.hospital, write=self.write)
        seed_stay(self.hospital, write=self.write)
        self._seed_aftercare()
        seed_preop(self.hospital, write=self.write)
        seed_timeline(self.hospital, write=self.write)

    def _seed_aftercare(self):
        """Questionnaires, education readings, follow-ups, consultations, first-week plans, messages and to-dos
        (issue 6) — before the bed cards and timelines, which are derived from their events."""
        from consultation.demo import seed_consultation
        from education.demo import seed_education
        from followup.demo import seed_followup
        from forms.demo import seed_forms
        from messaging.demo import seed_messaging
        from recovery.demo import seed_recovery
        from todos.demo import seed_todos

        for seed in (seed_forms, seed_education, seed_followup, seed_consultation, seed_recovery, seed_messaging,
                     seed_todos):
            seed(self.hospital, write=self.write)

    def _his_port(self):
        if not self.use_his:
            return None
        from integrations.registry import get_port

        try:
            port = get_port("his")
            port.procedure_catalogue()  # a cheap probe: is the HIS there?
        except Exception as exc:  # no adapter configured or the simulator is down: fall back, say so
            logger.debug("demo seed: HIS port unavailable (%s); using local lists", exc)
            return None
        return port

    # ---------------------------------------------------------------------------------------------------------
    def _seed_org(self):
        from org.models import Bed, Campus, Department, Hospital, Ward

        hospital, _ = Hospital.objects.get_or_create(code=HOSPITAL_CODE, defaults={"name": HOSPITAL_NAME})
        campus, _ = Campus.objects.get_or_create(hospital=hospital, code=CAMPUS_CODE, defaults={"name": "本部院区"})
        self.hospital, self.campus = hospital, campus
        for code, name in DEPARTMENTS:
            self.departments[code], _ = Department.objects.get_or_create(
                hospital=hospital, code=code, defaults={"name": name, "campus": campus}
            )
        beds = 0
        for code, name, dept, mode, bed_count, location in WARDS:
            ward, _ = Ward.objects.get_or_create(
                code=code,
                defaults={
                    "name": name,
                    "department": self.departments[dept],
                    "campus": campus,
                    "management_mode": mode,
                    "location": location,
                },
            )
            self.wards[mode] = ward
            for n in range(1, bed_count + 1):
                Bed.objects.get_or_create(ward=ward, code=f"{n:02d}", defaults={"is_day_bed": True})
            beds += bed_count
        self.report.counts.update(departments=len(DEPARTMENTS), wards=len(WARDS), beds=beds)
        self.write(f"  organisation: 1 hospital, 1 campus, {len(DEPARTMENTS)} departments, {len(WARDS)} wards, {beds} day beds")

    # ---------------------------------------------------------------------------------------------------------
    def _roster(self, his):
        if his is not None:
            try:
                roster = list(his.list_staff())
            except Exception as exc:
                self.report.notes.append(f"HIS staff roster unavailable ({exc}); local roster used")
                roster = []
            if roster:
                present = {m.role for m in roster}
                # roles the simulator's roster lacks come from the local list, so every role can log in
                roster += [m for m in fallback.staff() if m.role not in present]
                return roster
        return fallback.staff()

    def _seed_staff(self, his):
        from accounts.models import Role, User

        roles = {r.slug: r for r in Role.objects.all()}
        roster = [m for m in self._roster(his) if m.role in roles and m.department_code in self.departments]
        ward_all = list(self.wards.values())
        centre, day_ward, outpatient = self.wards["centre"], self.wards["ward"], self.wards["outpatient"]
        now = timezone.now()

        # Hold back one follow-up nurse of the roster: the demo's example of real-name registration.
        followups = [m for m in roster if m.role == "followup_nurse"]
        self.unregistered = followups[-1] if len(followups) >= 2 else None
        if self.unregistered is not None:
            roster.remove(self.unregistered)
        # Nurses of the centre's department staff the three wards: most the centre, one the general-surgery
        # day ward and one outpatient surgery, the last two restricted to that management mode.
        dsc_nurses = [m for m in roster if m.role == "nurse" and m.department_code == "DSC"]
        nurse_posts = {}
        if len(dsc_nurses) >= 3:
            nurse_posts[dsc_nurses[-2].employee_no] = ([day_ward], ["ward"])
            nurse_posts[dsc_nurses[-1].employee_no] = ([outpatient], ["outpatient"])

        def wards_for(member):
            if member.role in ("anaesthetist", "followup_nurse"):
                return ward_all, []
            if member.role == "doctor":
                # every surgeon operates in the centre; department wards come with their department
                # (general surgery: its day ward, ophthalmology: outpatient surgery); ENT shares outpatient surgery
                return ([centre, outpatient] if member.department_code == "ENT" else [centre]), []
            if member.role == "nurse":
                if member.employee_no in nurse_posts:
                    return nurse_posts[member.employee_no]
                return {"DSC": [centre], "GS": [day_ward], "OPH": [outpatient]}.get(member.department_code, [centre]), []
            return [], []

        def upsert(member):
            user = User.objects.filter(phone=member.phone).first() if member.phone else None
            if user is None and member.employee_no:
                user = User.objects.filter(employee_no=member.employee_no).first()
            if user is None:
                user = User(phone=member.phone or None)
                user.set_unusable_password()
            user.name = member.name
            user.employee_no = member.employee_no
            user.title = member.title
            user.id_number = member.id_number
            user.department = self.departments[member.department_code]
            user.real_name_verified_at = user.real_name_verified_at or now
            wards, modes = wards_for(member)
            user.management_modes = modes
            if member.role == "hospital_admin" and not user.check_password(demo_password()):
                user.set_password(demo_password())  # the banner prints it: it must work
            user.save()
            user.roles.add(roles[member.role])
            user.wards.add(*wards)
            self.users_by_role.setdefault(member.role, []).append(user)

        self.progress.run("staff", roster, upsert)
        # the virtual surgeon (虚拟医生): a placeholder for bookings whose surgeon is not yet decided
        virtual, _ = User.objects.get_or_create(
            employee_no=VIRTUAL_SURGEON_NO,
            defaults={"name": "虚拟医生", "is_virtual": True, "department": self.departments["GS"], "phone": None},
        )
        if virtual.has_usable_password():  # a placeholder never logs in
            virtual.set_unusable_password()
        virtual.is_virtual = True
        virtual.save()
        virtual.roles.add(roles["doctor"])
        virtual.wards.add(centre)
        self.virtual_surgeon = virtual
        by_role = {role: len(users) for role, users in self.users_by_role.items()}
        self.report.counts.update({f"staff:{k}": v for k, v in sorted(by_role.items())})
        self.report.counts["staff:virtual_surgeon"] = 1

    def _seed_groups(self):
        from org.models import MedicalGroup

        surgeons = [u for u in self.users_by_role.get("doctor", []) if not u.is_virtual]
        groups = 0
        for code in SURGICAL_DEPARTMENTS:
            dept_surgeons = [u for u in surgeons if u.department_id == self.departments[code].pk]
            # two groups per department when it has four or more surgeons; the first of each leads
            halves = 2 if len(dept_surgeons) >= 4 else 1
            size = -(-len(dept_surgeons) // halves) if dept_surgeons else 0
            for n, start in enumerate(range(0, len(dept_surgeons), size or 1), 1):
                members = dept_surgeons[start : start + size]
                group, _ = MedicalGroup.objects.get_or_create(
                    department=self.departments[code],
                    name=f"{self.departments[code].name}{n}组",
                    defaults={"leader": members[0]},
                )
                group.members.add(*members)
                if code == "GS" and n == 1:
                    group.members.add(self.virtual_surgeon)
                groups += 1
        self.report.counts["medical_groups"] = groups
        self.write(f"  medical groups: {groups} (virtual surgeon 虚拟医生 in {self.departments['GS'].name}1组)")

    def _seed_theatre(self):
        from org.models import TheatreRoom, TheatreSession, TheatreSuite

        suite, _ = TheatreSuite.objects.get_or_create(
            code="DS-OR", defaults={"name": "日间手术室", "campus": self.campus}
        )
        rooms = [("OR1", "1号手术间"), ("OR2", "2号手术间"), ("OR3", "3号手术间"), ("OR4", "4号手术间"), ("OPD", "门诊手术间")]
        sessions = 0
        for code, name in rooms:
            room, _ = TheatreRoom.objects.get_or_create(suite=suite, code=code, defaults={"name": name})
            for weekday in range(5):
                for start, end in ((dtime(8, 0), dtime(12, 0)), (dtime(13, 30), dtime(17, 30))):
                    TheatreSession.objects.get_or_create(room=room, weekday=weekday, start_time=start, defaults={"end_time": end})
                    sessions += 1
        self.report.counts.update(theatre_rooms=len(rooms), theatre_sessions=sessions)
        self.write(f"  theatre: 1 suite, {len(rooms)} rooms, {sessions} open sessions (Mon–Fri 08:00–12:00, 13:30–17:30)")

    # ---------------------------------------------------------------------------------------------------------
    def _seed_procedures(self, his):
        from catalog.models import Procedure, ProcedureWard
        from catalog.services import procedure_create, procedure_sync_from_his, procedure_update

        admin = None  # the seed acts as the system: the audit log says so rather than naming an administrator
        if his is not None:
            result = procedure_sync_from_his(actor=admin, hospital=self.hospital)
            self.write(
                f"  procedures from the HIS: {result.created} created, {result.updated} updated, "
                f"{result.unchanged} unchanged, {result.deactivated} disabled"
            )
        else:
            existing = set(Procedure.objects.values_list("code", flat=True))
            missing = [p for p in fallback.PROCEDURES if p[0] not in existing]

            def create(row):
                code, name, grade, incision, dept = row
                procedure_create(
                    actor=admin, code=code, name=name, grade=grade, incision_class=incision,
                    department=self.departments.get(dept),
                )

            self.progress.run("procedures (local list)", missing, create)

        # Local settings the hospital owns, applied once to procedures no ward admits yet (a re-run leaves
        # an administrator's later edits alone): anaesthesia clinic for grade ≥ 3, duration by grade, and
        # which wards admit what (Y4): the centre admits grade 1–3 of every specialty, the general-surgery
        # day ward its own department, outpatient surgery ophthalmology and ENT grade 1–2 with a 0/Ⅰ class incision.
        duration = {1: 30, 2: 60, 3: 90, 4: 120}
        centre, day_ward, outpatient = self.wards["centre"], self.wards["ward"], self.wards["outpatient"]
        configured = set(ProcedureWard.objects.values_list("procedure_id", flat=True))
        new_links = []
        fresh = [p for p in Procedure.objects.filter(is_active=True).select_related("department") if p.pk not in configured]
        for p in fresh:
            changes = {"requires_anaesthesia_clinic": p.grade >= 3, "default_duration_minutes": duration[p.grade]}
            changes = {k: v for k, v in changes.items() if getattr(p, k) != v}
            if changes:
                procedure_update(actor=admin, procedure=p, **changes)
            dept = p.department.code if p.department_id else ""
            for ward, admits in (
                (centre, p.grade <= 3),
                (day_ward, dept == "GS"),
                (outpatient, p.grade <= 2 and p.incision_class in ("0类", "Ⅰ类") and dept in ("OPH", "ENT")),
            ):
                if admits:
                    new_links.append(ProcedureWard(procedure=p, ward=ward))
        ProcedureWard.objects.bulk_create(new_links, ignore_conflicts=True)
        self.report.counts["procedures"] = Procedure.objects.filter(is_active=True).count()
        self.write(f"  procedures: {self.report.counts['procedures']} active, {len(new_links)} new ward admissions")

    # ---------------------------------------------------------------------------------------------------------
    def _patient_index(self, his):
        if his is not None:
            try:
                found = self._his_patients(his)
                if found:
                    return found
            except Exception as exc:
                self.report.notes.append(f"HIS patient index unavailable ({exc}); local patients used")
        return fallback.patients(self.patient_count)

    def _his_patients(self, his):
        """The simulator's patient index lists the 登记号s (a demo helper: a real HIS offers no "list all");
        each record is then resolved through the HIS port, as real-name binding does."""
        import json
        import urllib.request

        with urllib.request.urlopen(settings.HOSPITAL_SIM_URL.rstrip("/") + "/_sim/patients", timeout=10) as resp:  # noqa: S310
            items = json.loads(resp.read())["items"][: self.patient_count]
        # The latest outpatient visit is the one a booking comes from: its lab and exam results are "this visit's".
        self.latest_visit = {item["reg_no"]: item["visit_nos"][-1] for item in items if item.get("visit_nos")}
        rows = []
        for item in items:
            matches = his.find_patient(reg_no=item["reg_no"])
            if matches:
                rows.append(matches[0])
        return rows

    def _seed_patients(self, his):
        from cases.models import PatientIdentifier
        from cases.services import patient_get_or_create_from_his

        rows = self._patient_index(his)
        wanted = {PatientIdentifier.index_for("reg_no", r.reg_no): r for r in rows}
        existing = dict(
            PatientIdentifier.objects.filter(system="reg_no", value_index__in=list(wanted)).values_list(
                "value_index", "patient_id"
            )
        )
        patients = {}

        def upsert(row):
            key = PatientIdentifier.index_for("reg_no", row.reg_no)
            if key in existing:
                patients[row.reg_no] = existing[key]
                return
            patient, _ = patient_get_or_create_from_his(his_patient=row, actor=None)
            patients[row.reg_no] = patient.pk

        with transaction.atomic():
            self.progress.run("patients", rows, upsert, every=max(1, len(rows) // 5))
        self.patient_ids = [patients[r.reg_no] for r in rows]
        self.visit_by_patient = {patients[r.reg_no]: self.latest_visit[r.reg_no]
                                 for r in rows if r.reg_no in self.latest_visit}
        self.report.counts["patients"] = len(self.patient_ids)

    # ---------------------------------------------------------------------------------------------------------
    def _seed_cases(self):
        from core.demo import cases as demo_cases

        counts = demo_cases.seed_cases(self)
        self.report.counts.update({f"cases:{k}": v for k, v in counts.items()})

    def _seed_superuser(self):
        from accounts.models import User

        user = User.objects.filter(phone=SUPERUSER_PHONE).first()
        if user is None:
            User.objects.create_superuser(SUPERUSER_PHONE, demo_password(), name="系统管理员")
            self.write(f"  Django superuser {SUPERUSER_PHONE} created")
        elif not user.check_password(demo_password()):
            user.set_password(demo_password())
            user.save(update_fields=["password"])


def demo_logins():
    """One login per role for the printed banner: (role, name, phone, password or "")."""
    from accounts.models import User

    rows = []
    for role in ("doctor", "nurse", "anaesthetist", "followup_nurse", "hospital_admin", "quality_manager"):
        user = (
            User.objects.filter(roles__slug=role, is_active=True, is_virtual=False, phone__isnull=False)
            .exclude(phone="")
            .order_by("id")
            .first()
        )
        if user is not None:
            password = demo_password() if role == "hospital_admin" else ""
            rows.append((role, user.name, user.phone, password))
    return rows
