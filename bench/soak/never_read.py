#!/usr/bin/env python3
"""Both ends of bench/soak/run.sh's never-reading destination fault.

server: accepts connections on --listen and reads nothing (a small receive buffer, so the
        window closes soon) until the file --drain-when exists; then reads every connection to its
        end, writes "PEER BYTES" per connection to --counts, and closes it. Bounded by --connections
        accepted and --max-seconds.
client: opens --connections connections to --connect, each sending an HTTP PUT head naming
        --host and then --bytes bytes of body (4099 more on each next connection, so that the
        counts pair up), and shuts down its side when done; waits for the server to close. Every second it writes its progress ("SECONDS BYTES_WRITTEN_SO_FAR") to
        --progress; at the end, "PORT BYTES" per connection (the head included) to --counts.
        Bounded by --max-seconds.
"""
import argparse
import os
import selectors
import socket
import sys
import time


def server(args):
    host, port = args.listen.rsplit(":", 1)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Inherited by accepted sockets: the destination's window fills after a few KiB.
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    listener.bind((host, int(port)))
    listener.listen(128)
    print(f"listening {args.listen}", flush=True)
    deadline = time.monotonic() + args.max_seconds
    held = []
    listener.settimeout(0.2)
    while len(held) < args.connections and not os.path.exists(args.drain_when):
        if time.monotonic() > deadline:
            sys.exit("never_read server: deadline passed before every connection came")
        try:
            conn, peer = listener.accept()
            held.append((conn, peer))
        except socket.timeout:
            pass
    while not os.path.exists(args.drain_when):
        if time.monotonic() > deadline:
            sys.exit("never_read server: deadline passed before the drain file appeared")
        time.sleep(0.1)
    print(f"draining {len(held)} connections", flush=True)
    sel = selectors.DefaultSelector()
    counts = {}
    for conn, peer in held:
        conn.setblocking(False)
        sel.register(conn, selectors.EVENT_READ, peer)
        counts[peer] = 0
    with open(args.counts, "w") as out:
        while sel.get_map():
            if time.monotonic() > deadline:
                sys.exit("never_read server: deadline passed while draining")
            for key, _ in sel.select(1.0):
                data = key.fileobj.recv(1 << 20)
                if data:
                    counts[key.data] += len(data)
                    continue
                sel.unregister(key.fileobj)
                key.fileobj.close()
                out.write(f"{key.data[0]}:{key.data[1]} {counts[key.data]}\n")
                out.flush()
    print("drained", flush=True)


def client(args):
    host, port = args.connect.rsplit(":", 1)
    chunk = b"x" * 65536
    sel = selectors.DefaultSelector()
    state = {}
    for i in range(args.connections):
        # Each connection sends a different amount, so that records and counts pair up exactly.
        body = args.bytes + i * 4099
        head = f"PUT /sink HTTP/1.1\r\nHost: {args.host}\r\nContent-Length: {body}\r\n\r\n".encode()
        conn = socket.create_connection((host, int(port)), timeout=10)
        conn.setblocking(False)
        state[conn] = {"port": conn.getsockname()[1], "pending": head, "body_left": body, "sent": 0}
        sel.register(conn, selectors.EVENT_WRITE)
    deadline = time.monotonic() + args.max_seconds
    start = time.monotonic()
    next_report = start
    with open(args.progress, "w") as progress:
        while sel.get_map():
            now = time.monotonic()
            if now > deadline:
                sys.exit("never_read client: deadline passed")
            if now >= next_report:
                progress.write(f"{now - start:.0f} {sum(s['sent'] for s in state.values())}\n")
                progress.flush()
                next_report += 1
            for key, events in sel.select(0.2):
                conn, s = key.fileobj, state[key.fileobj]
                if events & selectors.EVENT_READ:
                    if not conn.recv(65536):
                        sel.unregister(conn)
                        conn.close()
                    continue
                if not s["pending"] and s["body_left"]:
                    s["pending"] = chunk[: min(len(chunk), s["body_left"])]
                    s["body_left"] -= len(s["pending"])
                try:
                    n = conn.send(s["pending"])
                except BlockingIOError:
                    continue
                s["sent"] += n
                s["pending"] = s["pending"][n:]
                if not s["pending"] and not s["body_left"]:
                    conn.shutdown(socket.SHUT_WR)
                    sel.modify(conn, selectors.EVENT_READ)
        progress.write(f"{time.monotonic() - start:.0f} {sum(s['sent'] for s in state.values())}\n")
    with open(args.counts, "w") as out:
        for s in state.values():
            out.write(f"{s['port']} {s['sent']}\n")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("role", choices=["server", "client"])
    parser.add_argument("--listen")
    parser.add_argument("--connect")
    parser.add_argument("--host", default="sink.bench.test")
    parser.add_argument("--connections", type=int, required=True)
    parser.add_argument("--bytes", type=int, default=1 << 24)
    parser.add_argument("--drain-when")
    parser.add_argument("--counts", required=True)
    parser.add_argument("--progress")
    parser.add_argument("--max-seconds", type=float, default=300)
    args = parser.parse_args()
    server(args) if args.role == "server" else client(args)


if __name__ == "__main__":
    main()
