"""JSON-safe copies of Python values (UUIDs, dates, Decimals, lazy strings) for JSON columns and message bodies."""

import json

from django.core.serializers.json import DjangoJSONEncoder


def to_jsonable(value):
    """`value` as plain JSON types, through the same encoder Django uses."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False))
