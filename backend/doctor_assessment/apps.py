from django.apps import AppConfig


class DoctorAssessmentConfig(AppConfig):
    name = "doctor_assessment"
    verbose_name = "医生术前评估"

    def ready(self):
        from django.db.models.signals import post_migrate

        def _seed(sender, **kwargs):
            if sender.name == "doctor_assessment":
                from doctor_assessment.defaults import sync_default_rules

                sync_default_rules()

        # The platform's default high-risk rules (doctor_assessment.defaults) exist after every migrate and every flush of a test
        # database (idempotent): the data migration alone leaves them lost after a transactional test.
        post_migrate.connect(_seed, weak=False, dispatch_uid="doctor_assessment.defaults_sync")
