"""Deal references stored before PO / L/C / invoice labels were dropped from the key.

"PO4500012345" and "4500012345" were two rows of one deal; now both are the PO 4500012345
(:func:`tradeinbox.core.references.canonical_value`). Re-key every row; where the deal
already has the canonical row, the other spelling goes.
"""

from django.db import migrations


def rekey(apps, schema_editor):
    from tradeinbox.core.references import canonical_value

    DealReference = apps.get_model("deals", "DealReference")
    for row in DealReference.objects.order_by("deal_id", "created_at", "id").iterator():
        value = canonical_value(row.kind, row.value)[:64]
        if value == row.value:
            continue
        taken = (
            DealReference.objects.filter(deal_id=row.deal_id, group=row.group, value=value)
            .exclude(pk=row.pk)
            .exists()
        )
        if taken:
            row.delete()
        else:
            row.value = value
            row.save(update_fields=["value"])


class Migration(migrations.Migration):
    dependencies = [("deals", "0001_initial")]

    operations = [migrations.RunPython(rekey, migrations.RunPython.noop)]
