"""The test profile: same code paths as production, fast hashing, isolated Redis keys, temp files."""

import os
import tempfile

from .base import *  # noqa: F403
from .base import REDIS_KEY_PREFIX, REDIS_URL

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = tempfile.mkdtemp(prefix="dsm-test-media-")
# Each run owns its Redis keys so a shared Redis never leaks state between runs or developers.
REDIS_KEY_PREFIX = f"{REDIS_KEY_PREFIX}-test-{os.getpid()}"
if REDIS_URL:
    CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = f"{REDIS_KEY_PREFIX}:asgi"  # noqa: F405
    CACHES["default"]["KEY_PREFIX"] = REDIS_KEY_PREFIX  # noqa: F405
    CELERY_BROKER_TRANSPORT_OPTIONS["global_keyprefix"] = f"{REDIS_KEY_PREFIX}:celery:"  # noqa: F405
# Tests run Celery tasks in-process unless a test starts a real worker itself.
CELERY_TASK_ALWAYS_EAGER = True
