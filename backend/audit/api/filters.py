import django_filters as filters

from audit.models import ActorType, AuditAction, AuditEntry


class AuditEntryFilter(filters.FilterSet):
    actor_id = filters.CharFilter()
    actor_type = filters.ChoiceFilter(choices=ActorType.choices)
    action = filters.MultipleChoiceFilter(choices=AuditAction.choices)
    target_type = filters.CharFilter()
    target_id = filters.CharFilter()
    success = filters.BooleanFilter()
    occurred_from = filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="gte", label="occurred at or after")
    occurred_to = filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="lt", label="occurred before")

    class Meta:
        model = AuditEntry
        fields = []
