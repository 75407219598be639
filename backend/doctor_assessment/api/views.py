"""Thin views over doctor_assessment.selectors and .services (D1–D3, D5, Y9).

Patient lists go through org.scoping (and are the doctor's own: surgeon = me or my medical groups'); a case
look-up outside the caller's wards answers 404; every read of one patient's results is audited.
"""

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import SecondFactor, has_permission, requires
from audit.services import audit_patient_read
from cases.permissions import RECORD_PREOP_ASSESSMENT, VIEW_CASES
from clinical.permissions import REFRESH_RESULTS, VIEW_RESULTS
from clinical.selectors import exam_reports_search, lab_results_search
from core.errors import InvalidInput, NotFound
from doctor_assessment import selectors, services
from doctor_assessment.api import serializers as s
from doctor_assessment.models import HighRiskRule
from doctor_assessment.permissions import MANAGE_RULES, VIEW_FINDINGS, VIEW_OWN_PATIENTS

TAGS = ["doctor assessment"]
ADMIN_TAGS = ["high-risk rules"]


def _query(serializer_class, request):
    data = serializer_class(data=request.query_params)
    if not data.is_valid():
        raise InvalidInput(fields={k: [str(m) for m in v] for k, v in data.errors.items()})
    return data.validated_data


def _body(serializer_class, request, **kwargs):
    data = serializer_class(data=request.data, **kwargs)
    if not data.is_valid():
        raise InvalidInput(fields={k: [str(m) for m in (v if isinstance(v, list) else [v])]
                                   for k, v in data.errors.items()})
    return data.validated_data


class DoctorPatientListView(APIView):
    """D1: my patients (surgeon = me, or a colleague of my medical groups) by surgery date — one date (default
    today) or a range of at most 31 days — with the assessment status, the high-risk flag and findings, and a
    summary of the results within the window."""

    permission_classes = [requires(VIEW_OWN_PATIENTS.slug)]

    @extend_schema(tags=TAGS, parameters=[s.DoctorPatientsQuerySerializer],
                   responses=s.DoctorPatientSerializer(many=True))
    def get(self, request):
        q = _query(s.DoctorPatientsQuerySerializer, request)
        start, end = q["range"]
        start = start or timezone.localdate()
        end = end or start
        cases = selectors.doctor_case_list(request.user, surgeon_ids=services.own_surgeon_ids(request.user),
                                           date_from=start, date_to=end, high_risk_only=q["high_risk"])
        return Response(s.DoctorPatientSerializer(cases, many=True).data)


class DoctorHighRiskListView(APIView):
    """D5: today's (or a date's) high-risk patients of mine only — the list a surgeon reviews each day; with
    `unreviewed=true` only those not assessed since their findings last changed."""

    permission_classes = [requires(VIEW_OWN_PATIENTS.slug)]

    @extend_schema(tags=TAGS, parameters=[s.HighRiskQuerySerializer], responses=s.DoctorPatientSerializer(many=True))
    def get(self, request):
        q = _query(s.HighRiskQuerySerializer, request)
        day = q.get("date") or timezone.localdate()
        cases = selectors.doctor_case_list(request.user, surgeon_ids=services.own_surgeon_ids(request.user),
                                           date_from=day, date_to=day, high_risk_only=True)
        rows = s.DoctorPatientSerializer(cases, many=True).data
        if q["unreviewed"]:
            rows = [r for r in rows if not r["reviewed"]]
        return Response(rows)


def _workspace(request, case):
    hospital = services.hospital_of_case(case)
    start, end = services.case_window(case, services.settings_for(hospital)["results_window_days"])
    data = {
        "case": case, "version": case.version, "findings": selectors.case_findings(case),
        "labs": lab_results_search(patient=case.patient, issued_from=start, issued_to=end),
        "exams": exam_reports_search(patient=case.patient, issued_from=start, issued_to=end),
        "assessments": selectors.case_assessments(case),
        "can_decide": has_permission(request.user, RECORD_PREOP_ASSESSMENT.slug)
        and services.is_own_case(request.user, case)
        and case.state in ("draft", "pending_pool", "booked"),
    }
    return s.DoctorCaseWorkspaceSerializer(data).data


class DoctorCaseView(APIView):
    """The assessment workspace of one case: findings, the lab results (with arrows) and exam reports within the
    results window, and the decisions so far. Audited read."""

    permission_classes = [requires(VIEW_CASES.slug, VIEW_RESULTS.slug, VIEW_FINDINGS.slug)]

    @extend_schema(tags=TAGS, responses=s.DoctorCaseWorkspaceSerializer)
    def get(self, request, uuid):
        case = selectors.case_for_assessment(request.user, uuid)
        data = _workspace(request, case)
        audit_patient_read(request.user, case, detail="doctor assessment workspace")
        return Response(data)


class DoctorCaseAssessmentView(APIView):
    """GET: the decisions on the case, newest first. POST: the surgeon's decision — passed, needs_attention or
    not_suitable, with a note (required unless passed) — recorded on the case's pre-op assessment milestone."""

    permission_classes = [requires(VIEW_CASES.slug, VIEW_FINDINGS.slug)]

    def get_permissions(self):
        if self.request.method == "POST":
            return [requires(VIEW_CASES.slug, RECORD_PREOP_ASSESSMENT.slug)()]
        return super().get_permissions()

    @extend_schema(tags=TAGS, responses=s.DoctorDecisionSerializer(many=True))
    def get(self, request, uuid):
        case = selectors.case_for_assessment(request.user, uuid)
        rows = s.DoctorDecisionSerializer(selectors.case_assessments(case), many=True).data
        audit_patient_read(request.user, case, detail="doctor assessments")
        return Response(rows)

    @extend_schema(tags=TAGS, request=s.DoctorDecisionInputSerializer, responses={201: s.DoctorDecisionSerializer})
    def post(self, request, uuid):
        case = selectors.case_for_assessment(request.user, uuid)
        v = _body(s.DoctorDecisionInputSerializer, request)
        row = services.assessment_record(case=case, actor=request.user, decision=v["decision"], note=v["note"],
                                         expected_version=v.get("expected_version"))
        return Response(s.DoctorDecisionSerializer(row).data, status=status.HTTP_201_CREATED)


class DoctorCaseFindingListView(APIView):
    """The high-risk findings of a case (bed-card detail, the ward's nurses and anaesthetists too). Audited."""

    permission_classes = [requires(VIEW_CASES.slug, VIEW_FINDINGS.slug)]

    @extend_schema(tags=TAGS, responses=s.HighRiskFindingSerializer(many=True))
    def get(self, request, uuid):
        case = selectors.case_for_assessment(request.user, uuid)
        rows = s.HighRiskFindingSerializer(selectors.case_findings(case), many=True).data
        audit_patient_read(request.user, case, detail="high-risk findings")
        return Response(rows)


class DoctorCaseResultsPullView(APIView):
    """Pull the case's results from the LIS/PACS now (the periodic task does it for the next days' cases),
    copy its exam images within the transfer limit, and evaluate the findings."""

    permission_classes = [requires(VIEW_CASES.slug, REFRESH_RESULTS.slug, VIEW_FINDINGS.slug)]

    @extend_schema(tags=TAGS, request=None, responses=s.DoctorResultsPullSerializer)
    def post(self, request, uuid):
        case = selectors.case_for_assessment(request.user, uuid)
        outcome = services.results_pull(case, actor=request.user)
        return Response(s.DoctorResultsPullSerializer(outcome).data)


# --- administration (Y9) ------------------------------------------------------------------------------------------
def _rule_fields(v):
    return {k: v[k] for k in services.RULE_FIELDS if k in v}


class HighRiskRuleListView(APIView):
    """The high-risk rules in force for my hospital: its own and the platform defaults it has not replaced
    (`source`). POST adds a rule of my hospital (a superuser without a hospital adds a platform default)."""

    permission_classes = [requires(MANAGE_RULES.slug), SecondFactor]

    @extend_schema(tags=ADMIN_TAGS, responses=s.HighRiskRuleSerializer(many=True))
    def get(self, request):
        rules = selectors.effective_rules(services.actor_hospital(request.user))
        return Response(s.HighRiskRuleSerializer(rules, many=True).data)

    @extend_schema(tags=ADMIN_TAGS, request=s.HighRiskRuleSerializer, responses={201: s.HighRiskRuleSerializer})
    def post(self, request):
        v = _body(s.HighRiskRuleSerializer, request)
        rule = services.rule_create(actor=request.user, hospital=services.actor_hospital(request.user),
                                    **_rule_fields(v))
        return Response(s.HighRiskRuleSerializer(rule).data, status=status.HTTP_201_CREATED)


class _RuleLookup:
    def _rule(self, uuid):
        rule = HighRiskRule.objects.select_related("hospital", "procedure", "department").filter(uuid=uuid).first()
        own = services.actor_hospital(self.request.user)
        visible = rule is not None and (rule.hospital_id is None or self.request.user.is_superuser
                                        or (own is not None and rule.hospital_id == own.pk))
        if not visible:
            raise NotFound()
        return rule


class HighRiskRuleDetailView(_RuleLookup, APIView):
    """One rule. Changing (or deleting) a platform default as a hospital administrator creates the hospital's
    own version of it (deleting: a disabled one); the default stays for the other hospitals."""

    permission_classes = [requires(MANAGE_RULES.slug), SecondFactor]

    @extend_schema(tags=ADMIN_TAGS, responses=s.HighRiskRuleSerializer)
    def get(self, request, uuid):
        return Response(s.HighRiskRuleSerializer(self._rule(uuid)).data)

    @extend_schema(tags=ADMIN_TAGS, request=s.HighRiskRuleUpdateSerializer, responses=s.HighRiskRuleSerializer)
    def patch(self, request, uuid):
        rule = self._rule(uuid)
        v = _body(s.HighRiskRuleUpdateSerializer, request, partial=True)
        rule = services.rule_update(actor=request.user, rule=rule, expected_version=v.get("expected_version"),
                                    **_rule_fields(v))
        return Response(s.HighRiskRuleSerializer(rule).data)

    @extend_schema(tags=ADMIN_TAGS, responses={204: None, 200: s.HighRiskRuleSerializer})
    def delete(self, request, uuid):
        override = services.rule_delete(actor=request.user, rule=self._rule(uuid))
        if override is not None:
            return Response(s.HighRiskRuleSerializer(override).data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class HighRiskRuleVersionListView(_RuleLookup, APIView):
    """Every saved version of a rule (who, when, what), newest first."""

    permission_classes = [requires(MANAGE_RULES.slug), SecondFactor]

    @extend_schema(tags=ADMIN_TAGS, responses=s.HighRiskRuleVersionSerializer(many=True))
    def get(self, request, uuid):
        return Response(s.HighRiskRuleVersionSerializer(selectors.rule_versions(self._rule(uuid)), many=True).data)


class AssessmentSettingsView(APIView):
    """My hospital's results window (days before surgery whose results count, D1) and how far ahead results are
    pulled. PUT changes them (audited; the findings of the cases are evaluated again)."""

    permission_classes = [requires(MANAGE_RULES.slug), SecondFactor]

    def _hospital(self, request):
        hospital = services.actor_hospital(request.user)
        if hospital is None:
            raise NotFound()
        return hospital

    @extend_schema(tags=ADMIN_TAGS, responses=s.DoctorAssessmentSettingsSerializer)
    def get(self, request):
        return Response(s.DoctorAssessmentSettingsSerializer(services.settings_for(self._hospital(request))).data)

    @extend_schema(tags=ADMIN_TAGS, request=s.DoctorAssessmentSettingsSerializer, responses=s.DoctorAssessmentSettingsSerializer)
    def put(self, request):
        v = _body(s.DoctorAssessmentSettingsSerializer, request)
        result = services.assessment_settings_update(actor=request.user, hospital=self._hospital(request), **v)
        return Response(s.DoctorAssessmentSettingsSerializer(result).data)
