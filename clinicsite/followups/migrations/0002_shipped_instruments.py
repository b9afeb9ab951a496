from django.db import migrations


def create_instruments(apps, schema_editor):
    from clinicsite.followups.instruments import ensure_instruments

    ensure_instruments(apps.get_model("followups", "Instrument"), apps.get_model("followups", "Question"))


class Migration(migrations.Migration):
    dependencies = [("followups", "0001_initial")]

    operations = [migrations.RunPython(create_instruments, migrations.RunPython.noop)]
