from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "messaging"
    verbose_name = "消息与智慧服务"

    def ready(self):
        from django.db.models.signals import post_migrate

        def _seed(sender, **kwargs):
            if sender.name == "messaging":
                from messaging.services import plans_sync_defaults

                plans_sync_defaults()

        # The built-in plans (messaging.defaults) exist after every migrate and every flush of a test database.
        post_migrate.connect(_seed, weak=False, dispatch_uid="messaging.defaults_sync")
