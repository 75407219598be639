from django.apps import AppConfig


class RiskConfig(AppConfig):
    name = "risk"
    verbose_name = "风险评估模型与知识库"
