"""One table of strings: every entry in both languages; pages and app hold no user-facing Chinese literals."""

import re
import string
from pathlib import Path

from funnel.i18n import STRINGS, t

ROOT = Path(__file__).resolve().parent.parent
CJK = re.compile(r"[\u4e00-\u9fff]")


def test_every_string_in_both_languages_with_the_same_fields():
    for key, entry in STRINGS.items():
        assert entry.get("zh") and entry.get("en"), key
        fields = [{f for _, f, _, _ in string.Formatter().parse(entry[lang]) if f} for lang in ("zh", "en")]
        assert fields[0] == fields[1], key


def test_unknown_key_shows_itself():
    assert t("no_such_key", "zh") == "no_such_key"


def test_pages_take_their_text_from_the_table():
    for path in [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]:
        code = "\n".join(line for line in path.read_text().splitlines() if not line.lstrip().startswith("#"))
        code = re.sub(r'"""[\s\S]*?"""', "", code)
        assert not CJK.search(code), f"{path.name} has a Chinese literal: use funnel.i18n"


def test_error_keys_used_in_the_package_exist():
    used = set()
    for path in (ROOT / "funnel").glob("*.py"):
        used |= set(re.findall(r'FunnelError\(\s*"([a-z_]+)"', path.read_text()))
    assert used and used <= set(STRINGS)


def test_counts_in_the_pages_sentences_have_separators():
    """A count put into a sentence reads '7,845 customers', not '7845': pages pass formats.count(...), never a
    bare len(...) (a 2M-line table showed '7845 A/B customers have had no order…')."""
    for path in [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]:
        text = path.read_text()
        bare = re.findall(r"\btr\([^()]*\b[a-z]+=len\(", text)  # n=len(rows)
        bare += re.findall(r"\btr\([^()]*\bn=[a-z_]+\.[a-z_]+[,)]", text)  # n=deals.lost_without_stage
        bare += re.findall(r"\btr\([^()]*\*\*[a-z_]+\.[a-z_]+\)", text)  # **deals.placements
        assert not bare, f"{path.name}: {bare}"
