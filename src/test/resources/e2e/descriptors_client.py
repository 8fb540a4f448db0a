#!/usr/bin/env python3
"""The transparent-descriptors test's client, run in the sandbox namespace: many connections held
open at once. It raises its own soft descriptor limit to the hard one first.

  hold HOST PORT --count N [--settle S] [--seconds T]
      N connections, one after another (blocking connects, 10 s each), none sending anything.
      The relay accepts each at the kernel before it decides, so a refused one connects, then is
      reset; once S seconds passed with no connection ending (or 4 S after the last connect),
      each still silent is open, each reset or at EOF refused. The open ones stay open for T
      seconds, or until the process is ended (SIGTERM), then are closed.
      {"event": "holding", "open": K, "refused": R, "other": [errors], "connect_seconds": C,
       "settle_seconds": D}, later {"event": "released", "count": K}
"""
import argparse
import errno
import json
import resource
import select
import signal
import socket
import sys
import time

# A refused connection ends with a reset (or, at worst, a plain close) right after connect.
ENDED = (errno.ECONNRESET, errno.ENOTCONN, errno.EPIPE)
# An error summary is kept short: the first few distinct ones.
MAX_OTHER = 20


def log(**event):
    print(json.dumps(event), flush=True)


def ended(sock):
    """Reads without waiting: True if the peer reset or closed, False if nothing is there."""
    try:
        return sock.recv(1, socket.MSG_DONTWAIT) == b""
    except BlockingIOError:
        return False
    except OSError as e:
        if e.errno in ENDED:
            return True
        raise


def run_hold(args):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    socks, other = {}, []
    start = time.monotonic()
    for _ in range(args.count):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.settimeout(10)
        try:
            sock.connect((args.host, args.port))
            sock.setblocking(False)
            socks[sock.fileno()] = sock
        except OSError as e:
            sock.close()
            if len(other) < MAX_OTHER:
                other.append("%s: %s" % (type(e).__name__, e))
    connected = time.monotonic()

    # poll, not select: more than 1024 descriptors.
    poller = select.poll()
    for fd in socks:
        poller.register(fd, select.POLLIN | select.POLLERR | select.POLLHUP)
    refused, quiet_since, deadline = 0, time.monotonic(), connected + 4 * args.settle
    while socks and time.monotonic() < deadline and time.monotonic() - quiet_since < args.settle:
        for fd, _ in poller.poll(100):
            sock = socks[fd]
            try:
                if not ended(sock):
                    continue  # bytes from a destination that sends none: still open, seen as such
                refused += 1
            except OSError as e:
                if len(other) < MAX_OTHER:
                    other.append("%s: %s" % (type(e).__name__, e))
            poller.unregister(fd)
            del socks[fd]
            sock.close()
            quiet_since = time.monotonic()
    log(event="holding", open=len(socks), refused=refused, other=other,
        connect_seconds=round(connected - start, 3),
        settle_seconds=round(time.monotonic() - connected, 3))

    released = []

    def release(*_):
        if not released:
            released.append(True)
            for sock in socks.values():
                sock.close()
            log(event="released", count=len(socks))
        sys.exit(0)

    signal.signal(signal.SIGTERM, release)
    time.sleep(args.seconds)
    release()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["hold"])
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--settle", type=float, default=3.0)
    parser.add_argument("--seconds", type=float, default=120.0)
    args = parser.parse_args()
    run_hold(args)


if __name__ == "__main__":
    main()
