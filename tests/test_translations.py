"""The Chinese catalogue is complete and in step with the code (Chinese is the default language)."""
import subprocess
import sys
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
PO = ROOT / "translations/zh_Hans_CN/LC_MESSAGES/messages.po"


def _catalog():
    with PO.open("rb") as handle:
        return read_po(handle, locale="zh_Hans_CN")


def _wanted_directory(dirpath: str) -> bool:
    # Babel's default filter skips folders starting with "_", which would hide templates/_macros.
    name = Path(dirpath).name
    return not name.startswith(".") and name not in ("node_modules", "__pycache__")


def test_every_string_in_the_code_has_a_chinese_translation():
    catalog = _catalog()
    method_map = [("app.py", "python"), ("participation/**.py", "python"), ("surveys/**.py", "python"),
                  ("templates/**.html", "jinja2")]
    keywords = {"_": None, "_l": None, "gettext": None, "lazy_gettext": None, "ngettext": (1, 2)}
    untranslated = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map=method_map, keywords=keywords, options_map={"templates/**.html": {}},
            directory_filter=_wanted_directory):
        msgid = message[0] if isinstance(message, tuple) else message
        entry = catalog.get(msgid)
        if entry is None or not entry.string or (isinstance(entry.string, tuple) and not all(entry.string)):
            untranslated.add(msgid)
    assert not untranslated, f"untranslated: {sorted(untranslated)[:20]}"


def test_catalogue_compiles():
    result = subprocess.run([sys.executable, "-m", "babel.messages.frontend", "compile", "-d", "translations",
                             "--statistics", "-f", "-o", "/dev/null", "-i", str(PO)],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
