import django_filters

from integrations.models import CallStatus, ExternalCall


class ExternalCallFilter(django_filters.FilterSet):
    port = django_filters.CharFilter(help_text="Port name, e.g. his, sms, wechat")
    operation = django_filters.CharFilter()
    status = django_filters.ChoiceFilter(choices=CallStatus.choices)
    idempotency_key = django_filters.CharFilter()
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = ExternalCall
        fields = ["port", "operation", "status", "idempotency_key", "created_after", "created_before"]
