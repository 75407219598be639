"""The authorisation matrix (U2, issue item 6): every API route × every method × every principal.

Routes come from Django's URL resolver (recursively), methods from each view, request bodies from the
OpenAPI schema, so a new endpoint is covered without editing this file. The world has two wards in two
departments; ward A holds patients and cases. The test proves:

- anonymous callers get 401 on every route except the small public allow-list below;
- staff of ward B, in every role that does not hold `org.view_all_wards`, staff of ward A's department limited
  to another management mode, and patient principals other than
  ward A's patient, never get ward-A patient data: every route with a uuid path parameter answers
  401/403/404 for every ward-A patient-bearing uuid (patients, identifiers, cases, case events, accounts...),
  whatever the method; list and collection routes never contain a ward-A marker (names, registration and ID
  numbers, phones, uuids), even when filtered by ward A; writes never change ward-A rows;
- a route whose path parameters this harness cannot fill FAILS with a message naming it (never skipped).
"""

import json
import re
from collections import defaultdict
from functools import partial

import pytest
from django.apps import apps
from django.db import models, transaction
from rest_framework.test import APIClient

from accounts.permissions import VIEW_ALL_WARDS, has_permission
from tests import api_walk
from tests.app_seeds import seed_app_rows
from tests.builders import (
    admin_token,
    make_case,
    make_department,
    make_patient,
    make_patient_account,
    make_staff,
    make_ward,
    patient_token,
    valid_id_number,
)

pytestmark = [pytest.mark.django_db, pytest.mark.req("U2")]

# Routes anonymous callers may use (by URL name): the API root and the login-type endpoints.
PUBLIC_ROUTES = {
    "api-root",
    "auth-otp", "auth-login", "auth-admin-otp", "auth-admin-login", "auth-register", "auth-refresh", "auth-logout",
    "patient-auth-wechat-login", "patient-auth-otp", "patient-auth-login", "patient-auth-refresh",
    "patient-auth-logout",
}
# Path parameters the harness knows how to fill. A uuid parameter receives every ward-A patient-bearing
# uuid; other parameters receive the listed non-patient values (the route is then scanned like a list).
UUID_PARAMS = {"uuid", "case_uuid", "patient_uuid", "event_uuid"}
# A parameter named after its kind takes every ward-A row of that kind only (in the sampled run): the parent of a
# nested route (/cases/{case_uuid}/tags/{uuid}/) would otherwise multiply the samples.
KIND_PARAMS = {"case_uuid": "cases.SurgicalCase", "patient_uuid": "cases.Patient"}
OTHER_PARAMS = {"slug": lambda world: ["doctor", "nurse", "hospital_admin"]}
DENIED = {401, 403, 404}
UUID_RE = re.compile(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}", re.I)

PATIENT_BEARING_ROOTS = ("cases.Patient", "cases.SurgicalCase", "accounts.PatientAccount")


# --- the world ---------------------------------------------------------------------------------------------------
def _patient_bearing_models():
    """{model: [fk names]} for every model with a foreign key to Patient, SurgicalCase or PatientAccount."""
    roots = [apps.get_model(label) for label in PATIENT_BEARING_ROOTS if _has_model(label)]
    found = {}
    for model in apps.get_models():
        if model in roots:
            continue
        names = [
            f.name for f in model._meta.get_fields()
            if isinstance(f, models.ForeignKey | models.OneToOneField) and f.related_model in roots
        ]
        if names:
            found[model] = names
    return found


def _has_model(label):
    try:
        apps.get_model(label)
        return True
    except LookupError:
        return False


def _ward_a_rows(world):
    """{model: queryset} of every patient-bearing row that belongs to ward A's patients and cases."""
    Patient = apps.get_model("cases.Patient")
    SurgicalCase = apps.get_model("cases.SurgicalCase")
    PatientAccount = apps.get_model("accounts.PatientAccount")
    patients = Patient.objects.filter(pk__in=world["a_patient_ids"])
    cases = SurgicalCase.objects.filter(ward_id=world["ward_a"].pk)
    accounts = PatientAccount.objects.filter(patient__in=patients)
    rows = {Patient: patients, SurgicalCase: cases, PatientAccount: accounts}
    for model, fk_names in _patient_bearing_models().items():
        condition = models.Q()
        for name in fk_names:
            related = model._meta.get_field(name).related_model
            source = {Patient: patients, SurgicalCase: cases, PatientAccount: accounts}[related]
            condition |= models.Q(**{f"{name}__in": source})
        rows[model] = model._default_manager.filter(condition)
    return rows


def _footprint(world, tables=None):
    """Counts, last-change stamps and states of ward A's rows (one query a model): any write changes it. With
    `tables`, only the models stored in those tables."""
    result = {}
    for model, qs in _ward_a_rows(world).items():
        if tables is not None and model._meta.db_table not in tables:
            continue
        aggregates = {"n": models.Count("pk")}
        if _has_field(model, "updated_at"):
            aggregates["stamp"] = models.Max("updated_at")
        field = _field(model, "state")
        for value in [v for v, _label in (field.choices or [])] if field is not None else []:
            aggregates[f"state_{value}"] = models.Count("pk", filter=models.Q(state=value))
        result[model._meta.label] = qs.aggregate(**aggregates)
    return result


def _writes_counter(world):
    """A cheap change detector: {table: rows inserted, updated or deleted so far in this transaction} for the
    tables of the patient-bearing models (PostgreSQL's per-transaction statistics). Only a table a request moved
    can hold changed ward-A rows, so only those models' footprints are compared."""
    tables = world.setdefault("_tables", sorted({m._meta.db_table for m in _ward_a_rows(world)}))

    def count():
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT relname, n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_xact_user_tables "
                "WHERE relname = ANY(%s)", [tables],
            )
            return dict(cursor.fetchall())

    return count


def _moved(before, after):
    return {table for table, n in after.items() if n != before.get(table, 0)}


def _field(model, name):
    try:
        return model._meta.get_field(name)
    except Exception:  # noqa: BLE001
        return None


def _has_field(model, name):
    try:
        model._meta.get_field(name)
        return True
    except Exception:  # noqa: BLE001
        return False


@pytest.fixture
def world(settings):
    # Requests that reach a hospital system (no simulator runs here) fail at once, not after retries.
    settings.INTEGRATION_HTTP = {**settings.INTEGRATION_HTTP, "attempts": 1, "backoff": 0.0}
    ward_a = make_ward(department=make_department(name="甲科"), name="甲病区")
    ward_b = make_ward(department=make_department(name="乙科"), name="乙病区")
    a_patients, a_cases, markers = [], [], set()
    for i, state in enumerate(("draft", "booked", "admitted", "discharged")):
        id_number = valid_id_number(birth="19700101", serial=700 + i)
        patient = make_patient(name=f"矩阵甲{i}号", reg_no=f"RMTXA{i:04d}", id_number=id_number,
                               phone=f"1370000{i:04d}")
        a_cases.append(make_case(state, ward=ward_a, patient=patient))
        a_patients.append(patient)
        markers |= {patient.name, f"RMTXA{i:04d}", id_number, f"1370000{i:04d}"}
    make_patient_account(patient=a_patients[0])  # ward A's patient also uses the mini-program
    seed_app_rows(ward=ward_a, patient=a_patients[1], case=a_cases[1])  # each context's own rows (the booked case)

    b_patient = make_patient(name="矩阵乙患者", reg_no="RMTXB0001")
    make_case("booked", ward=ward_b, patient=b_patient)
    world = {"ward_a": ward_a, "ward_b": ward_b, "a_patient_ids": [p.pk for p in a_patients]}

    uuids, sample = set(), set()
    for model, qs in _ward_a_rows(world).items():
        if _has_field(model, "uuid"):
            these = [str(u) for u in qs.order_by("pk").values_list("uuid", flat=True)]
            uuids |= set(these)
            sample |= set(these if model._meta.label == "cases.SurgicalCase" else these[:1])
            if model._meta.label in KIND_PARAMS.values():
                world[f"a_uuids:{model._meta.label}"] = these
    assert len(uuids) >= 8, "the world should hold ward-A patients, cases and events"
    world["a_uuids"] = sorted(uuids)
    world["a_uuids_sample"] = sorted(sample)
    world["markers"] = markers | uuids
    world["body_refs"] = {
        "ward": str(ward_a.uuid), "department": str(ward_a.department.uuid), "patient": str(a_patients[0].uuid),
        "case": world["a_uuids"][0], "reg_no": "RMTXA0000", "registration_no": "RMTXA0000",
        "id_number": valid_id_number(birth="19700101", serial=700), "name": a_patients[0].name,
    }

    from accounts.models import RoleSlug

    principals = {}
    for role in RoleSlug.values:
        user = make_staff(role, ward=ward_b)
        if has_permission(user, VIEW_ALL_WARDS.slug):
            continue  # sees every ward by permission (administrators, quality managers): not a cross-ward leak
        principals[f"ward-B {role}"] = partial(admin_token, user)
    assert principals, "no ward-limited staff role to test"
    # Ward A's own department, but restricted to another management mode (ward A is a day-surgery centre).
    other_mode = make_staff("nurse", department=ward_a.department, management_modes=["outpatient"])
    principals["ward-A department, outpatient mode only"] = partial(admin_token, other_mode)
    principals["ward-B patient"] = partial(patient_token, make_patient_account(patient=b_patient))
    principals["unbound patient"] = partial(patient_token, make_patient_account())
    # Tokens are issued when each principal's turn comes: a long run must not outlive their 15-minute lifetime.
    world["principals"] = principals
    # The oracles: who may see every ward-A row of a kind (staff routes / my/ routes). A uuid the oracle is answered
    # 404 for is not the kind of object the route takes (an event uuid on /cases/{uuid}/): the principals skip it.
    superuser = make_staff("hospital_admin", ward=ward_a)
    superuser.is_superuser = True
    superuser.save(update_fields=["is_superuser"])
    world["oracles"] = {
        "staff": partial(admin_token, superuser),
        "patient": partial(patient_token, make_patient_account(patient=a_patients[1])),  # owns the seeded rows
    }
    return world


# --- the routes --------------------------------------------------------------------------------------------------
def api_routes():
    """[(name, template, params, methods)] for every URL pattern under /api/v1/ (the catch-all excluded)."""
    routes, unreadable = [], []
    for regex, pattern in api_walk.iter_patterns():
        template, params = api_walk.route_template(regex)
        if not regex.startswith("api/v1/"):
            continue
        if pattern.callback.__name__ == "api_not_found":
            continue
        if template is None:
            unreadable.append(regex)
            continue
        routes.append((pattern.name, template, params, api_walk.view_methods(pattern)))
    assert not unreadable, f"routes the matrix cannot read (make them plain paths): {unreadable}"
    return routes


def _bodies(schema, template, method):
    operation = (schema["paths"].get(template) or {}).get(method.lower())
    if not operation:
        return [{}]
    body_schema = api_walk.request_body_schema(schema, operation)
    plausible = api_walk.plausible_value(schema, body_schema) if body_schema else {}
    # A plausible body pointing at ward-A rows: the strongest attempt (an empty body may stop at validation).
    return [plausible] if isinstance(plausible, dict) and plausible else [{}]


def _with_refs(body, refs):
    if not isinstance(body, dict):
        return body
    return {k: (refs[k] if k in refs else v) for k, v in body.items()}


def _request(client, method, path, body=None, query=None):
    if method == "GET":
        return client.get(path, query or {})
    return client.generic(method, path, data=json.dumps(body or {}), content_type="application/json")


def _leaks(response, markers):
    text = response.content.decode("utf-8", "replace")
    if response.get("Content-Type", "").startswith("application/json"):
        try:
            text = json.dumps(response.json(), ensure_ascii=False)
        except ValueError:
            pass
    return sorted(m for m in markers if m and m in text)


def run_matrix(world, routes, schema):
    """Run every route × method × principal; returns (requests made, {kind: [problem lines]})."""
    problems = defaultdict(list)
    checked = 0

    # Path parameters the harness cannot fill make the test fail, naming the route.
    for name, template, params, _methods in routes:
        unknown = [p for p in params if p not in UUID_PARAMS and p not in OTHER_PARAMS]
        if unknown:
            problems["unfillable"].append(
                f"{template} ({name}): path parameter(s) {unknown} unknown to the matrix — add a filler to "
                "UUID_PARAMS/OTHER_PARAMS in tests/test_authorization_matrix.py"
            )

    # 1. Anonymous: 401 everywhere except the public allow-list.
    anonymous = APIClient()
    for name, template, params, methods in routes:
        if name in PUBLIC_ROUTES:
            continue
        paths = _paths(template, params, world)
        if not paths:
            continue
        for method in methods:
            with transaction.atomic():
                res = _request(anonymous, method, paths[0])
                transaction.set_rollback(True)
            checked += 1
            if res.status_code != 401:
                problems["anonymous not refused"].append(f"{method} {paths[0]} ({name}) → {res.status_code}")

    # 2. Ward-B staff and other patients.
    recognised = _recognised_paths(world, routes, schema)
    before = _footprint(world)
    writes = _writes_counter(world)
    for who, token in world["principals"].items():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token() if callable(token) else token}")
        made = admitted = 0  # requests by this principal, and how many of them it was answered (2xx)
        for name, template, params, methods in routes:
            if name in PUBLIC_ROUTES:
                continue
            uuid_params = [p for p in params if p in UUID_PARAMS]
            for method in methods:
                safe = method == "GET"
                paths = _paths(template, params, world, thorough=False)
                if uuid_params and recognised is not None:
                    paths = [p for p in paths if p in recognised.get((name, method), paths)]
                for path in paths:
                    bodies = [None] if method in ("GET", "DELETE") else [
                        _with_refs(b, world["body_refs"]) for b in _bodies(schema, template, method)
                    ]
                    queries = [None]
                    if safe and not uuid_params:
                        queries.append({**world["body_refs"], "q": world["body_refs"]["name"],
                                        "search": world["body_refs"]["name"]})
                    for body in bodies:
                        for query in queries:
                            with transaction.atomic():
                                written = None if safe else writes()
                                res = _request(client, method, path, body, query)
                                moved = set() if safe else _moved(written, writes())
                                changed = bool(moved) and any(
                                    before[label] != now for label, now in _footprint(world, moved).items())
                                transaction.set_rollback(True)
                            checked += 1
                            made += 1
                            admitted += 200 <= res.status_code < 300
                            where = f"{who}: {method} {path} ({name})"
                            if res.status_code >= 500:
                                problems["server error"].append(f"{where} → {res.status_code}")
                            if uuid_params and res.status_code not in DENIED:
                                problems["ward-A object reachable"].append(f"{where} → {res.status_code}")
                            leaked = _leaks(res, world["markers"])
                            if leaked:
                                problems["ward-A data in response"].append(
                                    f"{where} → {res.status_code}: {leaked[:4]}")
                            if changed:
                                problems["ward-A rows changed"].append(f"{where} → {res.status_code}")
        # A principal refused everywhere (a token the API does not accept, a missing second factor) would pass
        # every check above without testing anything: each must be answered somewhere (its own lists, its profile).
        if not admitted:
            problems["principal never answered"].append(f"{who}: no 2xx in {made} requests")
    return checked, problems


def _oracle_kind(template):
    """Patient routes live under my/ (their oracle is ward A's own patient); every other route is staff's."""
    return "patient" if template.startswith("/api/v1/my/") else "staff"


def _only_cases(path, world):
    ids = UUID_RE.findall(path)
    cases = world.get("a_uuids:cases.SurgicalCase", [])
    return bool(ids) and all(i in cases for i in ids)


def _recognised_paths(world, routes, schema):
    """{(route, method): the paths every principal tries} for the routes with a uuid parameter.

    Each such route is tried once by its oracle — a principal who may see all of ward A's rows of that kind (a
    superuser; for my/ routes ward A's own patient) — with every sampled ward-A uuid, in rolled-back transactions.
    The principals then try only the uuids the oracle was answered for (anything but 403/404): a 404 means the
    route does not take that kind of object (an event uuid on /cases/{uuid}/). A route where the oracle was
    answered for none (its objects are not patient data, or it refused the oracle) is tried with every ward-A
    case and one other uuid. A route's GET decides for its other methods, which act on the same object.
    This spares the ~8 principals the route × every-model cross product, which grows with every context, while
    each route still meets every uuid of each kind it accepts."""
    oracles = world.get("oracles")
    if not oracles:
        return None
    clients = {}
    for kind, token in oracles.items():
        clients[kind] = APIClient()
        clients[kind].credentials(HTTP_AUTHORIZATION=f"Bearer {token()}")
    chosen = {}
    for name, template, params, methods in routes:
        if name in PUBLIC_ROUTES or not any(p in UUID_PARAMS for p in params):
            continue
        client = clients[_oracle_kind(template)]
        paths = _paths(template, params, world, thorough=False)
        probes = ["GET"] if "GET" in methods else methods
        for method in probes:
            body = None if method in ("GET", "DELETE") else _with_refs(
                _bodies(schema, template, method)[0], world["body_refs"])
            answers = {}
            for path in paths:
                with transaction.atomic():
                    answers[path] = _request(client, method, path, body).status_code
                    transaction.set_rollback(True)
            recognised = [p for p in paths if answers[p] not in (403, 404)]
            # Nothing recognised: a route of non-patient objects (a message plan, a form) or refused to the oracle
            # (a patient route for staff). The principals still try it with every ward-A case and one other uuid.
            kept = set(recognised) or {p for p in paths if _only_cases(p, world)} | set(paths[:1])
            for target in (methods if probes == ["GET"] else [method]):
                chosen[(name, target)] = kept
    return chosen


def _report(checked, problems):
    lines = [f"authorisation matrix ({checked} requests):"]
    for kind, items in problems.items():
        lines.append(f"== {kind} ({len(items)}) ==")
        lines.extend(items[:40])
    return "\n".join(lines)


def test_every_route_every_principal(world):
    routes = api_routes()
    names = {name for name, *_ in routes}
    assert {"case-list", "case-detail", "ward-list", "audit-entry-list"} <= names, "core routes are not mounted"
    checked, problems = run_matrix(world, routes, api_walk.openapi_schema())
    assert checked > 500
    assert not problems, _report(checked, problems)


@pytest.mark.urls("tests.matrix_selftest_urls")
def test_the_harness_catches_leaks(world):
    """The same harness over deliberately broken routes: each kind of breach is reported."""
    routes = [r for r in api_routes() if r[0].startswith("leaky-")]
    assert len(routes) == 4
    checked, problems = run_matrix(world, routes, {"paths": {}})
    report = _report(checked, problems)
    assert any("leaky-list" in line for line in problems["anonymous not refused"]), report
    assert any("leaky-list" in line for line in problems["ward-A data in response"]), report
    assert any("leaky-detail" in line for line in problems["ward-A object reachable"]), report
    assert any("leaky-delete" in line for line in problems["ward-A rows changed"]), report
    assert any("{code}" in line for line in problems["unfillable"]), report
    assert "principal never answered" not in problems, report
    # A principal the API never answers (here: a token it refuses) is reported, not counted as "refused, fine".
    broken = {**world, "principals": {**world["principals"], "broken token": "not-a-jwt"}}
    _, problems = run_matrix(broken, [r for r in routes if r[0] == "leaky-detail"], {"paths": {}})
    assert [line.split(":")[0] for line in problems["principal never answered"]] == ["broken token"]


def _paths(template, params, world, *, thorough=True):
    """Every concrete path for a route: ward-A uuids for uuid parameters, listed values for the others.

    The matrix itself tries every ward-A case (one per pathway state) and one row of each other
    patient-bearing model (patient, identifier, event, account...): every kind of object, at a fraction of
    the ~10,000 requests that every row would take."""
    if any(p not in UUID_PARAMS and p not in OTHER_PARAMS for p in params):
        return []
    paths = [template]
    for param in params:
        if param in UUID_PARAMS:
            values = world["a_uuids"] if thorough else world.get("a_uuids_sample", world["a_uuids"])
            if not thorough and param in KIND_PARAMS:
                values = world.get(f"a_uuids:{KIND_PARAMS[param]}", values)
        else:
            values = OTHER_PARAMS[param](world)
        paths = [p.replace("{" + param + "}", str(v)) for p in paths for v in values]
    return paths


def test_the_harness_refuses_unknown_path_parameters():
    """A route with a parameter nobody taught the matrix yields no path, and the main test reports it."""
    world = {"a_uuids": ["00000000-0000-0000-0000-000000000000"]}
    assert _paths("/api/v1/things/{thing_code}/", ["thing_code"], world) == []
    assert _paths("/api/v1/cases/{uuid}/", ["uuid"], world) == ["/api/v1/cases/00000000-0000-0000-0000-000000000000/"]
    template, params = api_walk.route_template("api/v1/wards/(?P<uuid>[0-9a-f-]+)/beds/(?P<code>[^/.]+)/")
    assert template == "/api/v1/wards/{uuid}/beds/{code}/" and params == ["uuid", "code"]
