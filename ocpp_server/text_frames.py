"""The websocket as OCPP-J sees it: text frames only (OCPP-J is JSON text; a binary frame is a broken client)."""

from __future__ import annotations

from websockets.asyncio.server import ServerConnection
from websockets.frames import CloseCode

BINARY_REASON = "OCPP-J frames are text: binary frames are not accepted"


class TextFrames:
    """journal.Wire over a websocket: a binary frame closes the connection with 1003 (unsupported data).

    The binary frame is neither logged nor answered: it has no OCPP-J messageId to answer, and the close
    code and reason tell the charger why.
    """

    def __init__(self, websocket: ServerConnection) -> None:
        self._websocket = websocket

    async def recv(self) -> str:
        while True:
            message = await self._websocket.recv()
            if isinstance(message, str):
                return message
            # Closed: the next recv() raises ConnectionClosed, which ends the session like any other close.
            await self._websocket.close(CloseCode.UNSUPPORTED_DATA, BINARY_REASON)

    async def send(self, message: str) -> None:
        await self._websocket.send(message)
