"""`autocharge demo` as a person runs it: the installed console script, in a fresh directory, twice."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

AUTOCHARGE = Path(sys.executable).with_name("autocharge")  # the venv's console script


@dataclass(frozen=True)
class DemoRun:
    returncode: int
    stdout: str
    stderr: str

    @property
    def mac(self) -> str:
        found = re.search(r"An unknown vehicle plugs in \(its modem's MAC is ([0-9A-F]{12})\)", self.stdout)
        assert found, self.stdout
        return found.group(1)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run_demo(workdir: Path) -> DemoRun:
    # The demo's own database is ./autocharge.db: no AUTOCHARGE_* setting of the caller may point it elsewhere.
    env = {name: value for name, value in os.environ.items() if not name.startswith("AUTOCHARGE_")}
    ports = ["--api-port", str(free_port()), "--ocpp-port", str(free_port())]
    done = subprocess.run(
        [str(AUTOCHARGE), "demo", "--no-keep-running", *ports],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return DemoRun(done.returncode, done.stdout, done.stderr)


def assert_whole_story(run: DemoRun) -> None:
    assert run.returncode == 0, run.stdout + run.stderr
    out, mac = run.stdout, run.mac
    colons = ":".join(mac[i : i + 2] for i in range(0, 12, 2))
    story = [
        "Autocharge demo on sqlite+aiosqlite:///./autocharge.db",
        "1. The operator's back office: a charger, a driver and the driver's new car",
        "charger DEMO-CP1, driver driver@demo.example, vehicle DEMO1",
        "2. The charger connects and boots",
        f"3. An unknown vehicle plugs in (its modem's MAC is {mac})",
        "-> Invalid: no charging, as expected for a vehicle nobody has paired",  # rejected
        "4. The back office lists the token it just rejected",
        f"VID:{mac}  ({colons}, seen 1x)",  # listed among the unrecognised identifiers
        "5. The admin starts pairing DEMO1 on DEMO-CP1",
        ": WAITING_FOR_VEHICLE until ",
        "6. The vehicle plugs in: the identifier is captured and charging starts at once",
        f"pairing PAIRED: VID:{mac} stored read-only (source PAIRING); charged 3000 Wh",
        "7. The next plug-in needs nothing: Autocharge",
        "-> Accepted, charged 3000 Wh",
        "8. What the fleet sees for DEMO1",
        "AUTOCHARGE COMPLETED 3000 Wh on DEMO-CP1",
        "AUTOCHARGE COMPLETED 3000 Wh on DEMO-CP1",
        "summary: 2 sessions, 2 by Auto charge, 6000 Wh",
    ]
    position = 0
    for line in story:  # each part of the story, in this order
        found = out.find(line, position)
        assert found >= 0, f"missing after position {position}: {line!r}\n{out}"
        position = found + len(line)
    assert "The server keeps running" not in out  # --no-keep-running


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("demo")


@pytest.fixture(scope="module")
def first_run(demo_dir: Path) -> DemoRun:
    return run_demo(demo_dir)


def test_the_demo_tells_the_whole_story_on_a_fresh_database_and_exits_0(demo_dir: Path, first_run: DemoRun) -> None:
    assert_whole_story(first_run)
    assert (demo_dir / "autocharge.db").is_file()


def test_the_demo_run_again_on_its_own_database_tells_the_story_again_with_a_new_vehicle(
    demo_dir: Path, first_run: DemoRun
) -> None:
    again = run_demo(demo_dir)

    assert_whole_story(again)
    assert again.mac != first_run.mac
