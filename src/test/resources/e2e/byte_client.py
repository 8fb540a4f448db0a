#!/usr/bin/env python3
"""Client side of the byte service, run in the sandbox namespace.

  tcp HOST PORT --send M            connect (HOST resolved through the sandbox's resolver), send
                                    exactly M bytes, half-close, read until EOF
  tcp HOST PORT --send M --hold S --expect N
                                    send M bytes, read N, report "holding", then keep the
                                    connection open (no half-close) until EOF or S seconds pass
  udp HOST PORT --count K           send K datagrams of 100 bytes

Each event is one JSON line on stdout:
  {"event": "connected", "local": "...", "remote": "..."}
  {"event": "holding", "sent": M, "received": N}
  {"event": "done", "sent": M, "received": BYTES, "error": null | "..."}
"""
import argparse
import json
import socket
import sys
import threading
import time


def log(**event):
    print(json.dumps(event), flush=True)


def pattern(length):
    block = bytes((i * 13 + 5) % 241 for i in range(241))
    return (block * (length // len(block) + 1))[:length]


def run_tcp(args):
    deadline = time.monotonic() + (args.hold if args.hold else 30)
    sock = socket.create_connection((args.host, args.port), timeout=10)
    log(event="connected", local=str(sock.getsockname()[:2]), remote=str(sock.getpeername()[:2]))
    sent = [0]
    send_error = [None]

    def write():
        try:
            sock.sendall(pattern(args.send))
            sent[0] = args.send
            if not args.hold:
                sock.shutdown(socket.SHUT_WR)
        except OSError as e:
            send_error[0] = str(e)

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    received = 0
    error = None
    reported = False
    try:
        while True:
            sock.settimeout(max(0.1, deadline - time.monotonic()))
            data = sock.recv(65536)
            if not data:
                break
            received += len(data)
            if args.hold and not reported and received >= args.expect:
                writer.join(10)
                log(event="holding", sent=sent[0], received=received)
                reported = True
    except (OSError, socket.timeout) as e:
        error = "%s: %s" % (type(e).__name__, e)
    writer.join(10)
    sock.close()
    log(event="done", sent=sent[0], received=received, error=error or send_error[0])


def run_udp(args):
    fam = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    sock = socket.socket(fam, socket.SOCK_DGRAM)
    for _ in range(args.count):
        sock.sendto(b"u" * 100, (args.host, args.port))
    log(event="done", sent=args.count)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["tcp", "udp"])
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("--send", type=int, default=0)
    parser.add_argument("--hold", type=float, default=0)
    parser.add_argument("--expect", type=int, default=0)
    parser.add_argument("--count", type=int, default=1)
    args = parser.parse_args()
    if args.mode == "tcp":
        run_tcp(args)
    else:
        run_udp(args)


if __name__ == "__main__":
    sys.exit(main())
