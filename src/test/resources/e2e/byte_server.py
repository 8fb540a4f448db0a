#!/usr/bin/env python3
"""Byte service of the end-to-end tests, run in the "internet" namespace.

Every TCP connection is sent exactly --send bytes (a fixed pattern) while everything the peer
sends is read and counted until EOF; then the connection is closed. UDP datagrams are counted.
Each event is one JSON line on stdout, so the test knows exactly what crossed the wire:
  {"event": "ready"}
  {"event": "accept", "port": P, "peer": "ADDR:PORT"}
  {"event": "recv", "port": P, "peer": "...", "total": BYTES_SO_FAR}
  {"event": "eof", "port": P, "peer": "...", "received": BYTES, "sent": BYTES}
  {"event": "udp", "port": P, "peer": "...", "bytes": BYTES}
The process ends by itself after --max-seconds (a bound, should the test not end it).
"""
import argparse
import json
import socket
import sys
import threading
import time

_print_lock = threading.Lock()


def log(**event):
    with _print_lock:
        print(json.dumps(event), flush=True)


def pattern(length):
    """Returns length bytes of a fixed, non-repeating-looking pattern."""
    block = bytes((i * 31 + 7) % 251 for i in range(251))
    return (block * (length // len(block) + 1))[:length]


def parse_address(text):
    host, port = text.rsplit(":", 1)
    return host.strip("[]"), int(port)


def family(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def peer_text(address):
    return "[%s]:%d" % address[:2] if ":" in address[0] else "%s:%d" % address[:2]


def serve_connection(conn, peer, port, payload):
    log(event="accept", port=port, peer=peer)
    sent = [0]

    def write():
        try:
            conn.sendall(payload)
            sent[0] = len(payload)
        except OSError as e:
            log(event="send_error", port=port, peer=peer, error=str(e))

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    total = 0
    try:
        while True:
            data = conn.recv(65536)
            if not data:
                break
            total += len(data)
            log(event="recv", port=port, peer=peer, total=total)
    except OSError as e:
        log(event="recv_error", port=port, peer=peer, error=str(e))
    writer.join(30)
    log(event="eof", port=port, peer=peer, received=total, sent=sent[0])
    conn.close()


def serve_tcp(listener, port, payload):
    while True:
        conn, address = listener.accept()
        threading.Thread(
            target=serve_connection,
            args=(conn, peer_text(address), port, payload),
            daemon=True,
        ).start()


def serve_udp(sock, port):
    while True:
        data, address = sock.recvfrom(65535)
        log(event="udp", port=port, peer=peer_text(address), bytes=len(data))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--send", type=int, required=True, help="bytes sent on every connection")
    parser.add_argument("--tcp", action="append", default=[], help="HOST:PORT to serve TCP on")
    parser.add_argument("--udp", action="append", default=[], help="HOST:PORT to count UDP on")
    parser.add_argument("--max-seconds", type=float, default=600)
    args = parser.parse_args()
    payload = pattern(args.send)
    for text in args.tcp:
        host, port = parse_address(text)
        listener = socket.socket(family(host), socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
        listener.listen(64)
        threading.Thread(target=serve_tcp, args=(listener, port, payload), daemon=True).start()
    for text in args.udp:
        host, port = parse_address(text)
        sock = socket.socket(family(host), socket.SOCK_DGRAM)
        sock.bind((host, port))
        threading.Thread(target=serve_udp, args=(sock, port), daemon=True).start()
    log(event="ready")
    time.sleep(args.max_seconds)
    sys.exit(0)


if __name__ == "__main__":
    main()
