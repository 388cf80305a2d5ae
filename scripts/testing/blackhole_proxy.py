#!/usr/bin/env python3
"""A TCP proxy that silently stops forwarding, as NATs and load balancers do with idle flows.

    blackhole_proxy.py LISTEN_PORT TARGET_PORT IDLE_SECONDS

Every connection is forwarded to 127.0.0.1:TARGET_PORT until it has carried no byte in either
direction for IDLE_SECONDS (0: never); from then on both directions are dropped while both sockets
stay open: no FIN, no RST, exactly what a client behind a NAT that forgot the flow sees. SIGUSR1
blackholes every flow open now; SIGUSR2 only those that have sent SUBSCRIBE (the subscriber). Like
a NAT's, a signal's blackhole takes idle flows: it waits until the flows it chose have all carried
nothing for SETTLE_SECONDS and none waits for a reply, so a front finds them dead by its heartbeat,
not by a command's timeout (a front sends a command within milliseconds of the reply it follows
from). New connections are always forwarded. Prints "listening" once it accepts connections, and
"blackholed N of M flows" once a signal's flows are dead.
"""
import asyncio
import signal
import sys
import time

SETTLE_SECONDS = 0.3


class Flow:
    def __init__(self):
        self.last = time.monotonic()
        self.dead = False
        self.subscriber = False
        # The last bytes went to Redis: a command waits for its reply.
        self.awaiting_reply = False


async def pump(reader, writer, flow, from_client):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            if from_client and b"SUBSCRIBE" in data.upper():
                flow.subscriber = True
            if flow.dead:
                continue
            flow.last = time.monotonic()
            writer.write(data)
            flow.awaiting_reply = from_client
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    if not flow.dead:
        writer.close()


async def main():
    listen_port, target_port, idle = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    flows = []
    # The flows the last signal chose, until they are idle and blackholed.
    chosen = []

    async def accept(client_reader, client_writer):
        try:
            server_reader, server_writer = await asyncio.open_connection("127.0.0.1", target_port)
        except OSError:
            client_writer.close()
            return
        flow = Flow()
        flows.append(flow)
        await asyncio.gather(pump(client_reader, server_writer, flow, True), pump(server_reader, client_writer, flow, False))

    async def watchdog():
        nonlocal chosen
        while True:
            await asyncio.sleep(0.05)
            now = time.monotonic()
            for flow in flows:
                if idle > 0 and not flow.dead and now - flow.last >= idle:
                    flow.dead = True
            if chosen and all(not flow.awaiting_reply and now - flow.last >= SETTLE_SECONDS for flow in chosen):
                for flow in chosen:
                    flow.dead = True
                print(f"blackholed {len(chosen)} of {len(flows)} flows", flush=True)
                chosen = []

    def kill(subscribers_only):
        nonlocal chosen
        chosen = [flow for flow in flows if (flow.subscriber or not subscribers_only) and not flow.dead]
        if not chosen:
            print(f"blackholed 0 of {len(flows)} flows", flush=True)

    loop = asyncio.get_running_loop()
    # A parent may hand its blocked signals down (Swift's runtime blocks some in its threads).
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGUSR1, signal.SIGUSR2})
    loop.add_signal_handler(signal.SIGUSR1, kill, False)
    loop.add_signal_handler(signal.SIGUSR2, kill, True)
    server = await asyncio.start_server(accept, "127.0.0.1", listen_port)
    print("listening", flush=True)
    await asyncio.gather(server.serve_forever(), watchdog())


if __name__ == "__main__":
    asyncio.run(main())
