"""The CLI's last line of defence: an unforeseen error is one line naming the command and its
input, `--debug` shows the traceback, and native log lines stay off stderr unless `-v`."""

from __future__ import annotations

import subprocess
import sys

import pytest

from facetwin.app import cli


def _boom(*args, **kwargs):
    raise RuntimeError("boom\nsecond line")


def test_an_unexpected_error_is_one_line_naming_command_and_input(monkeypatch, capsys):
    monkeypatch.setattr("facetwin.face_config.load_face_config", _boom)
    # -v keeps fd 2 as pytest set it up, so that capsys sees the line.
    monkeypatch.setattr(sys, "argv", ["facetwin", "-v", "info", "--json"])
    with pytest.raises(SystemExit) as exit_info:
        cli.main()
    assert exit_info.value.code == 1
    assert capsys.readouterr().err == ("facetwin: error: info failed on `-v info --json`: RuntimeError: boom "
                                       "(rerun with --debug for the traceback)\n")


def test_debug_shows_the_traceback(monkeypatch):
    monkeypatch.setattr("facetwin.face_config.load_face_config", _boom)
    monkeypatch.setattr(sys, "argv", ["facetwin", "--debug", "-v", "info"])
    with pytest.raises(RuntimeError, match="boom"):
        cli.main()


def test_native_log_lines_are_silenced_but_python_stderr_is_not():
    code = ("import os, sys; from facetwin.app.quiet_logs import silence_native_stderr; "
            "silence_native_stderr(); os.write(2, b'native chatter\\n'); print('kept', file=sys.stderr)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stderr == "kept\n"
