"""The served connection (app/gateway/connection.py): a response's writes leave in one call,
and the server still speaks HTTP/1.1 as clients expect of it."""

import asyncio
import re
import socket

import orjson

from app.gateway.connection import OneWritePerTurn
from scripts.private_postgres import free_port
from scripts.serving import server


class FakeTransport:
    def __init__(self) -> None:
        self.calls: list[tuple[str, list[bytes]]] = []
        self.closing = False

    def writelines(self, data: list[bytes]) -> None:
        self.calls.append(("writelines", list(data)))

    def close(self) -> None:
        self.calls.append(("close", []))
        self.closing = True

    def is_closing(self) -> bool:
        return self.closing

    def get_extra_info(self, name: str) -> str:
        return f"info {name}"


async def test_the_writes_of_one_turn_leave_in_one_call():
    fake = FakeTransport()
    transport = OneWritePerTurn(fake, asyncio.get_running_loop())  # type: ignore[arg-type]
    transport.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n")
    transport.write(b"{}")
    assert fake.calls == []  # not before the turn ends
    await asyncio.sleep(0)
    assert fake.calls == [("writelines", [b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n", b"{}"])]
    transport.write(b"next")
    await asyncio.sleep(0)
    assert fake.calls[1:] == [("writelines", [b"next"])]
    assert transport.get_extra_info("peername") == "info peername"  # the rest is the transport's


async def test_a_close_sends_what_was_written_before_it():
    fake = FakeTransport()
    transport = OneWritePerTurn(fake, asyncio.get_running_loop())  # type: ignore[arg-type]
    transport.write(b"last answer")
    transport.close()
    await asyncio.sleep(0)
    assert fake.calls == [("writelines", [b"last answer"]), ("close", [])]


async def test_writes_to_a_client_that_has_gone_are_dropped():
    fake = FakeTransport()
    transport = OneWritePerTurn(fake, asyncio.get_running_loop())  # type: ignore[arg-type]
    transport.write(b"answer")
    fake.closing = True  # the client hung up in the same turn
    await asyncio.sleep(0)
    assert fake.calls == []


def _request(query: str, *headers: str) -> bytes:
    body = orjson.dumps({"query": query})
    lines = [
        "POST /graphql HTTP/1.1",
        "Host: newsgate",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        *headers,
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def _responses(data: bytes) -> list[tuple[bytes, bytes]]:
    """(head, body) of each response in `data`, framed by Content-Length."""
    found = []
    while data:
        head, _, rest = data.partition(b"\r\n\r\n")
        length = int(re.search(rb"(?i)\r\ncontent-length: *(\d+)", head).group(1))  # type: ignore[union-attr]
        found.append((head, rest[:length]))
        data = rest[length:]
    return found


def test_the_served_connection_keeps_alive_pipelines_and_closes(database_url, engine):
    port = free_port()
    with server(database_url, port), socket.create_connection(("127.0.0.1", port)) as client:
        client.settimeout(10)
        # Two requests in one segment, then one that asks the server to close.
        client.sendall(_request("{ a: __typename }") + _request("{ b: __typename }"))
        client.sendall(_request("{ c: __typename }", "Connection: close"))
        data = b""
        while chunk := client.recv(65536):  # until the server closes
            data += chunk
    answers = _responses(data)
    assert [orjson.loads(body) for _, body in answers] == [
        {"data": {"a": "Query"}},
        {"data": {"b": "Query"}},
        {"data": {"c": "Query"}},
    ]
    assert all(head.startswith(b"HTTP/1.1 200 OK\r\n") for head, _ in answers)
    assert b"\r\nconnection: close" in answers[-1][0].lower()
