import django_filters as filters
from django.db.models import Q

from org.models import (
    Bed,
    Campus,
    Department,
    ManagementMode,
    MedicalGroup,
    TheatreRoom,
    TheatreSession,
    TheatreSuite,
    Ward,
    Weekday,
)


class _SearchMixin(filters.FilterSet):
    q = filters.CharFilter(method="filter_q", label="name or code contains")

    def filter_q(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(code__icontains=value))


class CampusFilter(_SearchMixin):
    hospital = filters.UUIDFilter(field_name="hospital__uuid")

    class Meta:
        model = Campus
        fields = []


class DepartmentFilter(_SearchMixin):
    hospital = filters.UUIDFilter(field_name="hospital__uuid")
    campus = filters.UUIDFilter(field_name="campus__uuid")
    is_active = filters.BooleanFilter()

    class Meta:
        model = Department
        fields = []


class WardFilter(_SearchMixin):
    department = filters.UUIDFilter(field_name="department__uuid")
    campus = filters.UUIDFilter(field_name="campus__uuid")
    hospital = filters.UUIDFilter(field_name="department__hospital__uuid")
    management_mode = filters.ChoiceFilter(choices=ManagementMode.choices)
    is_active = filters.BooleanFilter()

    class Meta:
        model = Ward
        fields = []


class BedFilter(filters.FilterSet):
    ward = filters.UUIDFilter(field_name="ward__uuid")
    is_active = filters.BooleanFilter()
    is_day_bed = filters.BooleanFilter()

    class Meta:
        model = Bed
        fields = []


class MedicalGroupFilter(filters.FilterSet):
    department = filters.UUIDFilter(field_name="department__uuid")
    leader = filters.UUIDFilter(field_name="leader__uuid")
    member = filters.UUIDFilter(field_name="members__uuid", distinct=True)

    class Meta:
        model = MedicalGroup
        fields = []


class TheatreSuiteFilter(_SearchMixin):
    campus = filters.UUIDFilter(field_name="campus__uuid")

    class Meta:
        model = TheatreSuite
        fields = []


class TheatreRoomFilter(_SearchMixin):
    suite = filters.UUIDFilter(field_name="suite__uuid")
    is_active = filters.BooleanFilter()

    class Meta:
        model = TheatreRoom
        fields = []


class TheatreSessionFilter(filters.FilterSet):
    room = filters.UUIDFilter(field_name="room__uuid")
    suite = filters.UUIDFilter(field_name="room__suite__uuid")
    weekday = filters.ChoiceFilter(choices=Weekday.choices)

    class Meta:
        model = TheatreSession
        fields = []
