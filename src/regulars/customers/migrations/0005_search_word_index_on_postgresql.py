from django.db import migrations

# Recognition search on PostgreSQL: the entries are matched by whole words and word
# starts, which a GIN index over the doc's words (exactly as written: no parser, no
# dictionary) serves directly; the trigram index on the doc
# (0004) also matched fragments inside words, read far more of the index, and made the
# planner flip between it and walking the whole key order. The vocabulary keeps its
# trigram index (typos, fragments). SQLite keeps its FTS5 tables: nothing to do there.
# The statements are written out rather than imported from the backend, so this
# migration keeps meaning what it meant when it was written.
# One lexeme per word as written, plus "^" and the first 2, 3 and 4 letters of every
# word starting with letters ("^gi", "^giu", "^gius"), so a typed word start is one
# posting list (backends._doc_words).
CREATE_WORDS = (
    "CREATE INDEX IF NOT EXISTS customers_searchdoc_words ON customers_searchdoc "
    "USING gin (array_to_tsvector(array_remove(string_to_array(doc || regexp_replace(doc, "
    r"' ([a-z]{2})([a-z]?)([a-z]?)[a-z0-9]*', ' ^\1 ^\1\2 ^\1\2\3', 'g'), ' '), '')))"
)
DROP_WORDS = "DROP INDEX IF EXISTS customers_searchdoc_words"
CREATE_TRIGRAMS = (
    "CREATE INDEX IF NOT EXISTS customers_searchdoc_doc_trgm "
    "ON customers_searchdoc USING gin (doc gin_trgm_ops)"
)
DROP_TRIGRAMS = "DROP INDEX IF EXISTS customers_searchdoc_doc_trgm"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE_WORDS)
        schema_editor.execute(DROP_TRIGRAMS)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE_TRIGRAMS)
        schema_editor.execute(DROP_WORDS)


class Migration(migrations.Migration):
    dependencies = [("customers", "0004_search_index")]
    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
