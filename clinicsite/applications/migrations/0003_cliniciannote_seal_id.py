"""Binds clinicians' notes' ciphertext to a UUID known before the INSERT (core/encrypted.py).

Three steps, because a column added with ``default=uuid.uuid4`` would give every existing row
the same value: add it nullable, fill each row with its own UUID, then make it unique.
"""

import uuid

from django.db import migrations, models


def fill(apps, schema_editor):
    model = apps.get_model("applications", "ClinicianNote")
    rows = list(model.objects.filter(seal_id__isnull=True).only("pk"))
    for row in rows:
        row.seal_id = uuid.uuid4()
    model.objects.bulk_update(rows, ["seal_id"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [("applications", "0002_review_queue_indexes")]

    operations = [
        migrations.AddField(
            model_name="cliniciannote", name="seal_id", field=models.UUIDField(null=True, editable=False)
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="cliniciannote",
            name="seal_id",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
    ]
