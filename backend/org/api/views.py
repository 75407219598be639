"""Organisation API (U1, U2, Y4): thin views over org.selectors (reads) and org.services (audited writes).

Reading needs `org.view`; every write needs `org.manage` and the admin-web second factor (password + SMS code,
like the user and permission administration) and lands in the audit log as a configuration change.
"""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets

from accounts.permissions import SecondFactor, requires
from org import selectors, services
from org.api import filters, serializers
from org.permissions import MANAGE_ORG, VIEW_ORG

UUID_REGEX = r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"
READ_ACTIONS = {"list", "retrieve"}


class OrgViewSet(viewsets.ModelViewSet):
    lookup_field = "uuid"
    lookup_value_regex = UUID_REGEX
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]
    selector = None

    def get_permissions(self):
        if self.action in READ_ACTIONS or self.action is None:
            return [requires(VIEW_ORG.slug)()]
        return [requires(MANAGE_ORG.slug)(), SecondFactor()]

    def get_queryset(self):
        return type(self).selector()

    def perform_create(self, serializer):
        serializer.instance = services.org_object_create(
            actor=self.request.user, model=serializer.Meta.model, data=serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = services.org_object_update(
            actor=self.request.user, instance=serializer.instance, data=serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.org_object_delete(actor=self.request.user, instance=instance)


def _org_viewset(name, tag, selector, serializer_class, filterset_class=None):
    attrs = {
        "selector": staticmethod(selector),
        "serializer_class": serializer_class,
        "filterset_class": filterset_class,
        "__doc__": f"{tag}: list and read (org.view); create, update and delete (org.manage, audited).",
    }
    cls = type(name, (OrgViewSet,), attrs)
    return extend_schema_view(
        list=extend_schema(tags=["organisation"]),
        retrieve=extend_schema(tags=["organisation"]),
        create=extend_schema(tags=["organisation"]),
        update=extend_schema(tags=["organisation"]),
        partial_update=extend_schema(tags=["organisation"]),
        destroy=extend_schema(tags=["organisation"]),
    )(cls)


HospitalViewSet = _org_viewset("HospitalViewSet", "Hospitals", selectors.hospital_list, serializers.HospitalSerializer)
CampusViewSet = _org_viewset(
    "CampusViewSet", "Campuses", selectors.campus_list, serializers.CampusSerializer, filters.CampusFilter
)
DepartmentViewSet = _org_viewset(
    "DepartmentViewSet", "Departments", selectors.department_list, serializers.DepartmentSerializer,
    filters.DepartmentFilter,
)
WardViewSet = _org_viewset(
    "WardViewSet", "Wards (with their management mode)", selectors.ward_list, serializers.WardSerializer,
    filters.WardFilter,
)
BedViewSet = _org_viewset("BedViewSet", "Day beds", selectors.bed_list, serializers.BedSerializer, filters.BedFilter)
MedicalGroupViewSet = _org_viewset(
    "MedicalGroupViewSet", "Medical groups (leader + members)", selectors.medical_group_list,
    serializers.MedicalGroupSerializer, filters.MedicalGroupFilter,
)
TheatreSuiteViewSet = _org_viewset(
    "TheatreSuiteViewSet", "Theatre suites", selectors.theatre_suite_list, serializers.TheatreSuiteSerializer,
    filters.TheatreSuiteFilter,
)
TheatreRoomViewSet = _org_viewset(
    "TheatreRoomViewSet", "Theatre rooms", selectors.theatre_room_list, serializers.TheatreRoomSerializer,
    filters.TheatreRoomFilter,
)
TheatreSessionViewSet = _org_viewset(
    "TheatreSessionViewSet", "Open theatre sessions", selectors.theatre_session_list,
    serializers.TheatreSessionSerializer, filters.TheatreSessionFilter,
)
