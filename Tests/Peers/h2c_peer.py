#!/usr/bin/env python3
"""HTTP/2 cleartext peer with prior knowledge ("h2c"), on the h2 protocol library.

(hypercorn's h2c mode serves only the first stream of a connection, so this peer
drives h2's state machine itself.) Every request is answered 200 with JSON
{"http_version": "2", "method", "path", "body_len"} and `x-peer: h2-peer`.
Prints `READY {"port": N, "ca": null}`.
"""
import asyncio
import json

import h2.config
import h2.connection
import h2.events
from peer_life import exit_with_parent


async def handle(reader, writer):
    conn = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=False))
    conn.initiate_connection()
    writer.write(conn.data_to_send())
    streams = {}
    while True:
        data = await reader.read(65536)
        if not data:
            break
        for event in conn.receive_data(data):
            if isinstance(event, h2.events.RequestReceived):
                streams[event.stream_id] = {"headers": dict(event.headers), "body": 0}
            elif isinstance(event, h2.events.DataReceived):
                streams[event.stream_id]["body"] += len(event.data)
                conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            elif isinstance(event, h2.events.StreamEnded):
                request = streams.pop(event.stream_id)
                headers = request["headers"]
                body = json.dumps({
                    "http_version": "2",
                    "method": headers[b":method"].decode(),
                    "path": headers[b":path"].decode(),
                    "body_len": request["body"],
                }).encode()
                conn.send_headers(event.stream_id, [(":status", "200"), ("content-type", "application/json"),
                                                   ("content-length", str(len(body))), ("x-peer", "h2-peer")])
                conn.send_data(event.stream_id, body, end_stream=True)
            elif isinstance(event, h2.events.ConnectionTerminated):
                writer.close()
                return
        writer.write(conn.data_to_send())
        await writer.drain()
    writer.close()


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    print("READY " + json.dumps({"port": port, "ca": None}), flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    exit_with_parent()
    asyncio.run(main())
