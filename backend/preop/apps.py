from django.apps import AppConfig


class PreopConfig(AppConfig):
    name = "preop"
    verbose_name = "术前患者管理"

    def ready(self):
        from django.db.models.signals import post_migrate

        def _seed(sender, **kwargs):
            if sender.name == "preop":
                from preop.services import icon_rules_sync_defaults

                icon_rules_sync_defaults()

        # The platform's default icon rules (preop.defaults) exist after every migrate and every flush of a test
        # database (idempotent): the data migration alone leaves them lost after a transactional test.
        post_migrate.connect(_seed, weak=False, dispatch_uid="preop.defaults_sync")
