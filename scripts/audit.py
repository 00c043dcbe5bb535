"""Known vulnerabilities in the locked Python packages (requirements/dev.txt, which holds runtime.txt).

`make audit` runs this; `make test` runs it as tests/unit/deploy/test_supply_chain.py. It uses the first
advisory source that answers, and says which (docs/operations.md, "Supply chain"):

1. `pypi`: pip-audit with PyPI's per-release JSON API (/pypi/<name>/<version>/json), whose
   `vulnerabilities` are the PyPA advisory database's (OSV format). Complete: every locked release.
2. `osv`: pip-audit with api.osv.dev. Complete as well.
3. `pypi-latest`: only PyPI's per-project JSON API (/pypi/<name>/json) answers. Its `vulnerabilities`
   are those of the project's *latest* release, so every locked package pinned at its latest release is
   audited completely, and every other one is listed as NOT audited, with the release it lags behind
   (update it, or audit it where source 1 or 2 answers). This is what a machine that reaches only the
   package index (this project's development machines) can check.
4. `none`: nothing answers (no network). Nothing is checked; that is said, and the exit status is 0
   unless --require is given, so an offline test run never fails for want of a network.

A finding whose id or alias is in requirements/audit-ignore.toml (each with its reason) is reported as
explained and does not fail. Exit status: 1 if an unexplained vulnerability is found, else 0.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tomllib
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements" / "dev.txt"
IGNORE = ROOT / "requirements" / "audit-ignore.toml"
PYPI = "https://pypi.org/pypi"
OSV = "https://api.osv.dev/v1/query"
TIMEOUT = 10.0
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")


@dataclass(frozen=True)
class Finding:
    package: str
    version: str
    id: str
    aliases: tuple[str, ...]
    fixed_in: tuple[str, ...]
    reason: str | None = None  # set when the ignore list explains it


@dataclass
class Report:
    source: str
    findings: list[Finding] = field(default_factory=list)
    explained: list[Finding] = field(default_factory=list)
    audited: list[str] = field(default_factory=list)
    not_audited: dict[str, str] = field(default_factory=dict)  # package==version -> why


def locked(lock: Path = LOCK) -> dict[str, str]:
    """name -> version of every package pinned in the lock file (PEP 503-normalised names)."""
    pins: dict[str, str] = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        if m := _PIN.match(line):
            pins[re.sub(r"[-_.]+", "-", m.group(1)).lower()] = m.group(2)
    return pins


def ignored(path: Path = IGNORE) -> dict[str, str]:
    """advisory id -> reason, from the ignore list (every entry must give one)."""
    if not path.exists():
        return {}
    entries = tomllib.loads(path.read_text(encoding="utf-8")).get("ignore", [])
    out: dict[str, str] = {}
    for entry in entries:
        if not str(entry.get("reason", "")).strip():
            raise ValueError(f"{path.name}: {entry.get('id')} has no reason")
        out[str(entry["id"])] = str(entry["reason"])
    return out


def _answers(request: urllib.request.Request) -> bool:
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, TimeoutError, OSError):
        return False


def source(pins: dict[str, str]) -> str:
    """The most complete advisory source that answers from this machine."""
    name, version = next(iter(pins.items()))
    if _answers(urllib.request.Request(f"{PYPI}/{name}/{version}/json")):
        return "pypi"
    body = json.dumps({"package": {"name": name, "ecosystem": "PyPI"}, "version": version}).encode()
    if _answers(urllib.request.Request(OSV, data=body, headers={"Content-Type": "application/json"})):
        return "osv"
    if _answers(urllib.request.Request(f"{PYPI}/{name}/json")):
        return "pypi-latest"
    return "none"


def _with_reason(finding: Finding, reasons: dict[str, str]) -> Finding:
    for key in (finding.id, *finding.aliases):
        if key in reasons:
            return Finding(**{**finding.__dict__, "reason": reasons[key]})
    return finding


def _pip_audit(service: str, pins: dict[str, str], reasons: dict[str, str]) -> Report:
    # The lock's hashes are checked by pip at install time; here only name==version matters.
    out = subprocess.run(
        [sys.executable, "-m", "pip_audit", "-r", str(LOCK), "--require-hashes", "--disable-pip",
         "--no-deps", "-s", service, "-f", "json", "--progress-spinner", "off"],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    if not out.stdout.strip():
        raise RuntimeError(f"pip-audit failed ({out.returncode}): {out.stderr[-2000:]}")
    report = Report(source=service)
    for dep in json.loads(out.stdout)["dependencies"]:
        key = f"{dep['name']}=={dep.get('version', '?')}"
        if "skip_reason" in dep:
            report.not_audited[key] = dep["skip_reason"]
            continue
        report.audited.append(key)
        for vuln in dep.get("vulns", []):
            finding = _with_reason(
                Finding(dep["name"], dep["version"], vuln["id"], tuple(vuln.get("aliases", [])),
                        tuple(vuln.get("fix_versions", []))),
                reasons,
            )  # fmt: skip
            (report.explained if finding.reason else report.findings).append(finding)
    return report


def _project(name: str) -> dict[str, Any] | None:
    try:
        with urllib.request.urlopen(f"{PYPI}/{name}/json", timeout=TIMEOUT) as response:
            loaded: dict[str, Any] = json.load(response)
            return loaded
    except (urllib.error.URLError, TimeoutError, OSError, ValueError):
        return None


def _pypi_latest(pins: dict[str, str], reasons: dict[str, str]) -> Report:
    report = Report(source="pypi-latest")
    with ThreadPoolExecutor(max_workers=8) as pool:
        projects = dict(zip(pins, pool.map(_project, pins), strict=True))
    for name, version in sorted(pins.items()):
        key = f"{name}=={version}"
        project = projects[name]
        if project is None:
            report.not_audited[key] = "PyPI's project JSON did not answer"
            continue
        latest = str(project["info"]["version"])
        if latest != version:
            report.not_audited[key] = f"latest release is {latest}; per-release advisories not reachable"
            continue
        report.audited.append(key)
        for vuln in project.get("vulnerabilities") or []:
            finding = _with_reason(
                Finding(name, version, vuln["id"], tuple(vuln.get("aliases") or []),
                        tuple(vuln.get("fixed_in") or [])),
                reasons,
            )  # fmt: skip
            (report.explained if finding.reason else report.findings).append(finding)
    return report


def audit() -> Report:
    pins, reasons = locked(), ignored()
    found = source(pins)
    if found in ("pypi", "osv"):
        return _pip_audit(found, pins, reasons)
    if found == "pypi-latest":
        return _pypi_latest(pins, reasons)
    return Report(
        source="none", not_audited={f"{n}=={v}": "no advisory source reachable" for n, v in pins.items()}
    )


def show(report: Report) -> str:
    lines = [
        f"[audit] source: {report.source}; {len(report.audited)} locked packages audited, "
        f"{len(report.not_audited)} not audited, {len(report.findings)} unexplained and "
        f"{len(report.explained)} explained vulnerabilities"
    ]
    lines += [
        f"[audit] VULNERABLE {f.package}=={f.version}: {f.id} {' '.join(f.aliases)}"
        f" (fixed in {', '.join(f.fixed_in) or 'no release yet'})"
        for f in report.findings
    ]
    lines += [f"[audit] explained {f.package}=={f.version}: {f.id}: {f.reason}" for f in report.explained]
    lines += [f"[audit] not audited {key}: {why}" for key, why in sorted(report.not_audited.items())]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--require", action="store_true", help="fail when no advisory source answers")
    args = parser.parse_args()
    report = audit()
    print(show(report))
    if report.findings:
        return 1
    return 1 if args.require and report.source == "none" else 0


if __name__ == "__main__":
    sys.exit(main())
