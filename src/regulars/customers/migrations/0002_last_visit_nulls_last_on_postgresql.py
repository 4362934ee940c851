from django.db import migrations

# The customer list orders by last visit DESC NULLS LAST (never-seen customers last).
# PostgreSQL needs an index declared that way to serve the order; SQLite cannot declare
# NULLS LAST in an index and sorts NULL last in DESC by itself.
CREATE = (
    "CREATE INDEX IF NOT EXISTS customer_last_visit_nl "
    "ON customers_customer (last_visit_at DESC NULLS LAST, id)"
)
DROP = "DROP INDEX IF EXISTS customer_last_visit_nl"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("customers", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
