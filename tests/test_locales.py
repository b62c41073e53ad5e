"""Every text exists in every language, and every key the code asks for exists."""

import re

from bot.config import DATA_DIR, REPO_ROOT
from bot.i18n import LANGUAGES, I18n

I18N = I18n.load(DATA_DIR / "locales")
KEY_RE = re.compile(r"""\bt\(\s*(?:[a-z_.]+,\s*)?["']([a-z_]+\.[a-z_]+)["']""")


def test_every_key_exists_in_every_language():
    keys = {lang: set(I18N.texts[lang]) for lang in LANGUAGES}
    for lang in LANGUAGES:
        missing = keys["vi"] - keys[lang] | (keys[lang] - keys["vi"])
        assert not missing, f"{lang}: {sorted(missing)}"


def test_placeholders_match_between_languages():
    for key, vi_text in I18N.texts["vi"].items():
        fields = set(re.findall(r"{(\w+)}", vi_text))
        assert fields == set(re.findall(r"{(\w+)}", I18N.texts["en"][key])), key


def test_every_key_used_in_code_exists():
    used = set()
    for path in [*REPO_ROOT.joinpath("bot").rglob("*.py"), *REPO_ROOT.joinpath("handlers").rglob("*.py")]:
        used |= set(KEY_RE.findall(path.read_text(encoding="utf-8")))
    assert used, "the key pattern found nothing: the test would be empty"
    missing = sorted(k for k in used if k not in I18N.texts["vi"])
    assert not missing, missing


def test_dynamic_keys_exist():
    for platform in ("console", "telegram", "zalo"):
        assert f"help.{platform}" in I18N.texts["en"]
    for category in ("food", "beverage", "herbal", "textile", "handicraft", "tourism"):
        assert f"category.{category}" in I18N.texts["en"]
    for kind in ("enterprise", "cooperative", "cooperative_group", "household", "unknown"):
        assert f"producer_type.{kind}" in I18N.texts["en"]
