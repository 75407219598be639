from django.apps import AppConfig


class TimelineConfig(AppConfig):
    name = "timeline"
    verbose_name = "时间轴"

    def ready(self):
        from django.db.models.signals import post_migrate

        def _seed(sender, **kwargs):
            if sender.name == "timeline":
                from timeline.services import timeline_defaults_sync

                timeline_defaults_sync()

        # The platform's default nodes (timeline.defaults) exist after every migrate (idempotent).
        post_migrate.connect(_seed, weak=False, dispatch_uid="timeline.defaults_sync")
