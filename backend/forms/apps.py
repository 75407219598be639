from django.apps import AppConfig


class FormsConfig(AppConfig):
    name = "forms"
    verbose_name = "问卷与随访表单"
