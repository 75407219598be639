"""Evaluate the high-risk findings of cases before surgery again (after a rule change, or to repair)."""

from django.core.management.base import BaseCommand, CommandError

from cases.models import SurgicalCase
from doctor_assessment.services import findings_rebuild
from org.models import Hospital


class Command(BaseCommand):
    help = "Re-evaluate high-risk findings (clinical.findings.flagged) of cases still before surgery."

    def add_arguments(self, parser):
        parser.add_argument("--hospital", help="hospital code (default: every hospital)")
        parser.add_argument("--case", help="one case uuid")

    def handle(self, *args, **options):
        hospital = None
        if options.get("hospital"):
            hospital = Hospital.objects.filter(code=options["hospital"]).first()
            if hospital is None:
                raise CommandError(f"no hospital with code {options['hospital']}")
        cases = SurgicalCase.objects.filter(uuid=options["case"]) if options.get("case") else None
        counts = findings_rebuild(hospital=hospital, cases=cases, write=self.stdout.write)
        self.stdout.write(self.style.SUCCESS(f"{counts['cases']} case(s) evaluated, {counts['changed']} changed"))
