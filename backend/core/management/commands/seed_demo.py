import logging

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.test import override_settings

from core.demo.seed import DemoSeeder


class Command(BaseCommand):
    help = "Load the demo hospital (idempotent): wards, staff, procedures, patients and their cases."

    def add_arguments(self, parser):
        parser.add_argument("--patients", type=int, default=200, help="how many patients (default 200)")
        parser.add_argument("--no-his", action="store_true", help="build the simulator's hospital in-process instead of asking its HIS")
        parser.add_argument(
            "--allow-without-debug", action="store_true",
            help="seed even though DEBUG is off (the demo creates accounts with a published password)",
        )

    def handle(self, *args, patients, no_his, allow_without_debug, **options):
        if not settings.DEBUG and not allow_without_debug:
            raise CommandError(
                "seed_demo creates demo accounts with a published password; refusing to run with DEBUG off "
                "(a production profile). Use the dev profile, or --allow-without-debug on a throw-away database."
            )
        # eager outbox deliveries log one line per event; the seed prints its own progress
        for name in ("celery", "kombu"):
            logging.getLogger(name).setLevel(logging.ERROR)

        def write(line):
            self.stdout.write(line)
            self.stdout.flush()

        # DEBUG keeps every SQL statement with its parameters formatted: tens of thousands here, and nobody reads them
        with override_settings(DEBUG=False):
            DemoSeeder(write=write, patients=patients, use_his=not no_his).run()
