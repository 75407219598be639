import django_filters

from catalog.models import IncisionClass, Procedure, ProcedureSource, SurgicalGrade
from catalog.selectors import procedure_search


class ProcedureFilter(django_filters.FilterSet):
    grade = django_filters.MultipleChoiceFilter(choices=SurgicalGrade.choices, help_text="手术级别 1–4 (repeatable)")
    incision_class = django_filters.ChoiceFilter(choices=IncisionClass.choices)
    department = django_filters.UUIDFilter(field_name="department__uuid", help_text="department UUID")
    ward = django_filters.UUIDFilter(field_name="wards__uuid", help_text="admitting ward UUID")
    is_active = django_filters.BooleanFilter()
    source = django_filters.ChoiceFilter(choices=ProcedureSource.choices)
    q = django_filters.CharFilter(method="filter_q", help_text="code or name contains")

    class Meta:
        model = Procedure
        fields = ["grade", "incision_class", "department", "ward", "is_active", "source", "q"]

    def filter_q(self, queryset, name, value):
        return procedure_search(queryset, value)
