from django.db import migrations


def load_reference(apps, schema_editor):
    from planner import reference

    reference.load(apps)


class Migration(migrations.Migration):
    dependencies = [("planner", "0001_initial")]

    operations = [migrations.RunPython(load_reference, migrations.RunPython.noop)]
