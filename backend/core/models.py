"""Base model and the transactional outbox shared by every context."""

import uuid

from django.db import models
from django.utils import timezone


class BaseModel(models.Model):
    """Every domain row: an internal integer key for joins and a public UUID for the API."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
