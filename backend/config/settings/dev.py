"""The embedded demo and local development: DEBUG on, everything else from the environment."""

from .base import *  # noqa: F403
from .base import env_bool

DEBUG = env_bool("DJANGO_DEBUG", True)
