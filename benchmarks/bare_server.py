"""The reference: a bare websockets server answering OCPP 1.6J and 2.0.1 CALLs with minimal valid results.

No validation, no database, no logging: what one Python process with websockets can do, which the real
server is compared with. Same websockets settings as `autocharge serve` (no compression, 64 KiB frames,
pings every 20 s), the default asyncio event loop unless --uvloop.

    python -m benchmarks.bare_server --port 9100      # prints {"ready": true, "port": ..., "pid": ...}
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import json
import os
import signal
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

Answer = Callable[[dict[str, Any]], dict[str, Any]]
_ACCEPTED = {"status": "Accepted"}
_numbers = itertools.count(1)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


ANSWERS_16: dict[str, Answer] = {
    "BootNotification": lambda p: {"currentTime": _now(), "interval": 300, "status": "Accepted"},
    "Heartbeat": lambda p: {"currentTime": _now()},
    "StatusNotification": lambda p: {},
    "Authorize": lambda p: {"idTagInfo": _ACCEPTED},
    "StartTransaction": lambda p: {"transactionId": next(_numbers), "idTagInfo": _ACCEPTED},
    "MeterValues": lambda p: {},
    "StopTransaction": lambda p: {"idTagInfo": _ACCEPTED} if "idTag" in p else {},
    "DataTransfer": lambda p: {"status": "UnknownVendorId"},
    "FirmwareStatusNotification": lambda p: {},
    "DiagnosticsStatusNotification": lambda p: {},
}
ANSWERS_201: dict[str, Answer] = {
    "BootNotification": lambda p: {"currentTime": _now(), "interval": 300, "status": "Accepted"},
    "Heartbeat": lambda p: {"currentTime": _now()},
    "StatusNotification": lambda p: {},
    "Authorize": lambda p: {"idTokenInfo": _ACCEPTED},
    "TransactionEvent": lambda p: {"idTokenInfo": _ACCEPTED} if "idToken" in p else {},
    "MeterValues": lambda p: {},
    "DataTransfer": lambda p: {"status": "UnknownVendorId"},
    "SecurityEventNotification": lambda p: {},
    "NotifyEvent": lambda p: {},
}


async def handle(websocket: ServerConnection) -> None:
    answers = ANSWERS_16 if websocket.subprotocol == "ocpp1.6" else ANSWERS_201
    try:
        async for raw in websocket:
            try:
                message = orjson.loads(raw)
                kind, unique_id, action, payload = message
            except (orjson.JSONDecodeError, ValueError, TypeError):
                continue
            if kind != 2:
                continue
            answer = answers.get(action)
            reply = [3, unique_id, answer(payload)] if answer else [4, unique_id, "NotImplemented", "", {}]
            await websocket.send(orjson.dumps(reply), text=True)
    except ConnectionClosed:
        pass


async def main(host: str, port: int) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with serve(
        handle,
        host,
        port,
        subprotocols=[Subprotocol("ocpp2.0.1"), Subprotocol("ocpp1.6")],
        compression=None,
        max_size=65536,
        ping_interval=20,
    ) as server:
        bound = server.sockets[0].getsockname()[1]
        sys.stdout.write(json.dumps({"ready": True, "port": bound, "pid": os.getpid()}) + "\n")
        sys.stdout.flush()
        await stop.wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9100)
    parser.add_argument("--uvloop", action="store_true", help="run on uvloop instead of asyncio's loop")
    parser.add_argument("--no-gc", action="store_true", help="disable the cyclic garbage collector (pause tests)")
    args = parser.parse_args()
    if args.no_gc:
        gc.disable()
    if args.uvloop:
        import uvloop

        uvloop.run(main(args.host, args.port))
    else:
        asyncio.run(main(args.host, args.port))
