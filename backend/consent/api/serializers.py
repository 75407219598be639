"""Consent API representations and inputs."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from consent import services
from consent.models import ConsentDocument, ConsentTemplate, SignerKind
from org.models import Hospital


def _who(user):
    return {"uuid": str(user.uuid), "name": user.name} if user is not None else None


PERSON_SCHEMA = {"type": "object", "nullable": True,
                 "properties": {"uuid": {"type": "string", "format": "uuid"}, "name": {"type": "string"}}}


class ConsentTemplateSerializer(serializers.ModelSerializer):
    hospital = serializers.SlugRelatedField(slug_field="uuid", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    placeholders = serializers.SerializerMethodField()
    created_by = serializers.SerializerMethodField()
    published_by = serializers.SerializerMethodField()

    class Meta:
        model = ConsentTemplate
        fields = ["uuid", "hospital", "code", "version", "title", "body", "procedure_kinds", "anaesthesia_plans",
                  "status", "status_label", "change_note", "placeholders", "created_by", "created_at",
                  "published_by", "published_at", "retired_at", "updated_at"]

    @extend_schema_field({"type": "array", "items": {"type": "string"}})
    def get_placeholders(self, obj):
        return services.templating.placeholders_used(obj.title + "\n" + obj.body)

    @extend_schema_field(PERSON_SCHEMA)
    def get_created_by(self, obj):
        return _who(obj.created_by)

    @extend_schema_field(PERSON_SCHEMA)
    def get_published_by(self, obj):
        return _who(obj.published_by)


class _CodeList(serializers.ListField):
    def __init__(self, choices, **kwargs):
        super().__init__(child=serializers.ChoiceField(choices=choices), max_length=20, required=False, **kwargs)


class ConsentTemplateUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=100, required=False)
    body = serializers.CharField(max_length=20000, required=False)
    procedure_kinds = serializers.ListField(child=serializers.CharField(max_length=30), max_length=20, required=False)
    anaesthesia_plans = serializers.ListField(child=serializers.CharField(max_length=30), max_length=20,
                                              required=False)
    change_note = serializers.CharField(max_length=300, required=False, allow_blank=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["procedure_kinds"] = _CodeList(services.procedure_kind_choices())
        self.fields["anaesthesia_plans"] = _CodeList(services.anaesthesia_plan_choices())

    def validate(self, attrs):
        # Placeholder syntax is checked here too so the error lands on the field (the service re-checks).
        errors = {}
        for name in ("title", "body"):
            if name in attrs and (problems := services.templating.template_errors(attrs[name])):
                errors[name] = problems
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class ConsentTemplateCreateSerializer(ConsentTemplateUpdateSerializer):
    hospital = serializers.SlugRelatedField(slug_field="uuid", queryset=Hospital.objects.all())
    code = serializers.SlugField(max_length=50)
    title = serializers.CharField(max_length=100)
    body = serializers.CharField(max_length=20000)


class ConsentTemplateEnsureDefaultsSerializer(serializers.Serializer):
    hospital = serializers.SlugRelatedField(slug_field="uuid", queryset=Hospital.objects.all())


class ConsentOpenSerializer(serializers.Serializer):
    template_code = serializers.SlugField(max_length=50, required=False, allow_blank=True,
                                          help_text=_("A published form of the hospital by code; empty: the form "
                                                      "that fits the procedure and anaesthesia plan."))


class PatientSignatureSerializer(serializers.Serializer):
    image = serializers.FileField(help_text=_("The signature-pad image (PNG)."), allow_empty_file=False)
    signer_kind = serializers.ChoiceField(choices=SignerKind.choices, default=SignerKind.PATIENT)
    signer_name = serializers.CharField(max_length=50, required=False, allow_blank=True)
    relationship = serializers.CharField(max_length=30, required=False, allow_blank=True)


class VoidSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


def _local(value):
    return timezone.localtime(value).isoformat() if value else None


class ConsentDocumentListSerializer(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    patient = serializers.SerializerMethodField()
    ward = serializers.SerializerMethodField()
    assessment = serializers.SlugRelatedField(slug_field="uuid", read_only=True)
    case = serializers.SlugRelatedField(slug_field="uuid", read_only=True)
    template = serializers.SlugRelatedField(slug_field="uuid", read_only=True)

    class Meta:
        model = ConsentDocument
        fields = ["uuid", "consent_no", "title", "status", "status_label", "template", "template_code",
                  "template_version", "assessment", "case", "patient", "ward", "document_hash", "record_hash",
                  "created_at", "updated_at"]

    @extend_schema_field(PERSON_SCHEMA)
    def get_patient(self, obj):
        return {"uuid": str(obj.patient.uuid), "name": obj.patient.name}

    @extend_schema_field(PERSON_SCHEMA)
    def get_ward(self, obj):
        return {"uuid": str(obj.ward.uuid), "name": obj.ward.name}


class ConsentDocumentSerializer(ConsentDocumentListSerializer):
    clinician_signature = serializers.SerializerMethodField()
    patient_signature = serializers.SerializerMethodField()
    voided = serializers.SerializerMethodField()

    class Meta(ConsentDocumentListSerializer.Meta):
        fields = [*ConsentDocumentListSerializer.Meta.fields, "body_text", "context", "document_size",
                  "clinician_signature", "patient_signature", "sealed_at", "signed_copy_hash", "voided"]

    @extend_schema_field({"type": "object", "nullable": True})
    def get_clinician_signature(self, obj):
        if not obj.signature_value:
            return None
        return {"signer": _who(obj.clinician), "signer_id": obj.clinician_signer_id, "name": obj.clinician_name,
                "algorithm": obj.signature_algorithm, "cert_serial": obj.cert_serial,
                "signature_value": obj.signature_value, "certificate_pem": obj.certificate_pem,
                "signed_at": _local(obj.clinician_signed_at)}

    @extend_schema_field({"type": "object", "nullable": True})
    def get_patient_signature(self, obj):
        if not obj.patient_signature_hash:
            return None
        return {"signer_kind": obj.patient_signer_kind, "signer_name": obj.patient_signer_name,
                "relationship": obj.patient_signer_relationship, "image_sha256": obj.patient_signature_hash,
                "signed_at": _local(obj.patient_signed_at)}

    @extend_schema_field({"type": "object", "nullable": True})
    def get_voided(self, obj):
        if not obj.voided_at:
            return None
        return {"at": _local(obj.voided_at), "by": _who(obj.voided_by), "reason": obj.void_reason,
                "from_status": obj.voided_from_status}


class VerificationCheckSerializer(serializers.Serializer):
    check = serializers.CharField()
    label = serializers.CharField()
    ok = serializers.BooleanField()
    detail = serializers.CharField()


class VerificationSerializer(serializers.Serializer):
    consent = serializers.UUIDField()
    status = serializers.CharField()
    complete = serializers.BooleanField()
    valid = serializers.BooleanField()
    checks = VerificationCheckSerializer(many=True)
    verified_at = serializers.DateTimeField()
