#!/usr/bin/env python3
"""Clients of the relay-limits tests, run in the sandbox namespace from a chosen source address
(--bind: the address says which sandbox the relay sees). The byte service on the other end sends
a known number of bytes on every connection and closes once the client has half-closed.

  connect HOST PORT --bind A --count N [--interval S]
      N connections, one after another: each half-closes at once and reads until EOF.
      {"event": "done", "admitted": K, "reset": R, "other": [errors], "seconds": S}
  hold HOST PORT --bind A --count N --expect B [--seconds S]
      N connections at once, each waiting for B bytes (admitted) or a reset; the admitted ones
      stay open (no half-close) for S seconds, or until the process is ended (SIGTERM).
      {"event": "holding", "admitted": K, "reset": R, "other": [...]}, later {"event": "released"}
  transfer HOST PORT --bind A --send M [--wait S]
      one connection: sends M bytes (S seconds after connecting), half-closes, reads until EOF.
      "seconds" runs from the first
      byte of the larger direction (sent at connect for an upload; the first byte received for a
      download, the relay deciding a silent client only after its peek timeout) to EOF.
      {"event": "done", "sent": M, "received": BYTES, "seconds": S, "error": null | "..."}
"""
import argparse
import errno
import json
import socket
import sys
import time


def log(**event):
    print(json.dumps(event), flush=True)


def connect(args):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.settimeout(10)
    sock.bind((args.bind, 0))
    sock.connect((args.host, args.port))
    return sock


def read_to_end(sock):
    """Returns the bytes read until EOF; raises ConnectionResetError on a reset."""
    total = 0
    while True:
        data = sock.recv(65536)
        if not data:
            return total
        total += len(data)


# A reset can surface at any call after connect(): recv, or shutdown/send once it has arrived.
RESET = (errno.ECONNRESET, errno.ENOTCONN, errno.EPIPE)


def run_connect(args):
    admitted, reset, other = 0, 0, []
    start = time.monotonic()
    for _ in range(args.count):
        try:
            sock = connect(args)
            try:
                sock.shutdown(socket.SHUT_WR)
                if read_to_end(sock) > 0:
                    admitted += 1
                else:
                    reset += 1  # closed before the service said anything: refused
            finally:
                sock.close()
        except OSError as e:
            if e.errno in RESET:
                reset += 1
            else:
                other.append("%s: %s" % (type(e).__name__, e))
        time.sleep(args.interval)
    log(event="done", admitted=admitted, reset=reset, other=other,
        seconds=round(time.monotonic() - start, 3))


def run_hold(args):
    socks, outcomes = [], []
    for _ in range(args.count):
        try:
            socks.append(connect(args))
        except OSError as e:
            outcomes.append("%s: %s" % (type(e).__name__, e))
    held = []
    admitted, reset = 0, 0
    for sock in socks:
        try:
            got = 0
            while got < args.expect:
                data = sock.recv(65536)
                if not data:
                    break
                got += len(data)
            if got >= args.expect:
                admitted += 1
                held.append(sock)
                continue
            reset += 1
        except OSError as e:
            if e.errno in RESET:
                reset += 1
            else:
                outcomes.append("%s: %s" % (type(e).__name__, e))
        sock.close()
    log(event="holding", admitted=admitted, reset=reset, other=outcomes)
    time.sleep(args.seconds)
    for sock in held:
        sock.close()
    log(event="released", count=len(held))


def run_transfer(args):
    """Sends, then reads: what the service sends meanwhile (1,000 bytes for an upload) waits in
    the socket buffers, so one thread does both."""
    start = time.monotonic()
    sock = connect(args)
    sock.settimeout(60)
    sent, received, error = 0, 0, None
    if args.wait:
        time.sleep(args.wait)  # connected and silent: the relay decides it after its peek timeout
        start = time.monotonic()
    try:
        sock.sendall(bytes(args.send))
        sent = args.send
        sock.shutdown(socket.SHUT_WR)
        while True:
            data = sock.recv(65536)
            if not data:
                break
            if received == 0 and args.send == 0:
                start = time.monotonic()
            received += len(data)
    except OSError as e:
        error = "%s: %s" % (type(e).__name__, e)
    seconds = time.monotonic() - start
    sock.close()
    log(event="done", sent=sent, received=received, seconds=round(seconds, 3), error=error)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["connect", "hold", "transfer"])
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("--bind", required=True)
    parser.add_argument("--count", type=int, default=1)
    parser.add_argument("--interval", type=float, default=0)
    parser.add_argument("--expect", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--send", type=int, default=0)
    parser.add_argument("--wait", type=float, default=0)
    args = parser.parse_args()
    {"connect": run_connect, "hold": run_hold, "transfer": run_transfer}[args.mode](args)


if __name__ == "__main__":
    main()
