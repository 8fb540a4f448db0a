#!/usr/bin/env python3
"""Sends A queries one after another from a source address and prints, per query, the name, the
rcode and the EDE text (EDNS option 15), tab-separated. Names come from a file (one per line), or
are made up: COUNT unique labels under ZONE, as a DNS tunnel would encode data.

  names.py SERVER PORT SOURCE --file NAMES        # a normal build's names
  names.py SERVER PORT SOURCE --unique ZONE COUNT # a tunnel: <hex>.ZONE, each once
Bounded: each query waits at most 2 s; at most COUNT (or the file's) queries.
"""
import os
import socket
import struct
import sys

RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED"}


def query(qid, name):
    header = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 1)
    qname = b"".join(bytes([len(l)]) + l.encode() for l in name.rstrip(".").split(".")) + b"\0"
    opt = b"\0" + struct.pack(">HHIH", 41, 1232, 0, 0)  # OPT: EDNS 0, no options
    return header + qname + struct.pack(">HH", 1, 1) + opt


def skip_name(msg, at):
    while True:
        length = msg[at]
        if length & 0xC0 == 0xC0:
            return at + 2
        if length == 0:
            return at + 1
        at += 1 + length


def answer(msg):
    rcode = msg[3] & 0x0F
    qd, an, ns, ar = struct.unpack(">HHHH", msg[4:12])
    at = 12
    for _ in range(qd):
        at = skip_name(msg, at) + 4
    ede = ""
    for i in range(an + ns + ar):
        at = skip_name(msg, at)
        rtype, _, _, rdlen = struct.unpack(">HHIH", msg[at:at + 10])
        at += 10
        if rtype == 41 and i >= an + ns:
            o = at
            while o < at + rdlen:
                code, olen = struct.unpack(">HH", msg[o:o + 4])
                if code == 15:
                    ede = msg[o + 6:o + 4 + olen].decode("utf-8", "replace")
                o += 4 + olen
        at += rdlen
    return RCODES.get(rcode, str(rcode)), ede


def main():
    server, port, source, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    if mode == "--file":
        with open(sys.argv[5]) as f:
            names = [l.strip() for l in f if l.strip() and not l.startswith("#")]
    else:
        zone, count = sys.argv[5], int(sys.argv[6])
        names = [os.urandom(12).hex() + "." + zone for _ in range(count)]
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((source, 0))
    sock.settimeout(2)
    for qid, name in enumerate(names):
        sock.sendto(query(qid & 0xFFFF, name), (server, port))
        try:
            while True:
                msg, _ = sock.recvfrom(4096)
                if struct.unpack(">H", msg[:2])[0] == qid & 0xFFFF:
                    break
            rcode, ede = answer(msg)
        except socket.timeout:
            rcode, ede = "TIMEOUT", ""
        print(f"{name}\t{rcode}\t{ede}", flush=True)


main()
