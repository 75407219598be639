import os
import sys

from django.core.management.base import BaseCommand

from core.demo.runner import DemoRunner


class Command(BaseCommand):
    help = (
        "Run the whole product for a demo (what `make demo` calls): migrate, start the hospital simulator, seed "
        "the demo hospital, serve the API with daphne (plus Celery worker and beat when REDIS_URL is set), print "
        "URLs and demo logins. Ctrl-C stops everything."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("DEMO_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("DEMO_PORT", "8000")))
        parser.add_argument("--sim-port", type=int, default=int(os.environ.get("DEMO_SIM_PORT", "8765")))
        parser.add_argument("--patients", type=int, default=int(os.environ.get("DEMO_PATIENTS", "200")))
        parser.add_argument("--no-seed", action="store_true", help="skip loading the demo hospital")

    def handle(self, *args, host, port, sim_port, patients, no_seed, **options):
        def write(line):
            self.stdout.write(line)
            self.stdout.flush()

        runner = DemoRunner(host=host, port=port, sim_port=sim_port, write=write, seed=not no_seed, patients=patients)
        code = runner.run()
        if code:
            sys.exit(code)
