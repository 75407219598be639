from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "账户与权限"

    def ready(self):
        from django.db.models.signals import post_migrate

        from accounts import admin_login
        from accounts.permissions import discover, sync_permissions

        discover()
        admin_login.install()

        def _sync(sender, **kwargs):
            if sender.name == "accounts":
                sync_permissions()

        post_migrate.connect(_sync, weak=False, dispatch_uid="accounts.sync_permissions")
