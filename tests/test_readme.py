"""The README's promises, tested so they cannot rot: the quick start, the Python example, the CLI lines."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", README, flags=re.S)


def test_quick_start_is_two_commands_that_exist_and_ci_runs_the_test_one():
    quick = README.split("## Quick start", 1)[1].split("##", 1)[0]
    commands = [line.split("#")[0].strip() for line in blocks("bash")[0].splitlines() if line.strip()]
    assert commands == ["bash scripts/app.sh", "bash scripts/test.sh"] and quick.count("```bash") == 1
    app, test = (ROOT / "scripts/app.sh").read_text(), (ROOT / "scripts/test.sh").read_text()
    for script, requirements, runs in ((app, "requirements.txt", "python -m streamlit run app.py"),
                                       (test, "requirements-dev.txt", "python -m pytest")):
        assert "source scripts/venv.sh" in script and f"use_venv {requirements}" in script and runs in script
        assert "python3 -m pip" not in script and "\npython -m pip" not in script, "stock Debian's pip refuses this"
    ci = (ROOT / ".ci/run").read_text()
    assert ci.rstrip().endswith("bash scripts/test.sh")
    assert "apt-get install" in ci and "chromium" in ci and "python3-venv" in ci


def test_the_scripts_venv_is_made_once_and_refilled_only_when_requirements_change(tmp_path):
    """scripts/venv.sh on a checkout of its own: python3 -m venv, pip only when a requirement file changed."""
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts/venv.sh").write_text((ROOT / "scripts/venv.sh").read_text())
    (tmp_path / "requirements.txt").write_text("# nothing to install\n")
    (tmp_path / "requirements-dev.txt").write_text("-r requirements.txt\n")

    def use(*files: str) -> str:
        r = subprocess.run(["bash", "-c", f"set -eu; source scripts/venv.sh; use_venv {' '.join(files)}; command -v python"],
                           cwd=tmp_path, capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr
        assert r.stdout.strip() == str(tmp_path / ".venv/bin/python"), "the scripts run the checkout's .venv"
        return r.stderr

    first = use("requirements-dev.txt", "requirements.txt")
    assert "Creating" in first and "Installing requirements-dev.txt" in first
    assert "Installing" not in use("requirements-dev.txt", "requirements.txt"), "a rerun reinstalls nothing"
    assert "Installing" not in use("requirements.txt"), "the dev install covered requirements.txt"
    (tmp_path / "requirements.txt").write_text("# changed\n")
    assert "Installing requirements.txt" in use("requirements.txt")


def test_requirements_pin_the_cpu_torch():
    reqs = (ROOT / "requirements.txt").read_text().splitlines()
    assert "torch==2.13.0" in reqs
    assert all("==" in r for r in reqs if r and not r.startswith("#"))


def test_the_python_example_runs(tiny_checkpoint, monkeypatch):
    monkeypatch.setenv("KINVIZ_CHECKPOINT", str(tiny_checkpoint))
    code = blocks("python")[0]
    scope: dict = {}
    exec(compile(code, "README.md", "exec"), scope)  # noqa: S102 - the README's own example
    assert scope["filled_csv"].splitlines()[0].endswith(",predicted,filled_by")


def test_every_documented_subcommand_answers_help():
    cli = [line for line in README.splitlines() if line.startswith("python -m kinviz ")]
    subcommands = {line.split()[3] for line in cli}
    assert subcommands == {"predict", "evaluate", "train", "convert", "bench", "tune"}
    for sub in subcommands:
        r = subprocess.run([sys.executable, "-m", "kinviz", sub, "--help"], cwd=ROOT, capture_output=True, text=True)
        assert r.returncode == 0, r.stderr


def test_readme_has_no_placeholders():
    assert "PLACEHOLDER" not in README
