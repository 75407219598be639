"""Settings of the booking-contention benchmark: the product's settings plus a bench-only URLconf (the bare insert
endpoint), DEBUG off, and outbox deliveries queued in memory instead of run inside the request (in production a
Celery worker delivers them; the benchmark measures the booking request itself)."""

from config.settings.base import *  # noqa: F403

DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "bench_urls"
CELERY_TASK_ALWAYS_EAGER = False
CELERY_BROKER_URL = "memory://"
