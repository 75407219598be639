"""Chinese is the default language: every message of ours has a reviewed Chinese translation."""

import re
from pathlib import Path

CATALOGUE = Path(__file__).resolve().parents[1] / "backend" / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
_ENTRY = re.compile(r'^msgid ((?:".*"\n)+)msgstr ((?:".*"\n)+)', re.M)


def _text(quoted_lines):
    return "".join(re.findall(r'"(.*)"', quoted_lines))


def test_catalogue_has_no_fuzzy_or_empty_translations():
    po = CATALOGUE.read_text(encoding="utf-8")
    assert "#, fuzzy" not in po, "msgmerge guessed a translation: review it and drop the fuzzy flag"
    entries = [(_text(i), _text(s)) for i, s in _ENTRY.findall(po)]
    assert len(entries) > 300
    untranslated = [msgid for msgid, msgstr in entries[1:] if not msgstr]  # entries[0] is the header
    assert not untranslated, f"untranslated messages: {untranslated[:20]}"
