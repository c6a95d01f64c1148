"""The command-line boundary: version, help, usage errors (exit 2, one line)."""

import subprocess
import sys

import pytest

import vqtoolkit
from vqtoolkit.cli import main


def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"vqtoolkit {vqtoolkit.__version__}"


def test_no_command_prints_help_and_exits_2(capsys):
    assert main([]) == 2
    assert "usage: vqtoolkit" in capsys.readouterr().err


def test_unknown_command_is_a_one_line_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["frobnicate"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("vqtoolkit: error:") and err.count("\n") == 1


def test_python_dash_m_runs_the_same_command():
    out = subprocess.run([sys.executable, "-m", "vqtoolkit", "--version"],
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() == f"vqtoolkit {vqtoolkit.__version__}"
