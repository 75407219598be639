from django.apps import AppConfig


class FollowupConfig(AppConfig):
    name = "followup"
    verbose_name = "随访管理"

    def ready(self):
        from django.db.models.signals import post_migrate

        def _seed(sender, **kwargs):
            if sender.name == "followup":
                from followup.services import defaults_sync

                defaults_sync()

        # The platform's default plan and tags exist after every migrate and every flush of a test database.
        post_migrate.connect(_seed, weak=False, dispatch_uid="followup.defaults_sync")
