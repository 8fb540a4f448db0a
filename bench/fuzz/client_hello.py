#!/usr/bin/env python3
"""Writes a raw TLS ClientHello whose server_name extension lists the given host names.

RFC 6066 §3 allows one name per type; real clients never send two, so tests and fuzz seeds that
need a ClientHello with several host_name entries build it here.

  client_hello.py a.test b.test > hello.bin          # the record on stdout
  client_hello.py --connect HOST PORT a.test b.test  # send it; print reset, closed or the reply (hex)
  client_hello.py --connect HOST PORT --drip 3 a.test # its first 11 bytes, 3 s later the rest
"""
import os
import time
import socket
import struct
import sys


def client_hello(names):
    entries = b"".join(b"\x00" + struct.pack(">H", len(n)) + n.encode("ascii") for n in names)
    sni = struct.pack(">H", len(entries)) + entries
    extensions = struct.pack(">HH", 0, len(sni)) + sni
    # supported_groups and signature_algorithms, so a TLS 1.2 server would carry on.
    groups = struct.pack(">H", 4) + b"\x00\x17\x00\x1d"
    extensions += struct.pack(">HH", 10, len(groups)) + groups
    algorithms = struct.pack(">H", 4) + b"\x04\x01\x08\x04"
    extensions += struct.pack(">HH", 13, len(algorithms)) + algorithms
    ciphers = b"\xc0\x2f\xc0\x2b\x00\x2f"
    body = (
        b"\x03\x03"
        + os.urandom(32)
        + b"\x00"
        + struct.pack(">H", len(ciphers))
        + ciphers
        + b"\x01\x00"
        + struct.pack(">H", len(extensions))
        + extensions
    )
    handshake = b"\x01" + struct.pack(">I", len(body))[1:] + body
    return b"\x16\x03\x01" + struct.pack(">H", len(handshake)) + handshake


def main(argv):
    if len(argv) >= 3 and argv[0] == "--connect":
        host, port, names = argv[1], int(argv[2]), argv[3:]
        drip = 0.0
        if names[:1] == ["--drip"]:
            drip, names = float(names[1]), names[2:]
        hello = client_hello(names)
        with socket.create_connection((host, port), timeout=5 + drip) as s:
            try:
                if drip:
                    s.sendall(hello[:11])  # the record header and the start of the handshake
                    time.sleep(drip)
                s.sendall(hello[11:] if drip else hello)
                data = s.recv(65536)
            except (ConnectionResetError, BrokenPipeError):
                print("reset")
                return 0
            except socket.timeout:
                print("timeout")
                return 5
            print(data.hex() if data else "closed")
            return 0
    sys.stdout.buffer.write(client_hello(argv))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
