"""Seed the platform's default bed-card icon rules (preop.defaults); later changes go through
preop.services.icon_rules_sync_defaults (the demo and deployments run it)."""

from django.db import migrations


def seed(apps, schema_editor):
    from preop.defaults import DEFAULT_ICON_RULES

    IconRule = apps.get_model("preop", "IconRule")
    for spec in DEFAULT_ICON_RULES:
        values = {k: v for k, v in spec.items() if k != "key"}
        if not IconRule.objects.filter(hospital__isnull=True, key=spec["key"]).exists():
            IconRule.objects.create(hospital=None, key=spec["key"], is_active=True, **values)


class Migration(migrations.Migration):
    dependencies = [("preop", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
