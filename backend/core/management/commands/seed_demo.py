from django.core.management.base import BaseCommand

from core.demo.seed import DemoSeeder


class Command(BaseCommand):
    help = "Load the demo hospital (idempotent): wards, staff, procedures, patients and their cases."

    def add_arguments(self, parser):
        parser.add_argument("--patients", type=int, default=200, help="how many patients (default 200)")
        parser.add_argument("--no-his", action="store_true", help="use the local lists even if the simulator answers")

    def handle(self, *args, patients, no_his, **options):
        import logging

        # eager outbox deliveries log one line per event; the seed prints its own progress
        for name in ("celery", "kombu"):
            logging.getLogger(name).setLevel(logging.ERROR)
        def write(line):
            self.stdout.write(line)
            self.stdout.flush()

        DemoSeeder(write=write, patients=patients, use_his=not no_his).run()
