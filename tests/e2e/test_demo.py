"""`autocharge demo` as a person runs it: the installed console script, in a fresh directory.

Twice to the end of the story (--no-keep-running), and once left running with its output on a pipe, where the
next steps it prints are pasted in order: the mutation to its GraphQL URL with its key, the command in a shell.
"""

from __future__ import annotations

import asyncio
import json
import os
import queue
import re
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.wsclient import GraphQLWs, graphql_ws

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


def own_environment() -> dict[str, str]:
    """The demo's own database is ./autocharge.db: no AUTOCHARGE_* setting of the caller may point it elsewhere."""
    return {name: value for name, value in os.environ.items() if not name.startswith("AUTOCHARGE_")}


def free_ports() -> list[str]:
    return ["--api-port", str(free_port()), "--ocpp-port", str(free_port())]


def run_demo(workdir: Path) -> DemoRun:
    done = subprocess.run(
        [str(AUTOCHARGE), "demo", "--no-keep-running", *free_ports()],
        cwd=workdir,
        env=own_environment(),
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
        "3. The back office checks that the charger is ready for Autocharge, and turns it on",
        "settings read; Autocharge switch AutoChargeEnabled: ",
        "setAutochargeEnabled -> Accepted; readiness now ENABLED",
        f"4. An unknown vehicle plugs in (its modem's MAC is {mac})",
        "-> Invalid: no charging, as expected for a vehicle nobody has paired",  # rejected
        "5. The back office lists the token it just rejected",
        f"VID:{mac}  ({colons}, seen 1x)",  # listed among the unrecognised identifiers
        "6. The admin starts pairing DEMO1 on DEMO-CP1",
        ": WAITING_FOR_VEHICLE until ",
        "7. The vehicle plugs in: the identifier is captured and charging starts at once",
        f"pairing PAIRED: VID:{mac} stored read-only (source PAIRING); charged 3000 Wh",
        "8. The next plug-in needs nothing: Autocharge",
        "-> Accepted, charged 3000 Wh",
        "9. What the fleet sees for DEMO1",
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
    # The simulator's switch starts off; on a rerun the charger has already presented Autocharge tokens: ENABLED.
    assert "Autocharge switch AutoChargeEnabled: DISABLED" in first_run.stdout
    assert (demo_dir / "autocharge.db").is_file()


def test_the_demo_run_again_on_its_own_database_tells_the_story_again_with_a_new_vehicle(
    demo_dir: Path, first_run: DemoRun
) -> None:
    again = run_demo(demo_dir)

    assert_whole_story(again)
    assert again.mac != first_run.mac


def test_the_demo_on_a_port_another_program_holds_says_which_flag_to_use_and_exits_2(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        done = subprocess.run(
            [str(AUTOCHARGE), "demo", "--api-port", str(port), "--ocpp-port", str(free_port())],
            cwd=tmp_path,
            env=own_environment(),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    assert done.returncode == 2, done.stdout + done.stderr
    assert (
        f"error: cannot listen on 127.0.0.1:{port} (Address already in use): choose another port with --api-port"
        in (done.stderr)
    )
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "autocharge.db").exists()  # nothing started


# --- the demo left running, as the Quick start leaves it ---


class LiveDemo:
    """`autocharge demo` running in `workdir` with stdout on a pipe, read line by line as the lines arrive."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.stderr = (workdir / "demo.stderr").open("w")
        # Python's own default for a pipe, block buffering, whatever this test process was started with.
        env = {name: value for name, value in own_environment().items() if name != "PYTHONUNBUFFERED"}
        self.process = subprocess.Popen(
            [str(AUTOCHARGE), "demo", *free_ports()],
            cwd=workdir,
            env=env,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            text=True,
        )
        self.lines: list[str] = []
        self.alive_when_read: list[bool] = []  # for each line: was the demo still running when it arrived?
        self._arrived: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._arrived.put(line.rstrip("\n"))
            self.alive_when_read.append(self.process.poll() is None)
        self._arrived.put(None)

    def read_until(self, text: str, timeout: float = 60, times: int = 1) -> str:
        """Everything printed so far, once `times` lines containing `text` have arrived; fails after `timeout` s."""
        deadline = time.monotonic() + timeout
        while sum(text in line for line in self.lines) < times:
            try:
                line = self._arrived.get(timeout=max(deadline - time.monotonic(), 0))
            except queue.Empty:
                raise AssertionError(f"no line with {text!r} within {timeout} s; so far:\n" + self.output) from None
            if line is None:
                raise AssertionError(
                    f"the demo exited ({self.process.wait()}) before printing {text!r}:\n{self.output}"
                )
            self.lines.append(line)
        return self.output

    @property
    def output(self) -> str:
        return "\n".join(self.lines) + "\n" + (self.workdir / "demo.stderr").read_text()

    def interrupt(self, timeout: float = 30) -> int:
        """Ctrl-C, as a person stops it; the exit code."""
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout=timeout)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._reader.join(timeout=10)  # it reads to the end of the pipe, which closed with the process
        assert self.process.stdout is not None
        self.process.stdout.close()
        self.stderr.close()


@pytest.fixture(scope="module")
def live_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveDemo]:
    demo = LiveDemo(tmp_path_factory.mktemp("live-demo"))
    try:
        yield demo
    finally:
        demo.kill()


NEXT_STEPS_END = "Ctrl-C stops the server."


def line_after(output: str, heading: str) -> str:
    """The line printed right after the one starting with `heading`, without its indentation."""
    lines = output.splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith(heading))
    return lines[index + 1].strip()


async def post(url: str, headers: dict[str, str], query: str, **variables: Any) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.post(url, json={"query": query, "variables": variables}, headers=headers)
    body: dict[str, Any] = response.json()
    assert not body.get("errors"), body
    data: dict[str, Any] = body["data"]
    return data


async def frames_until_authorize(ws: GraphQLWs, id_tag: str) -> list[dict[str, Any]]:
    """The Real-Time Log entries the subscription pushes, up to the charger's Authorize for `id_tag`."""
    entries: list[dict[str, Any]] = []
    while True:
        entry = (await ws.next_data())["ocppLogs"]
        entries.append(entry)
        if entry["action"] == "Authorize" and entry["payload"].get("idTag") == id_tag:
            return entries


def test_the_running_demo_writes_each_line_when_it_happens_even_to_a_pipe(live_demo: LiveDemo) -> None:
    # Block-buffered stdout would hold these lines back until the demo exits, and it does not exit by itself.
    live_demo.read_until(NEXT_STEPS_END)

    assert live_demo.lines[0].startswith("Autocharge demo on ")
    assert live_demo.lines[2].startswith("1. The operator's back office")
    assert all(live_demo.alive_when_read), "each line must arrive while the demo runs"
    assert live_demo.process.poll() is None


async def test_the_printed_next_steps_pasted_in_order_pair_the_vehicle_again_and_it_charges(
    live_demo: LiveDemo,
) -> None:
    printed = live_demo.read_until(NEXT_STEPS_END)
    graphql_url = re.search(r"Open GraphiQL at (\S+)", printed)
    header = re.search(r"set the header  (\{.*\})", printed)
    assert graphql_url and header, printed
    url, headers = graphql_url.group(1), json.loads(header.group(1))
    subscription = line_after(printed, "A subscription to paste")
    mutation = line_after(printed, "A mutation to paste")
    command = line_after(printed, "Then plug the car in")
    mac = shlex.split(command)[shlex.split(command).index("--mac") + 1]
    assert mac not in printed.split("Then plug the car in")[0], "the command plugs in a MAC never paired"

    # 0. the subscription, with the printed header as the connection_init payload (as GraphiQL sends it)
    async with graphql_ws(url.replace("http://", "ws://"), headers) as ws:
        assert (await ws.receive())["type"] == "connection_ack"
        await ws.subscribe(subscription)

        # 1. the mutation, to the printed URL with the printed key
        started = (await post(url, headers, mutation))["startVehiclePairing"]
        assert started["status"] == "WAITING_FOR_VEHICLE"

        # 2. the command, in another shell (the demo's charger must step aside for it)
        shell = await asyncio.create_subprocess_shell(
            command, cwd=live_demo.workdir, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
        )
        output, _ = await asyncio.wait_for(shell.communicate(), 60)
        plugged = output.decode()
        assert shell.returncode == 0, plugged
        assert f"done: 1 Autocharge session(s) on DEMO-CP1 with VID:{mac}, 3000 Wh charged" in plugged

        logged = await frames_until_authorize(ws, f"VID:{mac}")  # the charger's frames, live
        assert {"direction": "FROM_CHARGER", "action": "BootNotification"} in [
            {"direction": entry["direction"], "action": entry["action"]} for entry in logged
        ]

    pairing = (
        await post(
            url,
            headers,
            "query($s: ID!) { pairingSession(id: $s) { status identifier { value source } vehicle {"
            " activeIdentifier { value } transactions(first: 10) { edges { node { idTag origin status } } } } } }",
            s=started["id"],
        )
    )["pairingSession"]
    assert pairing["status"] == "PAIRED"
    assert pairing["identifier"] == {"value": f"VID:{mac}", "source": "PAIRING"}
    assert pairing["vehicle"]["activeIdentifier"] == {"value": f"VID:{mac}"}
    charged = [edge["node"] for edge in pairing["vehicle"]["transactions"]["edges"]]
    assert {"idTag": f"VID:{mac}", "origin": "AUTOCHARGE", "status": "COMPLETED"} in charged

    # The demo's charger comes back once the simulator has gone, so the steps can be pasted again.
    live_demo.read_until("stepping aside until it disconnects")
    live_demo.read_until("idle and Available, heartbeating", timeout=30, times=2)
    again = (await post(url, headers, mutation))["startVehiclePairing"]
    assert again["status"] == "WAITING_FOR_VEHICLE"


def test_ctrl_c_stops_the_running_demo_with_exit_code_0(live_demo: LiveDemo) -> None:
    live_demo.read_until(NEXT_STEPS_END)

    assert live_demo.interrupt() == 0, live_demo.output
