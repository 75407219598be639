from django.apps import AppConfig


class PreopConfig(AppConfig):
    name = "preop"
    verbose_name = "术前患者管理"
