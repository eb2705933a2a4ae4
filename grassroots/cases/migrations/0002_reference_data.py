from django.db import migrations


def forwards(apps, schema_editor):
    from grassroots.cases.reference import SEED_YEARS, holiday_exceptions, load_categories

    load_categories(apps.get_model("cases", "Category"))
    CalendarDay = apps.get_model("cases", "CalendarDay")
    rows = holiday_exceptions(SEED_YEARS)
    CalendarDay.objects.bulk_create(
        [
            CalendarDay(date=day, is_workday=workday, name=name, source="holidays")
            for day, (workday, name) in sorted(rows.items())
        ],
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
