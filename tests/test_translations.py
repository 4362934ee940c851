"""Every user-facing string is translated into it, da, ru and es, and none is fuzzy.

The catalogues are re-extracted from the current source into a scratch copy (Django's
makemessages, which needs gettext's xgettext/msgmerge), so a string added to the code
but not to the catalogues fails here too.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import polib
import pytest
from django.core.management import call_command
from django.test import override_settings

import regulars

PACKAGE = Path(regulars.__file__).resolve().parent
LANGUAGES = ("it", "da", "ru", "es")


@pytest.fixture(scope="module")
def fresh_catalogues(tmp_path_factory: pytest.TempPathFactory) -> dict[str, polib.POFile]:
    if shutil.which("xgettext") is None or shutil.which("msgmerge") is None:
        pytest.fail("gettext is not installed: apt-get install gettext (make test does this)")
    scratch = tmp_path_factory.mktemp("messages")
    source = scratch / "src"
    shutil.copytree(
        PACKAGE,
        source,
        ignore=shutil.ignore_patterns("locale", "__pycache__", "migrations", "static"),
    )
    locale = scratch / "locale"
    shutil.copytree(PACKAGE / "locale", locale)
    cwd = Path.cwd()
    os.chdir(source)
    try:
        with override_settings(LOCALE_PATHS=[str(locale)]):
            call_command("makemessages", locale=list(LANGUAGES), no_obsolete=True, verbosity=0)
    finally:
        os.chdir(cwd)
    return {
        lang: polib.pofile(str(locale / lang / "LC_MESSAGES" / "django.po")) for lang in LANGUAGES
    }


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_string_is_translated(
    language: str, fresh_catalogues: dict[str, polib.POFile]
) -> None:
    catalogue = fresh_catalogues[language]
    missing = [e.msgid for e in catalogue.untranslated_entries() if not e.obsolete]
    assert missing == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_translation_is_fuzzy(language: str, fresh_catalogues: dict[str, polib.POFile]) -> None:
    fuzzy = [e.msgid for e in fresh_catalogues[language].fuzzy_entries()]
    assert fuzzy == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_committed_catalogue_is_up_to_date(
    language: str, fresh_catalogues: dict[str, polib.POFile]
) -> None:
    committed = polib.pofile(str(PACKAGE / "locale" / language / "LC_MESSAGES" / "django.po"))
    wanted = {(e.msgctxt, e.msgid) for e in fresh_catalogues[language] if not e.obsolete}
    have = {(e.msgctxt, e.msgid) for e in committed if not e.obsolete}
    assert sorted(wanted - have, key=str) == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_placeholders_survive_translation(language: str) -> None:
    """A translation keeps every %(name)s / {name} placeholder of its source."""
    import re

    pattern = re.compile(r"%\([a-z_]+\)[sd]|\{[a-z_]+\}")
    committed = polib.pofile(str(PACKAGE / "locale" / language / "LC_MESSAGES" / "django.po"))
    broken = [
        e.msgid
        for e in committed.translated_entries()
        if sorted(pattern.findall(e.msgid)) != sorted(pattern.findall(e.msgstr))
        and not e.msgid_plural
    ]
    assert broken == []
