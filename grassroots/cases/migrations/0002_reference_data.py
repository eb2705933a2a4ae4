from django.db import migrations


def forwards(apps, schema_editor):
    from grassroots.cases.reference import load_categories

    load_categories(apps.get_model("cases", "Category"))

    import holidays

    CalendarDay = apps.get_model("cases", "CalendarDay")
    years = [2025, 2026, 2027]
    cn = holidays.China(years=years, language="zh_CN")
    rows = {}
    for day, name in cn.items():
        if day.weekday() < 5:
            rows[day] = (False, str(name))
    for day in getattr(cn, "weekend_workdays", set()):
        if day.year in years:
            rows[day] = (True, "调休上班")
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
