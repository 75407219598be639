from django.apps import AppConfig


class DoctorAssessmentConfig(AppConfig):
    name = "doctor_assessment"
    verbose_name = "医生术前评估"
