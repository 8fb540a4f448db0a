#!/usr/bin/env python3
"""Writes the fuzz seed corpora under src/test/resources (Jazzer's <Class>Inputs/<method>/).

Real bytes where a real client makes them: dig and kdig queries, openssl s_client and curl
ClientHellos, curl HTTP requests, each captured on a loopback socket this script opens (nothing
leaves the machine; the clients get no answer and give up after 1 s). Upstream replies, record
lines and bodies are written by hand. Run from the repository root: python3 bench/fuzz/seeds.py
(or `seeds.py proxy` for the explicit proxy's corpus alone).
"""
import os
import pathlib
import shutil
import socket
import struct
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(__file__))
from client_hello import client_hello  # noqa: E402

ROOT = pathlib.Path("src/test/resources/dev/allowdns")


def corpus(package, cls, method):
    d = ROOT / package / (cls + "Inputs") / method
    d.mkdir(parents=True, exist_ok=True)
    return d


def write(d, name, data):
    (d / name).write_bytes(data)


def capture_udp(command):
    """Runs command (with PORT replaced) against a UDP socket; returns the first datagram."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.settimeout(3)
    port = s.getsockname()[1]
    p = subprocess.Popen([c.replace("PORT", str(port)) for c in command],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        data, _ = s.recvfrom(65535)
    finally:
        p.kill()
        p.wait()
        s.close()
    return data


def capture_tcp(command, frame=False):
    """Runs command against a TCP listener; returns what the client sent first (a DNS frame's body when frame)."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    srv.settimeout(5)
    port = srv.getsockname()[1]
    p = subprocess.Popen([c.replace("PORT", str(port)) for c in command],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    try:
        conn, _ = srv.accept()
        conn.settimeout(2)
        data = b""
        try:
            while len(data) < 65536:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                data += chunk
                if frame and len(data) >= 2 and len(data) >= 2 + struct.unpack(">H", data[:2])[0]:
                    break
                if not frame and (data.startswith(b"\x16") and len(data) >= 5
                                  and len(data) >= 5 + struct.unpack(">H", data[3:5])[0]):
                    break
                if not frame and b"\r\n\r\n" in data:
                    break
        except socket.timeout:
            pass
        conn.close()
    finally:
        p.kill()
        p.wait()
        srv.close()
    return data[2:] if frame else data


def name_wire(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\x00"


def rr(owner, rtype, ttl, rdata):
    return owner + struct.pack(">HHIH", rtype, 1, ttl, len(rdata)) + rdata


PTR_Q = b"\xc0\x0c"  # the question's name


def reply(flags, answers=(), authority=(), additional=()):
    """A reply as the pipeline fuzz target takes it: header, then records (the fake adds the question)."""
    header = struct.pack(">HHHHHH", 0, flags, 1, len(answers), len(authority), len(additional))
    return header + b"".join(answers) + b"".join(authority) + b"".join(additional)


def full_reply(name, qtype, flags, answers=(), authority=(), additional=()):
    header = struct.pack(">HHHHHH", 0x1234, flags, 1, len(answers), len(authority), len(additional))
    return (header + name_wire(name) + struct.pack(">HH", qtype, 1)
            + b"".join(answers) + b"".join(authority) + b"".join(additional))


A, NS, CNAME, SOA, AAAA, OPT = 1, 2, 5, 6, 28, 41
OPT_RR = b"\x00" + struct.pack(">HHIH", OPT, 1232, 0, 0)
SOA_RR = rr(PTR_Q, SOA, 300, name_wire("ns.test") + name_wire("h.test") + struct.pack(">IIIII", 1, 2, 3, 4, 60))
REPLIES = {
    "a": reply(0x8180, [rr(PTR_Q, A, 300, bytes([192, 0, 2, 1]))], additional=[OPT_RR]),
    "aaaa": reply(0x8180, [rr(PTR_Q, AAAA, 60, bytes.fromhex("20010db8000000000000000000000001"))]),
    "cname-denied": reply(0x8180, [rr(PTR_Q, CNAME, 300, name_wire("denied.deep.test")),
                                   rr(name_wire("denied.deep.test"), A, 300, bytes([192, 0, 2, 2]))]),
    "private": reply(0x8180, [rr(PTR_Q, A, 300, bytes([10, 0, 0, 1])),
                              rr(PTR_Q, A, 300, bytes([169, 254, 169, 254]))]),
    "nxdomain-soa": reply(0x8183, authority=[SOA_RR]),
    "truncated": reply(0x8380),
    "servfail": reply(0x8182),
    "ttl-huge": reply(0x8180, [rr(PTR_Q, A, 0xFFFFFFFF, bytes([192, 0, 2, 3]))]),
}


def queries():
    q = {}
    dig = ["dig", "@127.0.0.1", "-p", "PORT", "+tries=1", "+timeout=1"]
    q["dig-a-edns-cookie"] = capture_udp(dig + ["allowed.test", "A"])
    q["dig-aaaa-wild"] = capture_udp(dig + ["x.wild.test", "AAAA"])
    q["dig-blocked"] = capture_udp(dig + ["example.com"])
    q["dig-denied"] = capture_udp(dig + ["denied.deep.test"])
    q["dig-deep"] = capture_udp(dig + ["a.b.deep.test"])
    q["dig-noedns"] = capture_udp(dig + ["+noedns", "re42.test"])
    q["dig-edns1"] = capture_udp(dig + ["+edns=1", "allowed.test"])
    q["dig-chaos"] = capture_udp(dig + ["-c", "CH", "allowed.test", "TXT"])
    q["dig-private"] = capture_udp(dig + ["private.test"])
    q["dig-fwd"] = capture_udp(dig + ["fwd.test"])
    q["dig-0x20"] = capture_udp(dig + ["AlLoWeD.TeSt"])
    q["kdig-a"] = capture_udp(["kdig", "@127.0.0.1", "-p", "PORT", "+retry=0", "+timeout=1", "allowed.test"])
    q["kdig-nsid-bufsize"] = capture_udp(["kdig", "@127.0.0.1", "-p", "PORT", "+retry=0", "+timeout=1",
                                          "+nsid", "+bufsize=4096", "+padding", "x.wild.test", "AAAA"])
    q["dig-tcp"] = capture_tcp(dig + ["+tcp", "allowed.test"], frame=True)
    two = bytearray(q["dig-noedns"])
    two[5] = 2  # QDCOUNT 2: FORMERR
    q["two-questions"] = bytes(two)
    notify = bytearray(q["dig-noedns"])
    notify[2] = (notify[2] & 0x87) | (4 << 3)  # opcode NOTIFY
    q["notify"] = bytes(notify)
    response = bytearray(q["dig-noedns"])
    response[2] |= 0x80  # QR: a response sent to the server
    q["response"] = bytes(response)
    q["header-only"] = q["dig-noedns"][:12]
    q["any"] = q["dig-noedns"][:-4] + b"\x00\xff\x00\x01"  # QTYPE ANY (RFC 8482)
    return q


def proxy_heads():
    """The explicit proxy's request heads: curl as a proxy client, and forms curl does not send.

    Byte 0 picks the client: even, a registered sandbox; odd, an unknown address."""
    heads = corpus("proxy", "ProxyHeadFuzzTest", "proxyHead")
    sent = {
        "curl-absolute-form": capture_tcp(["curl", "-s", "--max-time", "2", "-x", "http://127.0.0.1:PORT",
                                           "http://allowed.test/simple/?q=1"]),
        "curl-connect": capture_tcp(["curl", "-s", "--max-time", "2", "-p", "-x", "http://127.0.0.1:PORT",
                                     "https://www.allowed.test/"]),
        "connect-literal": b"CONNECT 192.0.2.7:443 HTTP/1.1\r\nHost: 192.0.2.7:443\r\n\r\n",
        "connect-v6": b"CONNECT [2001:db8::7]:443 HTTP/1.1\r\nHost: [2001:db8::7]:443\r\n\r\n",
        "connect-denied": b"CONNECT evil.allowed.test:443 HTTP/1.1\r\n\r\n",
        "connect-no-port": b"CONNECT allowed.test HTTP/1.1\r\n\r\n",
        "host-differs": b"GET http://allowed.test/ HTTP/1.1\r\nHost: evil.test\r\nHost: other.test\r\n\r\n",
        "origin-form": b"GET /index.html HTTP/1.1\r\nHost: allowed.test\r\n\r\n",
        "https-scheme": b"GET https://allowed.test/ HTTP/1.1\r\n\r\n",
        "userinfo-port": b"GET http://user@allowed.test:8080/a%20b HTTP/1.0\r\nProxy-Authorization: x\r\n\r\n",
        "keep-alive-two-hosts": b"GET http://a.allowed.test/ HTTP/1.1\r\n\r\nGET http://b.allowed.test/ HTTP/1.1\r\n\r\n",
        "post-body": b"POST http://allowed.test/up HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello",
        "chunked": b"PUT http://allowed.test/c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
        "unlisted": b"GET http://unlisted.example/ HTTP/1.1\r\n\r\n",
    }
    for name, data in sent.items():
        for client in (0, 1):
            write(heads, f"{name}-{client}", bytes([client]) + data)


def main():
    if sys.argv[1:] == ["proxy"]:
        proxy_heads()
        return
    # The pipeline: flags, minutes, reply length, reply, query.
    pipeline = corpus("dns", "QueryPipelineFuzzTest", "queryPath")
    upstream = corpus("dns", "UpstreamReplyFuzzTest", "upstreamReply")
    qs = queries()
    combos = [("a", 0x00), ("a", 0x11), ("aaaa", 0x04), ("cname-denied", 0x10), ("private", 0x00),
              ("nxdomain-soa", 0x31), ("truncated", 0x00), ("servfail", 0x18), ("ttl-huge", 0x10)]
    for qname, query in qs.items():
        for i, (rname, flags) in enumerate(combos):
            if i > 1 and qname not in ("dig-a-edns-cookie", "dig-deep", "kdig-nsid-bufsize"):
                continue
            body = REPLIES[rname]
            tcp_flag = 0x04 if qname == "dig-tcp" else 0
            data = bytes([flags | tcp_flag, 5]) + struct.pack(">H", len(body)) + body + query
            write(pipeline, f"{qname}--{rname}", data)
    for client in range(4):
        body = REPLIES["a"]
        write(pipeline, f"client{client}", bytes([client | 0x10, 0]) + struct.pack(">H", len(body)) + body
              + qs["dig-a-edns-cookie"])
    # Upstream replies: flags, hours, a whole reply.
    full = {
        "a": full_reply("allowed.test", A, 0x8180, [rr(PTR_Q, A, 300, bytes([192, 0, 2, 1]))], additional=[OPT_RR]),
        "cname-chain": full_reply("www.allowed.test", A, 0x8180,
                                  [rr(PTR_Q, CNAME, 300, name_wire("edge.cdn.test")),
                                   rr(name_wire("edge.cdn.test"), A, 60, bytes([192, 0, 2, 7])),
                                   rr(name_wire("edge.cdn.test"), A, 60, bytes([10, 1, 2, 3]))]),
        "private-only": full_reply("private.test", A, 0x8180, [rr(PTR_Q, A, 300, bytes([127, 0, 0, 1]))],
                                   additional=[rr(name_wire("ns.test"), AAAA, 60, bytes.fromhex("fd00" + "00" * 14))]),
        "nxdomain": full_reply("nope.test", A, 0x8183, authority=[SOA_RR]),
        "nodata-no-soa": full_reply("allowed.test", AAAA, 0x8180),
        "ttl-huge": full_reply("allowed.test", A, 0x8180, [rr(PTR_Q, A, 0xFFFFFFFF, bytes([192, 0, 2, 3]))]),
    }
    for name, data in full.items():
        for flags in (0, 1, 2, 4, 6):
            write(upstream, f"{name}-{flags}", bytes([flags, 3]) + data)

    # Peeks: chunk seed byte, then what the client sent.
    peek = corpus("relay", "PeekFuzzTest", "peek")
    hellos = {
        "openssl-s_client": capture_tcp(["openssl", "s_client", "-connect", "127.0.0.1:PORT",
                                         "-servername", "registry.npmjs.org"]),
        "openssl-tls12": capture_tcp(["openssl", "s_client", "-connect", "127.0.0.1:PORT", "-tls1_2",
                                      "-servername", "pypi.org"]),
        "curl-https": capture_tcp(["curl", "-s", "--max-time", "2", "--resolve", "github.com:PORT:127.0.0.1",
                                   "https://github.com:PORT/"]),
        "two-sni": client_hello(["allowed.test", "evil.test"]),
        "two-sni-same": client_hello(["allowed.test", "ALLOWED.test"]),
    }
    requests = {
        "curl-http": capture_tcp(["curl", "-s", "--max-time", "2", "http://127.0.0.1:PORT/simple/",
                                  "-H", "Host: pypi.org"]),
        "curl-two-hosts": capture_tcp(["curl", "-s", "--max-time", "2", "http://127.0.0.1:PORT/",
                                       "-H", "Host: allowed.test", "-H", "Host: evil.test"]),
        "post": b"POST /upload HTTP/1.1\r\nHost: a.test:8080\r\nContent-Length: 3\r\n\r\nabc",
        "ssh": b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n",
        "smtp-ish": b"EHLO x\r\n",
    }
    for name, data in {**hellos, **requests}.items():
        for seed in (0, 7):
            write(peek, f"{name}-{seed}", bytes([seed]) + data)

    # Config files.
    config = corpus("config", "ConfigFileFuzzTest", "configFile")
    shutil.copy("deploy/allowdns.yaml", config / "deploy-allowdns.yaml")
    write(config, "readme-example.yaml", b"""listen: [127.0.0.1:1053]
upstreams: [10.0.0.2:53]
zones: ./zones
log_dir: /var/log/allowdns
upstream_timeout: 2s
policies:
  default: [npm, pypi, github]
  strict: [npm]
sandboxes:
  - cidr: 172.16.0.2/32
    id: vm-7
    task_id: task_abc123
    user: developer@company.com
    policy: default
""")
    write(config, "flags.yaml", b"mode: audit\ncache_size: 10\nrelay_listen: '[::]:15001'\n"
                                b"relay_peek_timeout: 500ms\nlog_total_size: 1GB\nwatch_zones: true\n")

    # Record lines: flags, gzip cut, content.
    records = corpus("logs", "RecordReaderFuzzTest", "recordLines")
    query_line = (b'{"timestamp":"2026-11-24T20:33:52.209Z","sandbox":"loopback","task_id":null,"user":null,'
                  b'"client_ip":"127.0.0.1","name":"c4.test","type":"A","result":"blocked","rcode":"NXDOMAIN",'
                  b'"allowlist_rule":"default:t","answers":["CNAME evil.test.","A 192.0.2.66"],'
                  b'"upstream":"127.0.0.1:15300","cached":false,"duration_us":22410,"reason":"denied",'
                  b'"policy_generation":1}\n')
    would_block = query_line.replace(b'"blocked"', b'"would_block"').replace(b"c4.test", b"a.b.pkg.test")
    conn_line = (b'{"timestamp":"2026-11-24T20:47:45.929Z","task_id":"t1","user":"u@example.com","direction":"egress",'
                 b'"domain":"www.e2e.test","port":80,"protocol":"http","sni":null,"bytes_sent":76,"bytes_received":195,'
                 b'"duration_ms":439,"result":"allowed","allowlist_rule":"default:e2e","sandbox":"vm-smoke",'
                 b'"client_ip":"10.210.0.2","dst_ip":"10.211.0.2","reason":null,"host":"www.e2e.test",'
                 b'"policy_generation":1}\n')
    for name, content in {"query": query_line, "mixed": query_line + conn_line + would_block,
                          "damaged": query_line + b'{"timestamp":"x"\n' + conn_line[:40],
                          "no-newline": conn_line.rstrip(b"\n")}.items():
        for flags in (0, 1, 3):
            write(records, f"{name}-{flags}", bytes([flags, 128]) + content)

    # Admin bodies: query length, query, body.
    admin = corpus("admin", "SandboxBodyFuzzTest", "sandboxBody")
    bodies = {
        "full": b'{"cidr":"10.9.0.2/32","id":"vm-9","task_id":"t9","user":"u@example.com","policy":"default"}',
        "ip": b'{"cidr":"10.9.0.3","id":"vm-10"}',
        "v6": b'{"cidr":"fd00::/64","id":"vm-11"}',
        "unknown-field": b'{"cidr":"10.9.0.4","id":"x","ip":"1"}',
        "null": b"null",
        "array": b"[]",
    }
    for name, body in bodies.items():
        for q in (b"", b"id=vm-9", b"dry_run=true&id=%41"):
            write(admin, f"{name}-{len(q)}", bytes([len(q)]) + q + body)

    # Zone files: the shipped zones.
    zones = corpus("policy", "ZoneFileFuzzTest", "zoneFile")
    for z in pathlib.Path("zones").glob("*.zone"):
        shutil.copy(z, zones / z.name)
    write(zones, "forms.zone", b"@forward 10.0.0.53 10.0.0.54:5353 [fd00::53]:53\n@allow-private\n"
                              b"registry.npmjs.org\n*.npmjs.org\n**.githubusercontent.com\n"
                              b"~^[a-z0-9-]+\\.s3\\.amazonaws\\.com$\n!gist.githubusercontent.com\n"
                              b"ip:140.82.112.0/20\nip:2001:db8::/32\n# comment\n\xef\xbb\xbf\n")
    proxy_heads()
    print("seeds written under", ROOT)


if __name__ == "__main__":
    main()
