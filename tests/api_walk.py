"""Shared machinery for the cross-cutting API tests: discover operations from the OpenAPI schema and the URL
resolver (never a hard-coded list), fill path parameters, build tokens, and check the error envelope."""

import re
import uuid

from django.urls import URLPattern, URLResolver, get_resolver

API_PREFIX = "/api/v1/"
WRITE_METHODS = ("post", "put", "patch")


# --- the OpenAPI schema --------------------------------------------------------------------------------------
def openapi_schema():
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def resolve_ref(schema, node):
    seen = 0
    while isinstance(node, dict) and "$ref" in node and seen < 20:
        name = node["$ref"].split("/")[-1]
        node = schema["components"]["schemas"][name]
        seen += 1
    return node


def schema_operations(schema, methods=WRITE_METHODS):
    """(path, method, operation) for every operation of the schema with one of `methods`."""
    for path, item in sorted(schema["paths"].items()):
        for method in methods:
            if method in item:
                yield path, method, item[method]


def request_body_schema(schema, operation):
    content = (operation.get("requestBody") or {}).get("content") or {}
    for media in ("application/json", "multipart/form-data", "application/x-www-form-urlencoded"):
        if media in content:
            return resolve_ref(schema, content[media].get("schema") or {})
    return {}


def plausible_value(schema, node, depth=0):
    """A value of the right type for a schema node (not necessarily acceptable to the domain)."""
    node = resolve_ref(schema, node)
    if depth > 4:
        return None
    if "allOf" in node:
        return plausible_value(schema, node["allOf"][0], depth + 1)
    if "oneOf" in node or "anyOf" in node:
        return plausible_value(schema, (node.get("oneOf") or node.get("anyOf"))[0], depth + 1)
    if "enum" in node:
        values = [v for v in node["enum"] if v not in (None, "")]
        return values[0] if values else None
    kind, fmt = node.get("type"), node.get("format")
    if kind == "object" or "properties" in node:
        return {k: plausible_value(schema, v, depth + 1) for k, v in (node.get("properties") or {}).items()
                if not resolve_ref(schema, v).get("readOnly")}
    if kind == "array":
        return [plausible_value(schema, node.get("items") or {}, depth + 1)]
    if kind == "integer":
        return max(1, node.get("minimum", 1))
    if kind == "number":
        return 1.5
    if kind == "boolean":
        return True
    if fmt == "uuid":
        return str(uuid.uuid4())
    if fmt == "date":
        return "2026-12-01"
    if fmt == "date-time":
        return "2026-12-01T08:00:00+08:00"
    if fmt == "time":
        return "08:00:00"
    if fmt == "email":
        return "a@example.com"
    if fmt in ("uri", "url"):
        return "https://example.com/"
    if fmt == "binary":
        return None
    return "测试"


GARBAGE = {"a": [{"b": {"c": [None, {"d": "\x00"}]}}], "$where": "1=1"}
HUGE = "字" * 100_000


def wrong_type(node):
    kind = node.get("type")
    if kind == "string":
        return 12345
    if kind in ("integer", "number"):
        return "not-a-number"
    if kind == "boolean":
        return "maybe"
    if kind == "array":
        return "not-a-list"
    return ["not", "an", "object"]


def malformed_bodies(schema, operation):
    """(label, body) pairs: whole-body garbage, then each field broken in turn on an otherwise plausible body."""
    body_schema = request_body_schema(schema, operation)
    skeleton = plausible_value(schema, body_schema) if body_schema else {}
    if not isinstance(skeleton, dict):
        skeleton = {}
    yield "empty object", {}
    yield "plausible skeleton", dict(skeleton)
    yield "array body", [1, 2, 3]
    yield "string body", "hello"
    yield "number body", 42
    yield "null body", None
    yield "nested garbage", GARBAGE
    yield "unknown fields", {"zzz_" + "x" * 300: HUGE}
    properties = (body_schema.get("properties") or {}) if body_schema else {}
    for name, prop in properties.items():
        prop = resolve_ref(schema, prop)
        if prop.get("readOnly"):
            continue
        for label, value in (
            ("wrong type", wrong_type(prop)),
            ("null", None),
            ("huge string", HUGE),
            ("nested garbage", GARBAGE),
            ("invalid uuid", "../../not-a-uuid\u202e"),
            ("huge number", 10**40),
            ("negative", -1),
            ("empty", ""),
        ):
            body = dict(skeleton)
            body[name] = value
            yield f"{name}: {label}", body
        body = dict(skeleton)
        body.pop(name, None)
        yield f"{name}: missing", body


# --- the URL resolver ----------------------------------------------------------------------------------------
def iter_patterns(resolver=None, prefix=""):
    """(route regex string, URLPattern) for every leaf pattern, recursively."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        regex = prefix + entry.pattern.regex.pattern.lstrip("^").rstrip("$").replace("\\Z", "")
        if isinstance(entry, URLResolver):
            yield from iter_patterns(entry, regex)
        elif isinstance(entry, URLPattern):
            yield regex, entry


_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>(?P<body>(?:[^()]|\([^()]*\))*)\)")


def route_template(regex):
    """'api/v1/wards/(?P<uuid>[...])/' → ('/api/v1/wards/{uuid}/', ['uuid']) — None when not a plain route."""
    names = []

    def repl(m):
        names.append(m.group("name"))
        return "{" + m.group("name") + "}"

    text = _GROUP.sub(repl, regex)
    text = text.replace("\\.", ".").replace("\\-", "-").replace("\\/", "/")
    if re.search(r"[\^$*+?()\[\]|\\]", text.replace("{", "").replace("}", "")):
        return None, names
    return "/" + text, names


def view_methods(pattern):
    """HTTP methods the view behind a URL pattern answers (excluding HEAD/OPTIONS)."""
    callback = pattern.callback
    actions = getattr(callback, "actions", None)
    if actions:
        return sorted(m.upper() for m in actions if m not in ("head", "options"))
    view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    if view_class is not None:
        allowed = getattr(view_class, "http_method_names", [])
        return sorted(m.upper() for m in allowed if m not in ("head", "options", "trace") and hasattr(view_class, m))
    return ["GET"]


# --- principals and checks -----------------------------------------------------------------------------------
def staff_token(user):
    """An access token for a staff user, as the login endpoint would issue it (both factors)."""
    from accounts.tokens import issue_staff_tokens

    return issue_staff_tokens(user, amr=("otp", "pwd"))["access"]


def patient_token(account):
    from accounts.tokens import issue_patient_tokens

    return issue_patient_tokens(account)["access"]


def envelope_problem(response):
    """None when a refusal is in the one error envelope, else a description of what is wrong."""
    try:
        body = response.json()
    except Exception:  # noqa: BLE001
        return f"not JSON: {response.content[:200]!r}"
    if not isinstance(body, dict) or set(body) != {"error"}:
        return f"not the error envelope: {str(body)[:300]}"
    error = body["error"]
    if not isinstance(error, dict):
        return "error is not an object"
    missing = {"code", "message", "fields"} - set(error)
    if missing:
        return f"error lacks {sorted(missing)}"
    if not isinstance(error["code"], str) or not isinstance(error["message"], str):
        return "code/message are not strings"
    if not isinstance(error["fields"], dict):
        return "fields is not an object"
    return None
