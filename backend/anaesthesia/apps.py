from django.apps import AppConfig


class AnaesthesiaConfig(AppConfig):
    name = "anaesthesia"
    verbose_name = "麻醉门诊"
