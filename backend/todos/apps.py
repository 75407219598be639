from django.apps import AppConfig


class TodosConfig(AppConfig):
    name = "todos"
    verbose_name = "待办"

    def ready(self):
        from django.db.models.signals import post_migrate

        def _seed(sender, **kwargs):
            if sender.name == "todos":
                from todos.services import todo_rules_sync_defaults

                todo_rules_sync_defaults()

        # The default rules exist after every migrate and every flush of a test database (idempotent).
        post_migrate.connect(_seed, weak=False, dispatch_uid="todos.defaults_sync")
