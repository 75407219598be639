"""Import (or refresh) the procedure catalogue from the HIS, printing progress (Y3).

    manage.py import_procedures            # the whole catalogue, whatever its version
    manage.py import_procedures --incremental   # skip quickly if the HIS says nothing changed
"""

import time

from django.core.management.base import BaseCommand, CommandError

from catalog.services import procedure_sync_from_his
from core.errors import DomainError


class Command(BaseCommand):
    help = "Import the day-surgery procedure catalogue from the HIS (progress as it goes)."

    def add_arguments(self, parser):
        parser.add_argument("--incremental", action="store_true",
                            help="do nothing if the HIS catalogue is still the version imported last")

    def handle(self, *args, incremental=False, **options):
        started = time.monotonic()
        self.stdout.write("reading the procedure catalogue from the HIS…")

        def progress(done, total, counts):
            self.stdout.write(f"  procedures {done}/{total}: {counts['created']} created, {counts['updated']} updated, "
                              f"{counts['unchanged']} unchanged")

        try:
            result = procedure_sync_from_his(actor=None, full=not incremental, progress=progress)
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        seconds = time.monotonic() - started
        if result.not_modified:
            self.stdout.write(f"the HIS catalogue is unchanged (version {result.version}); nothing to do ({seconds:.1f}s)")
            return
        self.stdout.write(
            f"done in {seconds:.1f}s: {result.created} created, {result.updated} updated, {result.unchanged} unchanged, "
            f"{result.deactivated} disabled (no longer in the HIS), {result.reactivated} re-enabled, "
            f"{len(result.skipped)} skipped; version {result.version or '-'}"
        )
        for code, reason in result.skipped:
            self.stdout.write(f"  skipped {code or '(no code)'}: {reason}")
        for code, reason in result.warnings:
            self.stdout.write(f"  warning {code}: {reason}")
