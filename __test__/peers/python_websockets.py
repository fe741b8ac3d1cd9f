"""Python's `websockets` as a peer for the interop tests (asyncio API).

  python_websockets.py client URL   connects (permessage-deflate offered, as
                                    by default), sends a JSON text and a
                                    binary message, prints one JSON line:
                                    the echoes and the agreed extensions
  python_websockets.py server       echoes on a free loopback port (deflate
                                    accepted, as by default), prints
                                    "listening PORT", runs until stdin closes
"""

import asyncio
import json
import sys

from websockets.asyncio.client import connect
from websockets.asyncio.server import serve


async def client(url):
    text = json.dumps([{"id": i, "name": f"user {i}", "tags": ["a", "b"]} for i in range(600)])
    binary = bytes(range(256)) * 64
    async with connect(url, max_size=None) as ws:
        await ws.send(text)
        echoed_text = await ws.recv()
        await ws.send(binary)
        echoed_binary = await ws.recv()
        extensions = ws.response.headers.get("Sec-WebSocket-Extensions", "")
    print(json.dumps({
        "text": echoed_text == text,
        "textType": type(echoed_text).__name__,
        "binary": echoed_binary == binary,
        "binaryType": type(echoed_binary).__name__,
        "extensions": extensions,
    }))


async def echo(ws):
    async for message in ws:
        await ws.send(message)


async def server():
    async with serve(echo, "127.0.0.1", 0, max_size=None) as srv:
        port = srv.sockets[0].getsockname()[1]
        print(f"listening {port}", flush=True)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, sys.stdin.read)


if __name__ == "__main__":
    if sys.argv[1] == "client":
        asyncio.run(client(sys.argv[2]))
    else:
        asyncio.run(server())
