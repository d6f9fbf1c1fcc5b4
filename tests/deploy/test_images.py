"""The service images, checked without a Docker engine: Dockerfile structure, the build context the
.dockerignore sends, and that the files an image gets import its service (and no other)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.specifiers import SpecifierSet

from shared.events.catalogue import SERVICES

from .manifests import K8S, REPO, env_prefix, setting_default

pytestmark = pytest.mark.contract

Instruction = tuple[str, str]
PRUNED = {
    ".git",
    ".venv",
    "var",
    "node_modules",
}  # never walked: the .dockerignore must drop them anyway


def instructions(path: Path) -> list[Instruction]:
    """(INSTRUCTION, arguments) with continuations joined and comments dropped."""
    lines, current = [], ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        stripped = raw.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        lines.append(current + stripped)
        current = ""
    parsed = []
    for line in lines:
        keyword, _, arguments = line.partition(" ")
        parsed.append((keyword.upper(), arguments.strip()))
    return parsed


def stages(path: Path) -> list[list[Instruction]]:
    result: list[list[Instruction]] = []
    for instruction in instructions(path):
        if instruction[0] == "FROM":
            result.append([])
        assert result, f"{path}: an instruction before FROM"
        result[-1].append(instruction)
    return result


def dockerfile(service: str) -> Path:
    return REPO / "services" / service / "Dockerfile"


def ignore_rules() -> list[tuple[bool, re.Pattern[str]]]:
    """(excluded?, pattern) in file order; the last matching rule wins, as in Docker."""
    rules = []
    for raw in (REPO / ".dockerignore").read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        pattern = line.lstrip("!").strip("/")
        regex = ""
        index = 0
        while index < len(pattern):
            if pattern.startswith("**/", index):
                regex, index = regex + "(?:.*/)?", index + 3
            elif pattern.startswith("**", index):
                regex, index = regex + ".*", index + 2
            elif pattern[index] == "*":
                regex, index = regex + "[^/]*", index + 1
            elif pattern[index] == "?":
                regex, index = regex + "[^/]", index + 1
            elif pattern[index] == "[":
                end = pattern.index("]", index)
                regex, index = regex + pattern[index : end + 1], end + 1
            else:
                regex, index = regex + re.escape(pattern[index]), index + 1
        rules.append((not negated, re.compile(regex)))
    return rules


def excluded(relative: str, rules: list[tuple[bool, re.Pattern[str]]]) -> bool:
    parts = relative.split("/")
    verdict = False
    for is_exclusion, pattern in rules:
        # A rule on a directory applies to everything under it.
        if any(pattern.fullmatch("/".join(parts[: n + 1])) for n in range(len(parts))):
            verdict = is_exclusion
    return verdict


def build_context() -> set[str]:
    rules = ignore_rules()
    sent = set()
    for directory, subdirectories, files in os.walk(REPO):
        subdirectories[:] = [d for d in subdirectories if d not in PRUNED]
        for name in files:
            relative = str((Path(directory) / name).relative_to(REPO))
            if not excluded(relative, rules):
                sent.add(relative)
    return sent


def copied_into_app(service: str, context: set[str]) -> dict[str, str]:
    """Context file -> path under /app, for the build stage's COPY instructions into /app."""
    build = stages(dockerfile(service))[0]
    files = {}
    for keyword, arguments in build:
        if keyword != "COPY" or "--from" in arguments:
            continue
        *sources, destination = arguments.split()
        if not destination.startswith("/app"):
            continue
        for source in sources:
            source = source.rstrip("/")
            for relative in sorted(context):
                if relative == source:
                    target = (
                        destination
                        if not destination.endswith("/")
                        else destination + Path(relative).name
                    )
                    files[relative] = target
                elif relative.startswith(source + "/"):
                    files[relative] = destination.rstrip("/") + "/" + relative[len(source) + 1 :]
    return files


@pytest.mark.parametrize("service", SERVICES)
def test_the_dockerfile_is_multi_stage_on_one_pinned_python_base(service: str) -> None:
    froms = [
        arguments
        for stage in stages(dockerfile(service))
        for keyword, arguments in stage
        if keyword == "FROM"
    ]
    assert len(froms) >= 2, "build and runtime stages"
    images = {arguments.split()[0] for arguments in froms}
    assert len(images) == 1, f"one base image for every stage: {images}"
    image = images.pop()
    match = re.fullmatch(r"python:(\d+)\.(\d+)\.(\d+)-slim-[a-z]+(@sha256:[0-9a-f]{64})?", image)
    assert match, f"{image}: pin an exact Python version (and Debian release), never a moving tag"
    requires = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "requires-python"
    ]
    assert ".".join(match.groups()[:3]) in SpecifierSet(requires)


@pytest.mark.parametrize("service", SERVICES)
def test_the_image_runs_as_the_non_root_user_the_pod_expects(service: str) -> None:
    runtime = stages(dockerfile(service))[-1]
    users = [arguments for keyword, arguments in runtime if keyword == "USER"]
    assert users, "the runtime stage sets USER"
    uid, _, gid = users[-1].partition(":")
    assert uid.isdigit() and int(uid) != 0, (
        "a numeric, non-root uid (runAsNonRoot can only check numbers)"
    )
    pod = yaml.safe_load((K8S / "base" / service / "deployment.yaml").read_text(encoding="utf-8"))
    security = pod["spec"]["template"]["spec"]["securityContext"]
    assert security["runAsUser"] == int(uid)
    assert not gid or security["runAsGroup"] == int(gid)


@pytest.mark.parametrize("service", SERVICES)
def test_the_image_copies_shared_and_its_own_service_only(service: str) -> None:
    allowed = {"pyproject.toml", "shared", "services/__init__.py", f"services/{service}"}
    sources = set()
    for stage in stages(dockerfile(service)):
        for keyword, arguments in stage:
            if keyword in ("COPY", "ADD") and "--from" not in arguments:
                assert keyword == "COPY", "ADD fetches and unpacks: use COPY"
                sources |= {s.rstrip("/") for s in arguments.split()[:-1]}
    assert sources <= allowed, f"copies {sorted(sources - allowed)}"
    assert {"shared", f"services/{service}"} <= sources


@pytest.mark.parametrize("service", SERVICES)
def test_the_image_serves_the_service_port_with_a_healthcheck(service: str) -> None:
    runtime = stages(dockerfile(service))[-1]
    port = setting_default(service, "http_port")
    by_keyword: dict[str, list[str]] = {}
    for keyword, arguments in runtime:
        by_keyword.setdefault(keyword, []).append(arguments)
    assert by_keyword["EXPOSE"] == [str(port)]
    assert f"127.0.0.1:{port}/healthz" in by_keyword["HEALTHCHECK"][-1]
    assert json.loads(by_keyword["ENTRYPOINT"][-1]) == ["python", "-m", f"services.{service}"]
    assert json.loads(by_keyword["CMD"][-1]) == ["serve"]
    environment = " ".join(by_keyword["ENV"])
    assert f"{env_prefix(service)}HTTP_HOST=0.0.0.0" in environment, (
        "reachable from outside the container"
    )


def test_the_build_context_holds_only_the_project_file_shared_and_services() -> None:
    context = build_context()
    assert "pyproject.toml" in context
    assert all(
        path == "pyproject.toml" or path.startswith(("shared/", "services/")) for path in context
    ), sorted(path for path in context if not path.startswith(("shared/", "services/")))[:10]
    assert not any(
        path.startswith("shared/devstack/") or path == "shared/testing.py" for path in context
    )
    assert not any("__pycache__" in path or path.endswith((".pyc", ".env")) for path in context)
    for service in SERVICES:
        assert f"services/{service}/migrations/env.py" in context


@pytest.mark.parametrize("service", SERVICES)
def test_the_files_an_image_gets_import_its_service_and_no_other(
    service: str, tmp_path: Path
) -> None:
    files = copied_into_app(service, build_context())
    for source, target in files.items():
        destination = tmp_path / target.lstrip("/")
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(REPO / source, destination)
    app = tmp_path / "app"
    others = [f"/app/services/{other}/" for other in SERVICES if other != service]
    assert not any(target.startswith(tuple(others)) for target in files.values())
    probe = f"""
import json, sys
from pathlib import Path
import services.{service}.app, services.{service}.settings, services.{service}.__main__
from alembic.script import ScriptDirectory
from shared.migrations import alembic_config
module = services.{service}.settings
settings = [v for v in vars(module).values() if getattr(v, '__module__', '') == module.__name__
            and isinstance(v, type)][0]
migrations = Path(services.{service}.__file__).parent / "migrations"
heads = ScriptDirectory.from_config(alembic_config(settings(), migrations)).get_heads()
print(json.dumps({{"file": services.{service}.__file__, "heads": heads,
                  "modules": sorted(m for m in sys.modules if m.startswith("services."))}}))
"""
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith(("PYTHON", "HOCTAP_"))
    }
    environment["PYTHONPATH"] = str(app)
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["file"].startswith(str(app)), "imported from the image's files, not the work tree"
    assert found["heads"], "the migrations are in the image"
    strangers = [
        m
        for m in found["modules"]
        if not (m == f"services.{service}" or m.startswith(f"services.{service}."))
    ]
    assert not strangers, f"services.{service} imports {strangers}"
