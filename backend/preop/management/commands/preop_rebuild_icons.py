"""Rebuild bed-card icons from the case events (after a rule change, a restore, or messages that were missed).

    manage.py preop_rebuild_icons                      # every case on the boards (booked … operated, drafts)
    manage.py preop_rebuild_icons --hospital H001      # one hospital's board cases
    manage.py preop_rebuild_icons --case <uuid>        # one case
    manage.py preop_rebuild_icons --all                # every case, ended ones too
"""

from django.core.management.base import BaseCommand, CommandError

from cases.models import SurgicalCase
from org.models import Hospital
from preop import services


class Command(BaseCommand):
    help = "Recompute bed-card icons (preop.CaseIcon) from each case's event history under the current rules."

    def add_arguments(self, parser):
        parser.add_argument("--hospital", help="hospital code")
        parser.add_argument("--case", help="case uuid")
        parser.add_argument("--all", action="store_true", help="every case, also ended ones")
        parser.add_argument("--sync-defaults", action="store_true", help="write the default rules first")

    def handle(self, *args, **options):
        if options["sync_defaults"]:
            self.stdout.write(f"default rules: {services.icon_rules_sync_defaults()} changed")
        if options["case"]:
            qs = SurgicalCase.objects.filter(uuid=options["case"])
        elif options["all"]:
            qs = SurgicalCase.objects.all()
        else:
            qs = SurgicalCase.objects.filter(state__in=services.BOARD_STATES)
        if options["hospital"]:
            hospital = Hospital.objects.filter(code=options["hospital"]).first()
            if hospital is None:
                raise CommandError(f"unknown hospital {options['hospital']}")
            qs = qs.filter(ward__department__hospital=hospital)
        counts = services.icons_rebuild(qs, write=self.stdout.write)
        self.stdout.write(f"done: {counts['cases']} cases, {counts['changed']} changed, {counts['failed']} failed")
        if counts["failed"]:
            raise CommandError(f"{counts['failed']} case(s) failed; see the log")
