"""The Indonesian catalogue is complete, and the compiled .mo matches the .po."""

import gettext
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PO = ROOT / "locale" / "id" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")


def entries():
    """(context, msgid, msgstr) of every entry but the header, from a gettext .po file."""
    text = PO.read_text(encoding="utf-8")
    for block in text.split("\n\n")[1:]:
        if block.lstrip().startswith("#~"):
            continue  # obsolete

        def field(name, block=block):
            match = re.search(rf'^{name} ("(?:.|\n)*?")\n(?=\w|#|$)', block + "\n", re.M)
            if not match:
                return None
            parts = re.findall(r'"((?:[^"\\]|\\.)*)"', match.group(1))
            return "".join(parts).encode().decode("unicode_escape").encode("latin-1").decode()

        msgid = field("msgid")
        if msgid is None:
            continue
        msgstr = field("msgstr") if field("msgstr") is not None else field(r"msgstr\[0\]")
        yield field("msgctxt"), msgid, msgstr, "#, fuzzy" in block


def test_every_string_is_translated():
    untranslated = [m for _, m, s, fuzzy in entries() if not s or fuzzy]
    assert not untranslated, f"untranslated or fuzzy: {untranslated[:10]}"
    assert len(list(entries())) > 150


def test_compiled_catalogue_is_up_to_date():
    with MO.open("rb") as f:
        catalogue = gettext.GNUTranslations(f)
    stale = []
    for context, msgid, msgstr, _ in entries():
        if "\n" in msgid:
            continue
        got = catalogue.pgettext(context, msgid) if context else catalogue.gettext(msgid)
        if got != msgstr and "%(" not in msgid:
            stale.append(msgid)
    assert not stale, f"run `make messages`; the .mo lacks: {stale[:10]}"
