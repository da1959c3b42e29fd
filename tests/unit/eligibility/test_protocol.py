"""Coalesced writes of the serving protocol: one system call per response."""

from __future__ import annotations

import asyncio

from shikaku.web.protocol import _CoalescingTransport


class FakeTransport:
    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.writes.append(data)

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def get_extra_info(self, name: str) -> str:
        return f"info:{name}"


def test_writes_in_one_step_leave_together() -> None:
    async def main() -> FakeTransport:
        real = FakeTransport()
        t = _CoalescingTransport(real, asyncio.get_running_loop())  # type: ignore[arg-type]
        t.write(b"HTTP/1.1 200 OK\r\n\r\n")
        t.write(b"{}")
        assert real.writes == []  # nothing yet: same loop step
        await asyncio.sleep(0)
        assert real.writes == [b"HTTP/1.1 200 OK\r\n\r\n{}"]
        t.write(b"next")
        t.close()  # close flushes first
        assert real.writes[-1] == b"next" and real.closed
        assert t.get_extra_info("peername") == "info:peername"
        return real

    asyncio.run(main())
