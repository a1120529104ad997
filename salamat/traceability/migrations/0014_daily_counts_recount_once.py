"""The daily counters are recounted once after the deltas arrive (0013).

Until 0013 the counters were recounted from the packages every few minutes; since, the services
record deltas and the job only folds them. The changes made between the last recount before
the upgrade and the first delta are in neither, so the mark is removed: the next run of the job
recounts every day from the packages in one snapshot (and the series is counted live until it
has), after which it folds.
"""

from django.db import migrations


def recount_next_time(apps, schema_editor):
    apps.get_model("traceability", "DailyCountMark").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("traceability", "0013_daily_delta")]

    operations = [migrations.RunPython(recount_next_time, migrations.RunPython.noop)]
