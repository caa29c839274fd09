"""What the ASGI peers (h2_peer.py, apns_peer.py) share: the lifespan protocol and
reading a request's whole body."""


async def lifespan(receive, send):
    """Answers hypercorn's startup and shutdown messages until shutdown."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def read_body(receive):
    """The request body, however many messages it comes in."""
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            return body
