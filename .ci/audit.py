"""Known vulnerabilities in the lock files, by pip-audit: any one fails CI unless .ci/audit-ignore.txt lists it with
a reason.

    .venv/bin/python .ci/audit.py requirements-dev.lock requirements.lock

pip-audit asks PyPI for each pinned release (/pypi/NAME/VERSION/json) and, when that document does not answer,
skips the package and still exits 0. Behind a PyPI proxy that serves only the project documents (/pypi/NAME/json),
as on this project's machines, it would skip every package and report a clean scan. So each skipped package is looked
up here in its project document, whose "vulnerabilities" are those of the project's latest release (PyPI's same
feed): they count when the lock pins that release. A package pinned below its latest release cannot be audited that
way; it is listed as not audited (`make lock` moves pins to the latest releases the ranges admit).
"""
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import requests
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

IGNORE_FILE = Path(__file__).with_name("audit-ignore.txt")
PROJECT_DOCUMENT = "https://pypi.org/pypi/{name}/json"


def read_ignores(path: Path) -> dict[str, str]:
    """Vulnerability id → why it is accepted; an entry without a reason is refused (ValueError)."""
    ignores = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        vuln_id, *reason = line.split(None, 1)
        if not reason:
            raise ValueError(f"{path.name}:{number}: {vuln_id} has no reason; write why it is accepted after the id")
        ignores[vuln_id] = reason[0]
    return ignores


def locked_versions(locks: list[Path]) -> dict[str, str]:
    """Canonical name → the version pinned for this interpreter (a universal lock may pin one per Python version)."""
    versions = {}
    for lock in locks:
        for line in lock.read_text(encoding="utf-8").splitlines():
            if not line or line[0] in " #":   # hashes and comments are indented or commented
                continue
            requirement = Requirement(line.split(" --hash=", 1)[0].rstrip(" \\"))
            if requirement.marker is None or requirement.marker.evaluate():
                (pin,) = requirement.specifier
                versions[canonicalize_name(requirement.name)] = pin.version
    return versions


def run_pip_audit(locks: list[Path], ignores: dict[str, str]) -> list[dict]:
    """pip-audit's JSON report of the locks; what it says itself is printed as it said it."""
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "audit.json"
        command = [sys.executable, "-m", "pip_audit", "--require-hashes", "--disable-pip", "--progress-spinner",
                   "off", "--format", "json", "--output", str(report)]
        for lock in locks:
            command += ["--requirement", str(lock)]
        for vuln_id in ignores:
            command += ["--ignore-vuln", vuln_id]
        finished = subprocess.run(command, check=False, capture_output=True, text=True)
        print(f"$ pip-audit {' '.join(command[3:])}\n{finished.stdout}{finished.stderr}".rstrip(), flush=True)
        status = finished.returncode
        if status not in (0, 1):   # 1: vulnerabilities found, reported below; anything else: it could not scan
            raise SystemExit(f"pip-audit failed (exit {status})")
        return json.loads(report.read_text(encoding="utf-8"))["dependencies"]


def latest_release_vulns(name: str, pinned: str) -> list[dict] | None:
    """The vulnerabilities PyPI lists for the project's latest release, or None when the lock pins another one."""
    response = requests.get(PROJECT_DOCUMENT.format(name=name), timeout=30)
    response.raise_for_status()
    document = response.json()
    if document["info"]["version"] != pinned:
        print(f"  not audited: {name} {pinned} (PyPI's latest is {document['info']['version']})")
        return None
    return [{"id": vuln["id"], "aliases": vuln.get("aliases", []), "fix_versions": vuln.get("fixed_in", []),
             "description": vuln.get("summary") or vuln.get("details") or ""}
            for vuln in document.get("vulnerabilities", []) if not vuln.get("withdrawn")]


def known_vulnerabilities(dependencies: list[dict], pins: dict[str, str], ignores: dict[str, str]) -> list[tuple]:
    """(package, version, vulnerability) for every vulnerability not accepted in the ignore file."""
    found, by_release, by_project, unaudited = [], 0, 0, 0
    for dependency in dependencies:
        name = canonicalize_name(dependency["name"])
        version = dependency.get("version") or pins[name]
        vulns = dependency.get("vulns")
        if vulns is None:   # skipped by pip-audit: its release document did not answer
            vulns = latest_release_vulns(name, pins[name])
            if vulns is None:
                unaudited += 1
                continue
            by_project += 1
        else:
            by_release += 1
        found += [(name, version, vuln) for vuln in vulns
                  if not {vuln["id"], *vuln.get("aliases", [])} & ignores.keys()]
    print(f"{len(dependencies)} locked packages: {by_release} audited by pip-audit from their release's document, "
          f"{by_project} from their project's document (pinned at the latest release), {unaudited} not audited")
    return found


def main(arguments: list[str]) -> int:
    locks = [Path(argument) for argument in arguments]
    try:
        ignores = read_ignores(IGNORE_FILE)
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    for vuln_id, reason in ignores.items():
        print(f"accepted: {vuln_id} — {reason}")
    found = known_vulnerabilities(run_pip_audit(locks, ignores), locked_versions(locks), ignores)
    for name, version, vuln in found:
        fixes = ", ".join(vuln["fix_versions"]) or "no fixed release"
        print(f"VULNERABLE {name} {version}: {vuln['id']} (fixed in {fixes}) {vuln['description'][:200]}")
    if found:
        print("Upgrade within pyproject.toml's ranges (make lock) or widen a range; only if it does not apply to "
              "this project, list the id in .ci/audit-ignore.txt with the reason.")
        return 1
    print("No known vulnerabilities in " + ", ".join(str(lock) for lock in locks))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
