"""UDP and TCP clients for BypassVisibilityIT, run inside the sandbox namespace.

Each mode prints one JSON line: what it did and the program's own /proc/self/exe, so the test
can compare it with the process the record names. Bounded in count and time.
"""
import json
import os
import random
import socket
import sys
import time


def family(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def quic_initial():
    # RFC 9000 §17.2.2: long header (form and fixed bits), type Initial, 4-byte packet number.
    first = bytes([0xC3])
    version = (1).to_bytes(4, "big")
    dcid = os.urandom(8)
    scid = os.urandom(8)
    header = first + version + bytes([len(dcid)]) + dcid + bytes([len(scid)]) + scid
    header += bytes([0])  # token length 0
    payload_length = 1200 - len(header) - 2
    header += bytes([0x40 | (payload_length >> 8), payload_length & 0xFF])
    return header + os.urandom(payload_length)


def ntp_request():
    # RFC 5905 §7.3: LI 0, version 4, mode 3 (client); 48 bytes.
    return bytes([0x23]) + bytes(47)


def send(host, port, payload, count, hold):
    s = socket.socket(family(host), socket.SOCK_DGRAM)
    for _ in range(count):
        s.sendto(payload, (host, port))
    time.sleep(hold)  # the socket must exist while allowdns looks up its owner
    return s.getsockname()[1]


def main():
    mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    out = {"mode": mode, "exe": os.readlink("/proc/self/exe")}
    if mode == "ntp":
        out["source_port"] = send(host, port, ntp_request(), 1, 1.5)
    elif mode == "quic":
        out["source_port"] = send(host, port, quic_initial(), 1, 1.5)
    elif mode == "udp":
        out["source_port"] = send(host, port, b"hello", int(sys.argv[4]), 1.5)
    elif mode == "flood":
        count, seconds = int(sys.argv[4]), float(sys.argv[5])
        s = socket.socket(family(host), socket.SOCK_DGRAM)
        deadline = time.monotonic() + seconds
        sent = 0
        while sent < count and time.monotonic() < deadline:
            try:
                s.sendto(b"x" * 20, (host, random.randint(1024, 65535)))
                sent += 1
            except OSError:
                time.sleep(0.001)
        out["sent"] = sent
    elif mode == "connect":
        s = socket.socket(family(host), socket.SOCK_STREAM)
        s.settimeout(10)
        try:
            s.connect((host, port))
            s.sendall(b"GET / HTTP/1.0\r\n\r\n")
            out["received"] = len(s.recv(100))
        except OSError as e:
            out["error"] = type(e).__name__
    print(json.dumps(out), flush=True)


main()
