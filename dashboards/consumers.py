"""The live link: a session-authenticated socket that joins only the user's warehouse groups."""

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from core.access import warehouse_ids_for
from integrations.relay import group_name

TOPICS = ("stock", "orders", "dock", "shipments", "alerts")


class LiveConsumer(AsyncJsonWebsocketConsumer):
    """Subscribes to `wh<id>.<topic>` groups of the user's warehouses and forwards events."""

    groups_joined: list[str]

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        warehouse_ids = await database_sync_to_async(warehouse_ids_for)(user)
        self.groups_joined = [group_name(w, t) for w in sorted(warehouse_ids) for t in TOPICS]
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def dispatch(self, message: dict[str, Any]) -> None:
        """An event goes straight to the socket. Channels would first hand every message to
        a thread to close stale database connections, though forwarding an event touches no
        database: with a hundred sockets that hop per socket was most of each event's cost."""
        if message["type"] == "event.message":
            await self.event_message(message)
        else:
            await super().dispatch(message)

    async def event_message(self, message: dict[str, Any]) -> None:
        """Forward one event (id, sequence, type, payload) as the relay published it: the
        relay serialised it once for every socket."""
        await self.send(text_data=message["text"])
