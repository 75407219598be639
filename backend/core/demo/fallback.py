"""The demo seed's data when the hospital simulator's HIS does not answer: the simulator's own generator, run
in-process.

The simulator is the preferred source (seeding through the HIS port exercises the real adapters); this keeps
`seed_demo` working on a machine where it is not running, with the same synthetic hospital (same roster, same
patients, same catalogue) rather than a second, differently made-up one.
"""

from functools import cache

from hospital_sim import data
from integrations.ports.his import HisPatient, HisStaffMember, Identifier

_INCISION_NAMES = {"0": "0类", "I": "Ⅰ类", "II": "Ⅱ类", "III": "Ⅲ类"}
# (code, name, grade, incision class name, department code) — the simulator's day-surgery catalogue.
PROCEDURES = [(code, name, grade, _INCISION_NAMES[incision], dept) for code, name, grade, incision, dept in
              data.PROCEDURES]


@cache
def _hospital(patients: int) -> data.Hospital:
    return data.Hospital(patients=patients)


def staff() -> list[HisStaffMember]:
    return [HisStaffMember(employee_no=s.employee_no, name=s.name, id_number=s.id_number, phone=s.phone,
                           department_code=s.department_code, role=s.role, title=s.title)
            for s in _hospital(0).staff]


def patients(count=200) -> list[HisPatient]:
    return [HisPatient(reg_no=p.reg_no, name=p.name, sex=p.sex, birth_date=p.birth_date, phone=p.phone,
                       id_number=p.id_number, address=p.address,
                       identifiers=(Identifier("reg_no", p.reg_no), Identifier("outpatient_no", p.outpatient_no),
                                    Identifier("id_card", p.id_number)))
            for p in _hospital(count).patients]
