"""asyncio servers, connections, the client registry, blocking operations."""
