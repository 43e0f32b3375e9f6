"""Keep the zh_Hans_CN catalogue in step with the code.

    python translations/catalog.py update            extract every _() string and merge it into the .po
    python translations/catalog.py fill FILE.json    set msgstr for msgids from a {"msgid": "译文"} file
    python translations/catalog.py missing           list msgids without a translation (exit 1 if any)

Message ids are English; Chinese is the default locale, so the Chinese catalogue must be complete.
"""
import json
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "translations/zh_Hans_CN/LC_MESSAGES/messages.po"
POT = ROOT / "translations/messages.pot"


def _load():
    with PO.open("rb") as handle:
        return read_po(handle, locale="zh_Hans_CN")


def _save(catalog) -> None:
    with PO.open("wb") as handle:
        write_po(handle, catalog, width=120, sort_output=True, omit_header=False, include_previous=False)


def update() -> None:
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-k", "_l",
                    "--no-location", "--sort-output", "--ignore-dirs", ".* node_modules", "-o", str(POT), "."], cwd=ROOT, check=True)
    if not PO.exists():
        subprocess.run([sys.executable, "-m", "babel.messages.frontend", "init", "-i", str(POT), "-d", "translations",
                        "-l", "zh_Hans_CN"], cwd=ROOT, check=True)
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "update", "-i", str(POT), "-d", "translations",
                    "-l", "zh_Hans_CN", "--no-fuzzy-matching", "--ignore-obsolete"], cwd=ROOT, check=True)


def fill(path: str) -> None:
    translations = json.loads(Path(path).read_text(encoding="utf-8"))
    catalog = _load()
    unknown = []
    for msgid, msgstr in translations.items():
        message = catalog.get(msgid)
        if message is None:
            unknown.append(msgid)
            continue
        message.string = msgstr
        message.flags.discard("fuzzy")
    _save(catalog)
    for msgid in unknown:
        print(f"not in catalogue (run update first?): {msgid}")


def missing() -> int:
    catalog = _load()
    absent = [message.id for message in catalog if message.id and not message.string]
    for msgid in absent:
        print(json.dumps(msgid, ensure_ascii=False))
    return 1 if absent else 0


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "missing"
    if command == "update":
        update()
    elif command == "fill":
        fill(sys.argv[2])
    else:
        sys.exit(missing())
