"""A cheap OCPP-J client connection: the handshake by websockets' sans-I/O client, then frames by hand.

The generator must cost less per call than the cheapest server it measures (a bare websockets server does
tens of thousands of round trips a second on one core), so after the opening handshake, which websockets
checks (status 101, accept key, subprotocol), data frames are built and parsed here: a text frame out is a
2-4 byte header, a random mask and the masked payload (websockets' C `apply_mask`); frames in are unmasked.
Pings are answered, a close frame is echoed. Calls are matched to answers by messageId.
"""

from __future__ import annotations

import asyncio
import os
import struct
import time
from typing import Any, cast

import orjson
from websockets.client import ClientProtocol
from websockets.exceptions import InvalidStatus
from websockets.http11 import Response
from websockets.speedups import apply_mask
from websockets.typing import Subprotocol
from websockets.uri import parse_uri

SUBPROTOCOLS = {"1.6": "ocpp1.6", "2.0.1": "ocpp2.0.1"}
_TEXT, _BINARY, _CLOSE, _PING, _PONG, _CONT = 0x1, 0x2, 0x8, 0x9, 0xA, 0x0


class Refused(Exception):
    """The server refused the opening handshake (HTTP status), or closed or dropped the socket during it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class CallFailed(Exception):
    """A CALLERROR answer; `code` is its errorCode."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class Closed(Exception):
    """The connection closed while a call waited for its answer."""


class CallTimeout(Exception):
    """No answer within the generator's timeout."""


def _frame(opcode: int, payload: bytes) -> bytes:
    n = len(payload)
    if n < 126:
        header = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
    elif n < 65536:
        header = struct.pack("!BBH", 0x80 | opcode, 0xFE, n)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 0xFF, n)
    mask = os.urandom(4)
    return header + mask + apply_mask(payload, mask)


class OcppClient(asyncio.Protocol):
    """One charger's socket. `await OcppClient.open(...)`, then `await client.call(action, payload)`."""

    def __init__(self, url: str, version: str) -> None:
        self.url = url
        self.version = version
        self._handshake = ClientProtocol(parse_uri(url), subprotocols=[Subprotocol(SUBPROTOCOLS[version])])
        self._opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._transport: asyncio.Transport | None = None
        self._open = False
        self._buffer = bytearray()
        self._fragments: list[bytes] = []
        self._next_id = 0
        # messageId -> (future, sent at): the watchdog fails calls older than the timeout.
        self.pending: dict[str, tuple[asyncio.Future[Any], float]] = {}
        self.closed = False
        self.server_calls = 0  # CALLs the server sent us (answered with a CALLERROR NotImplemented)

    @classmethod
    async def open(cls, host: str, port: int, path: str, version: str, within: float = 30) -> OcppClient:
        loop = asyncio.get_running_loop()
        client = cls(f"ws://{host}:{port}{path}", version)
        try:
            async with asyncio.timeout(within):
                await loop.create_connection(lambda: client, host, port)
                await client._opened
        except TimeoutError:
            client.abort()
            raise Refused("handshake timeout") from None
        except OSError as error:
            raise Refused(f"connect: {error.strerror or error}") from None
        return client

    # --- asyncio.Protocol ---

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's transports do not subclass asyncio's
        self._handshake.send_request(self._handshake.connect())
        for data in self._handshake.data_to_send():
            self._transport.write(data)

    def data_received(self, data: bytes) -> None:
        if self._open:
            self._buffer += data
            self._parse()
        else:
            self._handshake_data(data)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._open = False
        if not self._opened.done():
            self._opened.set_exception(Refused("connection lost during the handshake"))
        pending, self.pending = self.pending, {}
        for future, _ in pending.values():
            if not future.done():
                future.set_exception(Closed())

    # --- calls ---

    def call(self, action: str, payload: Any) -> asyncio.Future[Any]:
        """Send a CALL; the future gets the CALLRESULT payload, or CallFailed / Closed / CallTimeout."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        if self.closed or self._transport is None:
            future.set_exception(Closed())
            return future
        self._next_id += 1
        unique_id = str(self._next_id)
        self.pending[unique_id] = (future, time.monotonic())
        self._transport.write(_frame(_TEXT, orjson.dumps([2, unique_id, action, payload])))
        return future

    def expire(self, older_than: float) -> int:
        """Fail the calls sent before `older_than` (monotonic); returns how many."""
        late = [uid for uid, (_, sent) in self.pending.items() if sent < older_than]
        for uid in late:
            future, _ = self.pending.pop(uid)
            if not future.done():
                future.set_exception(CallTimeout())
        return len(late)

    def close(self) -> None:
        if self._transport is not None and not self.closed:
            if self._open:
                self._transport.write(_frame(_CLOSE, struct.pack("!H", 1000)))
            self._transport.close()
        self.closed = True

    def abort(self) -> None:
        if self._transport is not None:
            self._transport.abort()
        self.closed = True

    # --- the opening handshake (websockets) ---

    def _handshake_data(self, data: bytes) -> None:
        protocol = self._handshake
        protocol.receive_data(data)
        for event in protocol.events_received():
            if isinstance(event, Response):
                if protocol.handshake_exc is not None:
                    error = protocol.handshake_exc
                    reason = f"HTTP {error.response.status_code}" if isinstance(error, InvalidStatus) else str(error)
                    if not self._opened.done():
                        self._opened.set_exception(Refused(reason))
                    self.abort()
                    return
                self._open = True
                if not self._opened.done():
                    self._opened.set_result(None)
            elif self._open:  # a frame in the same segment as the response: websockets parsed it
                self._message(bytes(event.data))
        if self._open:
            # Bytes websockets has not parsed yet are ours from now on.
            self._buffer += protocol.reader.buffer
            protocol.reader.buffer.clear()
            self._parse()

    # --- frames (by hand) ---

    def _parse(self) -> None:
        buffer = self._buffer
        pos, end = 0, len(buffer)
        while end - pos >= 2:
            first, second = buffer[pos], buffer[pos + 1]
            length, start = second & 0x7F, pos + 2
            if length == 126:
                if end - pos < 4:
                    break
                length, start = int.from_bytes(buffer[pos + 2 : pos + 4], "big"), pos + 4
            elif length == 127:
                if end - pos < 10:
                    break
                length, start = int.from_bytes(buffer[pos + 2 : pos + 10], "big"), pos + 10
            mask = b""
            if second & 0x80:  # servers do not mask; accepted anyway
                mask, start = bytes(buffer[start : start + 4]), start + 4
            if end < start + length:
                break
            payload = bytes(buffer[start : start + length])
            if mask:
                payload = apply_mask(payload, mask)
            pos = start + length
            self._frame_in(first & 0x0F, bool(first & 0x80), payload)
        if pos:
            del buffer[:pos]

    def _frame_in(self, opcode: int, fin: bool, payload: bytes) -> None:
        if opcode in (_TEXT, _BINARY, _CONT):
            if not fin:
                self._fragments.append(payload)
                return
            if self._fragments:
                payload = b"".join([*self._fragments, payload])
                self._fragments.clear()
            self._message(payload)
        elif opcode == _PING:
            if self._transport is not None and not self.closed:
                self._transport.write(_frame(_PONG, payload))
        elif opcode == _CLOSE:
            if self._transport is not None and not self.closed:
                self._transport.write(_frame(_CLOSE, payload[:2]))
                self._transport.close()
            self.closed = True

    def _message(self, payload: bytes) -> None:
        try:
            message = orjson.loads(payload)
            kind, unique_id = message[0], message[1]
        except (orjson.JSONDecodeError, IndexError, TypeError, KeyError):
            return
        if kind == 2:  # the server asks something: this charger implements nothing
            self.server_calls += 1
            answer = [4, unique_id, "NotImplemented", "load generator", {}]
            if self._transport is not None and not self.closed:
                self._transport.write(_frame(_TEXT, orjson.dumps(answer)))
            return
        entry = self.pending.pop(unique_id, None)
        if entry is None or entry[0].done():
            return
        if kind == 3:
            entry[0].set_result(message[2])
        elif kind == 4:
            entry[0].set_exception(CallFailed(str(message[2])))
