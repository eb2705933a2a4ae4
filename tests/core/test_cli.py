from __future__ import annotations

from grassroots import cli


def test_bench_lists_available_benchmarks(capsys):
    assert cli.main(["bench", "--help"]) == 0
    out = capsys.readouterr().out
    assert "usage: grassroots bench NAME" in out


def test_unknown_bench_is_refused_with_the_list(capsys):
    assert cli.main(["bench", "no-such-bench"]) == 2
    assert "unknown benchmark 'no-such-bench'" in capsys.readouterr().err


def test_management_commands_pass_through(capsys):
    assert cli.main(["help", "--commands"]) == 0
    assert "migrate" in capsys.readouterr().out
