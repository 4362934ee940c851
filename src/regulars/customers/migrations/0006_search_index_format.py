from django.db import migrations, models


# The recognition index records the format its entries were written in, so that a
# change to what the entries hold or how words are normalised rebuilds it
# (``regulars migrate``; see customers.search.index.index_is_stale). An index built
# before formats were recorded is format 1.


def record_format_one(apps, schema_editor):
    SearchDoc = apps.get_model("customers", "SearchDoc")
    SearchIndexFormat = apps.get_model("customers", "SearchIndexFormat")
    if SearchDoc.objects.exists():
        SearchIndexFormat.objects.create(id=1, format=1)


class Migration(migrations.Migration):
    dependencies = [("customers", "0005_search_word_index_on_postgresql")]

    operations = [
        migrations.CreateModel(
            name="SearchIndexFormat",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("format", models.PositiveIntegerField()),
            ],
        ),
        migrations.RunPython(record_format_one, migrations.RunPython.noop, elidable=False),
    ]
