from django.db import migrations


def seed(apps, schema_editor):
    from doctor_assessment.defaults import sync_default_rules

    sync_default_rules(apps.get_model("doctor_assessment", "HighRiskRule"))


class Migration(migrations.Migration):
    dependencies = [("doctor_assessment", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
