"""Re-derive case timelines from their events (after a configuration change, a bug fix or lost messages).

    manage.py timeline_rebuild --case <uuid>            one case
    manage.py timeline_rebuild --ward <code>            the active cases of a ward
    manage.py timeline_rebuild --hospital <code>        the active cases of a hospital
    manage.py timeline_rebuild --all [--include-ended]  every active (or every) case
"""

from django.core.management.base import BaseCommand, CommandError

from audit.models import AuditAction
from audit.services import audit_record
from timeline.services import cases_to_rebuild, timeline_rebuild_many


class Command(BaseCommand):
    help = "Rebuild case timelines by replaying their case events."

    def add_arguments(self, parser):
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--case", help="case uuid")
        target.add_argument("--ward", help="ward code")
        target.add_argument("--hospital", help="hospital code")
        target.add_argument("--all", action="store_true")
        parser.add_argument("--include-ended", action="store_true", help="also closed, cancelled… cases")

    def handle(self, *args, **options):
        from cases.models import SurgicalCase
        from org.models import Hospital, Ward

        active_only = not options["include_ended"]
        if options["case"]:
            cases = SurgicalCase.objects.filter(uuid=options["case"])
            if not cases.exists():
                raise CommandError("no such case")
        elif options["ward"]:
            ward = Ward.objects.filter(code=options["ward"]).first()
            if ward is None:
                raise CommandError("no such ward")
            cases = cases_to_rebuild(active_only=active_only).filter(ward=ward)
        elif options["hospital"]:
            hospital = Hospital.objects.filter(code=options["hospital"]).first()
            if hospital is None:
                raise CommandError("no such hospital")
            cases = cases_to_rebuild(hospital_id=hospital.pk, active_only=active_only)
        else:
            cases = cases_to_rebuild(active_only=active_only)
        total = cases.count()
        self.stdout.write(f"rebuilding the timelines of {total} case(s)")
        done = timeline_rebuild_many(cases.iterator(), write=self.stdout.write)
        audit_record(actor=None, system=True, action=AuditAction.CONFIG, target_type="timeline.rebuild",
                     after={"cases": total, "rebuilt": done, "options": {k: options[k] for k in (
                         "case", "ward", "hospital", "all", "include_ended")}}, detail="timeline_rebuild command")
        self.stdout.write(f"done: {done}/{total} rebuilt")
