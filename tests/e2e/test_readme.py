"""The README's runnable shell blocks, run as a newcomer pastes them: in order, in a copy of the checkout.

The copy has the test run's virtual environment as its `.venv` (no reinstall: too slow) and that environment's
bin first on PATH. The servers listen on free ports, given as AUTOCHARGE_API_PORT / AUTOCHARGE_OCPP_PORT; where
a block spells the default ports (:8000, :9000) they are replaced by those. Nothing else is changed.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.readme import README, RunnableBlock, runnable_blocks

ROOT = README.parent
VENV = Path(sys.prefix)
BLOCK_TIMEOUT_SECONDS = 60
SERVER_START_SECONDS = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def checkout_files() -> list[str]:
    """What a clone holds: the tracked files, and new ones not ignored (this change may not be committed yet)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    )
    return [name for name in listed.stdout.decode().split("\0") if name and (ROOT / name).is_file()]


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs the git checkout to copy")
    copy = tmp_path_factory.mktemp("checkout")
    for name in checkout_files():
        (copy / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, copy / name)
    (copy / ".venv").symlink_to(VENV, target_is_directory=True)
    return copy


class Shell:
    """Runs README blocks in `cwd` with bash, each line of a block required to succeed (set -eo pipefail)."""

    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd
        self.api_port, self.ocpp_port = free_port(), free_port()
        env = {name: value for name, value in os.environ.items() if not name.startswith("AUTOCHARGE_")}
        env["PATH"] = f"{VENV / 'bin'}{os.pathsep}{env.get('PATH', '')}"
        env["AUTOCHARGE_API_PORT"], env["AUTOCHARGE_OCPP_PORT"] = str(self.api_port), str(self.ocpp_port)
        self.env = env
        self.servers: list[tuple[RunnableBlock, subprocess.Popen[str]]] = []

    def script(self, block: RunnableBlock) -> str:
        body = block.script.replace(":8000", f":{self.api_port}").replace(":9000", f":{self.ocpp_port}")
        return "set -eo pipefail\n" + body

    def run(self, block: RunnableBlock) -> None:
        done = subprocess.run(
            ["bash", "-c", self.script(block)],
            cwd=self.cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=BLOCK_TIMEOUT_SECONDS,
            check=False,
        )
        assert done.returncode == 0, (
            f"README.md:{block.line} failed with exit code {done.returncode}:\n{block.script}\n"
            f"--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"
        )

    def serve(self, block: RunnableBlock) -> None:
        """Start a serving block and return once both of its ports accept connections."""
        log = (self.cwd / f"serve-{block.line}.log").open("w")
        server = subprocess.Popen(
            ["bash", "-c", self.script(block)],
            cwd=self.cwd,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # its own process group, so Ctrl-C reaches the server under bash
        )
        log.close()
        self.servers.append((block, server))
        deadline = time.monotonic() + SERVER_START_SECONDS
        while not (listening(self.api_port) and listening(self.ocpp_port)):
            assert server.poll() is None, f"README.md:{block.line} exited ({server.returncode}):\n{self.log(block)}"
            assert time.monotonic() < deadline, f"README.md:{block.line} not listening:\n{self.log(block)}"
            time.sleep(0.2)

    def log(self, block: RunnableBlock) -> str:
        return (self.cwd / f"serve-{block.line}.log").read_text()

    def stop_servers(self) -> dict[int, int | None]:
        """Ctrl-C to every server, newest first; each one's exit code (None: it had to be killed)."""
        codes: dict[int, int | None] = {}
        for block, server in reversed(self.servers):
            if server.poll() is None:
                os.killpg(server.pid, signal.SIGINT)
            try:
                codes[block.line] = server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
                codes[block.line] = None
        self.servers.clear()
        return codes


@pytest.fixture
def shell(checkout: Path) -> Iterator[Shell]:
    running = Shell(checkout)
    try:
        yield running
    finally:
        running.stop_servers()


def test_the_readme_marks_the_commands_a_newcomer_runs_first_as_runnable() -> None:
    scripts = "\n".join(block.script for block in runnable_blocks(README.read_text(encoding="utf-8")))

    for command in (
        ".venv/bin/autocharge demo --no-keep-running",
        ".venv/bin/autocharge migrate",
        '.venv/bin/autocharge tenant create "Acme Fleet"',
        ".venv/bin/autocharge apikey create --tenant acme-fleet --role admin",
        ".venv/bin/autocharge serve",
        ".venv/bin/autocharge schema",
    ):
        assert command in scripts, f"no runnable README block runs {command!r}"


def test_every_runnable_readme_block_works_as_printed_in_order(shell: Shell) -> None:
    blocks = runnable_blocks(README.read_text(encoding="utf-8"))

    for block in blocks:
        if block.mode == "serves":
            shell.serve(block)
        else:
            shell.run(block)

    codes = shell.stop_servers()
    assert codes and all(code == 0 for code in codes.values()), f"servers stopped by Ctrl-C exited with {codes}"
