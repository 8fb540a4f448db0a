#!/usr/bin/env python3
"""A DNS upstream that is slow on purpose, for bench/soak/run.sh's slow-drip fault.

Over UDP it answers every query at once with TC set and no records, so a resolver retries over
TCP. Over TCP it reads one query and sends its answer (one A record) one byte a second, length
prefix included, until the answer is out or the resolver closes the connection. It prints one
line per event to stdout ("udp_tc", "tcp_open", "tcp_closed_by_peer BYTES SECONDS",
"tcp_complete SECONDS") and, on SIGTERM, a summary line. Bounded: at most --max-connections open
at once (more are closed at accept) and each drip stops after its answer (well under a minute).
"""
import argparse
import asyncio
import signal
import struct
import sys
import time

stats = {"udp_tc": 0, "tcp_open": 0, "tcp_closed_by_peer": 0, "tcp_complete": 0, "tcp_over_bound": 0}
open_now = 0


def emit(line):
    print(line, flush=True)


def question_end(msg):
    """Offset just after the question section of a query (uncompressed QNAME, QTYPE, QCLASS)."""
    i = 12
    while msg[i] != 0:
        i += 1 + msg[i]
    return i + 1 + 4


def answer(query, truncated):
    qid, flags = struct.unpack("!HH", query[:4])
    end = question_end(query)
    rd = flags & 0x0100
    reply_flags = 0x8000 | 0x0400 | rd | (0x0200 if truncated else 0)
    if truncated:
        return struct.pack("!HHHHHH", qid, reply_flags, 1, 0, 0, 0) + query[12:end]
    record = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + bytes([192, 0, 2, 99])
    return struct.pack("!HHHHHH", qid, reply_flags, 1, 1, 0, 0) + query[12:end] + record


class Udp(asyncio.DatagramProtocol):
    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        try:
            self.transport.sendto(answer(data, True), addr)
            stats["udp_tc"] += 1
        except (IndexError, struct.error):
            pass


async def drip(reader, writer, max_connections):
    global open_now
    if open_now >= max_connections:
        stats["tcp_over_bound"] += 1
        writer.close()
        return
    open_now += 1
    stats["tcp_open"] += 1
    start = time.monotonic()
    sent = 0
    try:
        length = struct.unpack("!H", await asyncio.wait_for(reader.readexactly(2), 10))[0]
        query = await asyncio.wait_for(reader.readexactly(length), 10)
        reply = answer(query, False)
        framed = struct.pack("!H", len(reply)) + reply
        for byte in framed:
            writer.write(bytes([byte]))
            await writer.drain()
            sent += 1
            # A closed peer shows as EOF on the read side; check it between bytes.
            try:
                if await asyncio.wait_for(reader.read(1), 1.0) == b"":
                    raise ConnectionResetError
            except asyncio.TimeoutError:
                pass
        stats["tcp_complete"] += 1
        emit(f"tcp_complete {time.monotonic() - start:.1f}")
    except (ConnectionError, asyncio.IncompleteReadError, asyncio.TimeoutError, struct.error, IndexError):
        stats["tcp_closed_by_peer"] += 1
        emit(f"tcp_closed_by_peer {sent} {time.monotonic() - start:.1f}")
    finally:
        open_now -= 1
        writer.close()


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--listen", required=True, help="ADDRESS:PORT, UDP and TCP")
    parser.add_argument("--max-connections", type=int, default=2000)
    args = parser.parse_args()
    host, port = args.listen.rsplit(":", 1)
    loop = asyncio.get_running_loop()
    await loop.create_datagram_endpoint(Udp, local_addr=(host, int(port)))
    server = await asyncio.start_server(lambda r, w: drip(r, w, args.max_connections), host, int(port), backlog=1024)
    done = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, done.set)
    emit(f"listening {args.listen}")
    await done.wait()
    server.close()
    emit("summary " + " ".join(f"{k}={v}" for k, v in stats.items()) + f" open={open_now}")


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
