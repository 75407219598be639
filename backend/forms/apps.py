from django.apps import AppConfig


class FormsConfig(AppConfig):
    name = "forms"
    verbose_name = "问卷与随访表单"

    def ready(self):
        from django.db.models.signals import post_migrate

        def _seed(sender, **kwargs):
            if sender.name == "forms":
                from forms.services import forms_sync_defaults

                forms_sync_defaults()

        # The platform's default questionnaires (forms.defaults) exist after every migrate and every flush of a test
        # database (idempotent), like preop's default icon rules.
        post_migrate.connect(_seed, weak=False, dispatch_uid="forms.defaults_sync")
