"""A client written against the original Glossia's documented WAMP calls (reference §1.3, §1.4),
as glot made them: an autobahn session that calls `com.gosmartsimulation.*` and collects the
published events. Nothing here knows about gssa's HTTP API."""
from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Callable

from autobahn.asyncio.component import Component

PREFIX = "com.gosmartsimulation"
TOPICS = ("status", "complete", "fail", "announce", "identify")


class Events:
    """Every event received, by topic, with a way to wait for one that matches."""

    def __init__(self) -> None:
        self.received: dict[str, list[list[Any]]] = {topic: [] for topic in TOPICS}
        self.changed = asyncio.Condition()

    async def add(self, topic: str, args: list[Any]) -> None:
        async with self.changed:
            self.received[topic].append(args)
            self.changed.notify_all()

    async def wait_for(self, topic: str, match: Callable[[list[Any]], bool], timeout: float = 120) -> list[Any]:
        async def found() -> list[Any]:
            async with self.changed:
                while True:
                    for args in self.received[topic]:
                        if match(args):
                            return args
                    await self.changed.wait()
        return await asyncio.wait_for(found(), timeout)


def run_session(router: str, realm: str, body: Callable[[Any, Events], Awaitable[None]], timeout: float = 300) -> None:
    """Joins the realm, subscribes to the original topics, runs `body(session, events)`, leaves.
    A failure inside `body` fails the caller."""
    outcome: dict[str, BaseException] = {}

    async def main(reactor: Any, session: Any) -> None:
        events = Events()
        for topic in TOPICS:
            async def handler(*args: Any, _topic: str = topic) -> None:
                await events.add(_topic, list(args))
            await session.subscribe(handler, f"{PREFIX}.{topic}")
        try:
            await asyncio.wait_for(body(session, events), timeout)
        except BaseException as err:  # noqa: BLE001 - re-raised in the caller's thread
            outcome["error"] = err

    async def start() -> None:
        component = Component(transports=[{"url": router, "max_retries": 3}], realm=realm, main=main)
        await asyncio.wait_for(component.start(loop=asyncio.get_running_loop()), timeout + 30)

    asyncio.run(start())
    if "error" in outcome:
        raise outcome["error"]
