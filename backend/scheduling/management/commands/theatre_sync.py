"""`manage.py theatre_sync [--days N] [--retry-only]`: what the beat tasks do, now, with progress output.

For operators after a theatre-system outage or a lost callback: sends the applications that failed and the
withdrawals that did not arrive (ignoring their backoff), then reads the theatre's schedule of the coming days.
"""

from datetime import timedelta

from django.core.management.base import BaseCommand
from django.utils import timezone

from scheduling import services


class Command(BaseCommand):
    help = "Retry pending theatre calls and read the theatre's schedule of the coming days now."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None, help="days to read from today (default: setting)")
        parser.add_argument("--retry-only", action="store_true", help="only retry failed submissions/withdrawals")

    def handle(self, *args, days=None, retry_only=False, **options):
        far = timezone.now() + timedelta(days=3650)  # every due or not-yet-due retry
        retried = services.retry_due_calls(now=far, limit=10000)
        self.stdout.write(f"retried: {retried['submitted']} submitted, {retried['withdrawn']} withdrawn, "
                          f"{retried['errors']} errors")
        if retry_only:
            return
        stats = services.schedule_poll(days=days)
        self.stdout.write(f"schedule: {stats['days']} days read, {stats['applied']} answers applied, "
                          f"{stats['changed']} cases changed, {stats['errors']} errors")
