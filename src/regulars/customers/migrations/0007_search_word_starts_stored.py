from django.db import migrations, models

# Recognition search on PostgreSQL: the word starts the word index holds beside the
# words ("^gi ^giu ^gius" for giuseppe) are stored in the entry, written with it
# (customers.search.backends.word_starts), instead of being computed by the index
# expression with regexp_replace, which took a quarter of a rebuild of a million
# entries. The entries already written get theirs from that same expression, minus
# the words it leaves as they are: the same lexemes, so no rebuild is needed. SQLite
# only gains the empty column (FTS5 keeps its own prefix indexes), added in place:
# Django would rebuild the table, and the FTS5 triggers with it would be lost.
# The statements are written out rather than imported from the backend, so this
# migration keeps meaning what it meant when it was written.
FILL_STARTS = (
    "UPDATE customers_searchdoc SET starts = regexp_replace(regexp_replace(doc, "
    r"' ([a-z]{2})([a-z]?)([a-z]?)[a-z0-9]*', ' ^\1 ^\1\2 ^\1\2\3', 'g'), "
    "' [^^ ][^ ]*', '', 'g')"
)
ADD_STARTS = "ALTER TABLE customers_searchdoc ADD COLUMN starts text NOT NULL DEFAULT ''"
DROP_STARTS = "ALTER TABLE customers_searchdoc DROP COLUMN starts"
DROP_WORDS = "DROP INDEX IF EXISTS customers_searchdoc_words"
CREATE_WORDS = (
    "CREATE INDEX IF NOT EXISTS customers_searchdoc_words ON customers_searchdoc "
    "USING gin (array_to_tsvector(array_remove(string_to_array(doc || starts, ' '), '')))"
)
CREATE_WORDS_0005 = (
    "CREATE INDEX IF NOT EXISTS customers_searchdoc_words ON customers_searchdoc "
    "USING gin (array_to_tsvector(array_remove(string_to_array(doc || regexp_replace(doc, "
    r"' ([a-z]{2})([a-z]?)([a-z]?)[a-z0-9]*', ' ^\1 ^\1\2 ^\1\2\3', 'g'), ' '), '')))"
)


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_WORDS)
        schema_editor.execute(FILL_STARTS)
        schema_editor.execute(CREATE_WORDS)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_WORDS)
        schema_editor.execute(CREATE_WORDS_0005)


class Migration(migrations.Migration):
    dependencies = [("customers", "0006_search_index_format")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="searchdoc",
                    name="starts",
                    field=models.TextField(blank=True, db_default=""),
                ),
            ],
            database_operations=[migrations.RunSQL(ADD_STARTS, DROP_STARTS, elidable=False)],
        ),
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
