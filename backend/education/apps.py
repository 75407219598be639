from django.apps import AppConfig


class EducationConfig(AppConfig):
    name = "education"
    verbose_name = "宣教"

    def ready(self):
        from django.db.models.signals import post_migrate

        def _seed(sender, **kwargs):
            if sender.name == "education":
                from education.services import materials_sync_defaults

                materials_sync_defaults()

        # The platform's default materials (education.defaults) exist after every migrate and every flush of a test
        # database (idempotent).
        post_migrate.connect(_seed, weak=False, dispatch_uid="education.defaults_sync")
