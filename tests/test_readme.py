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
    assert "pip install" in app and "requirements.txt" in app and "streamlit run app.py" in app
    assert "pip install" in test and "requirements-dev.txt" in test and "pytest" in test
    assert "scripts/test.sh" in (ROOT / ".ci/run").read_text()
    assert "apt-get install" in (ROOT / ".ci/run").read_text() and "chromium" in (ROOT / ".ci/run").read_text()


def test_requirements_pin_the_cpu_torch():
    reqs = (ROOT / "requirements.txt").read_text().splitlines()
    assert "torch==2.13.0" in reqs
    assert all("==" in r for r in reqs if r and not r.startswith("#"))


def test_the_python_example_runs(tiny_checkpoint, monkeypatch):
    monkeypatch.setenv("KINVIZ_CHECKPOINT", str(tiny_checkpoint))
    code = blocks("python")[0]
    scope: dict = {}
    exec(compile(code, "README.md", "exec"), scope)  # noqa: S102 - the README's own example
    assert scope["filled_csv"].splitlines()[0].endswith(",predicted")


def test_every_documented_subcommand_answers_help():
    cli = [line for line in README.splitlines() if line.startswith("python -m kinviz ")]
    subcommands = {line.split()[3] for line in cli}
    assert subcommands == {"predict", "evaluate", "train", "convert", "bench", "tune"}
    for sub in subcommands:
        r = subprocess.run([sys.executable, "-m", "kinviz", sub, "--help"], cwd=ROOT, capture_output=True, text=True)
        assert r.returncode == 0, r.stderr


def test_readme_has_no_placeholders():
    assert "PLACEHOLDER" not in README
