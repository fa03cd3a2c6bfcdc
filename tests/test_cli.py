import subprocess
import sys


def test_unknown_command_is_a_usage_error() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "esfbank", "no-such-command"], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert "invalid choice" in proc.stderr


def test_a_named_command_builds_only_its_own_part_of_the_command_line() -> None:
    """`esfbank parse` starts without importing the other subcommands (nor what they import)."""
    code = (
        "import sys; from esfbank.cli import build_parser;"
        "build_parser('parse').parse_args(['parse', 'x.html']);"
        "print(sorted(m for m in sys.modules if m.startswith('esfbank.commands.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    # its own module and the flags several commands share (--jobs), no other subcommand
    assert out.stdout.strip() == "['esfbank.commands._options', 'esfbank.commands.parse']"
    everything = subprocess.run(
        [sys.executable, "-m", "esfbank", "--help"], capture_output=True, text=True, check=True
    )
    assert "import" in everything.stdout
    assert "reparse" in everything.stdout
