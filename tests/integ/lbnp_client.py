#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The lbnoded authors
# An LB's side of LBNP/1, written from lbnoded-protocol(7) alone, to check
# that the daemon does what the page says.  It sends the datagrams the
# page describes, good and bad, and prints what comes back, one JSON
# object per datagram, so that the test reads the page's promises.
#
#   lbnp_client.py [-k KEYFILE] [-s SRC] [-t SECONDS] send NODE CASE [ARG...]
#   lbnp_client.py [-k KEYFILE] listen SECONDS       ANNOUNCEs, one a line
#   lbnp_client.py node-id MACHINE-ID-FILE HOSTNAME  the page's NODE_ID
import argparse
import hashlib
import hmac
import ipaddress
import json
import os
import select
import socket
import struct
import sys
import time

PORT = 65002
ANNOUNCE, QUERY, REPORT, CONFIG, CONFIG_ACK = 1, 2, 3, 4, 5
TYPES = {1: "announce", 2: "query", 3: "report", 4: "config", 5: "config-ack"}
AUTH = 0x0001
APP_ID = bytes.fromhex("021aa80e5eb44d128753a3d3708e499d")
# TLV type: name, and how to read its value
TLVS = {
    1: ("NODE_ID", "hex"), 2: ("HOSTNAME", "str"), 3: ("ADDR4", "ip"),
    4: ("ADDR6", "ip"), 5: ("SERVER_TYPE", "str"), 6: ("BUSY", "int"),
    7: ("WEIGHT", "int"), 8: ("ADMIN", "int"), 9: ("LOADAVG", "int"),
    10: ("MEMORY", "int"), 11: ("UPTIME", "int"), 12: ("GENERATION", "int"),
    13: ("REASON", "int"), 16: ("VIP", "hex"), 32: ("STATUS", "int"),
    33: ("MESSAGE", "str"), 34: ("RESULT", "result"), 35: ("IN_FORCE", "int"),
    36: ("OMITTED", "int"),
}


def node_id(machine_id, hostname):
    """NODE_ID: HMAC-SHA256(machine ID, app ID), 16 bytes, a v4 UUID."""
    mid = machine_id[:-1] if machine_id.endswith("\n") else machine_id
    if len(mid) == 32 and all(c in "0123456789abcdef" for c in mid):
        key = bytes.fromhex(mid)
    else:
        key = hostname.encode()
    h = bytearray(hmac.new(key, APP_ID, hashlib.sha256).digest()[:16])
    h[6] = (h[6] & 0x0F) | 0x40
    h[8] = (h[8] & 0x3F) | 0x80
    return h.hex()


def tlv(t, value):
    return struct.pack("!HH", t, len(value)) + value


def u64(t, v):
    return tlv(t, struct.pack("!Q", v))


def vip(spec):
    """PROTO:ADDR:PORT[,MODE]: a VIP TLV, redirect unless MODE says."""
    modes = {"redirect": 0, "dnat": 1, "loopback": 2}
    spec, _, mode = spec.partition(",")
    proto, rest = spec.split(":", 1)
    addr, port = rest.rsplit(":", 1)
    a = ipaddress.ip_address(addr.strip("[]"))
    value = struct.pack("!BBBBHHHH", a.version, modes[mode or "redirect"],
                        {"tcp": 6, "udp": 17}[proto], 0, int(port), int(port),
                        0, 0) + a.packed + bytes(len(a.packed))
    return tlv(16, value)


def message(mtype, seq, body, key=None, ts=None, version=1, magic=b"LBNP",
            length=None):
    """A datagram: header, body and, with a key, the trailer."""
    flags = AUTH if key is not None else 0
    hdr = magic + struct.pack("!BBHIHH", version, mtype, flags, seq,
                              len(body) if length is None else length, 0)
    msg = hdr + body
    if key is None:
        return msg
    if ts is None:
        ts = int(time.time() * 1000)
    msg += struct.pack("!Q", ts) + os.urandom(8)
    return msg + hmac.new(key, msg, hashlib.sha256).digest()


def decode(p, key):
    """What the page says a receiver makes of a datagram, or None."""
    if len(p) < 16 or p[:4] != b"LBNP" or p[4] != 1:
        return None
    mtype, flags, seq, blen = struct.unpack("!BHIH", p[5:14])
    signed = bool(flags & AUTH)
    if len(p) != 16 + blen + (48 if signed else 0):
        return None
    out = {"type": TYPES.get(mtype, mtype), "seq": seq, "signed": signed,
           "verified": None, "tlvs": {}}
    if signed and key is not None:
        mac = hmac.new(key, p[:-32], hashlib.sha256).digest()
        out["verified"] = hmac.compare_digest(mac, p[-32:])
        out["ts_ms"] = struct.unpack("!Q", p[16 + blen:24 + blen])[0]
    body = p[16:16 + blen]
    while body:
        t, n = struct.unpack("!HH", body[:4])
        v, body = body[4:4 + n], body[4 + n:]
        name, kind = TLVS.get(t, (str(t), "hex"))
        if kind == "int":
            v = int.from_bytes(v, "big")
        elif kind == "str":
            v = v.decode("utf-8", "replace")
        elif kind == "ip":
            v = str(ipaddress.ip_address(v))
        elif kind == "result":
            v = {"index": struct.unpack("!I", v[:4])[0], "status": v[4],
                 "reason": v[8:].decode("utf-8", "replace")}
        else:
            v = v.hex()
        if name in ("RESULT", "VIP"):
            out["tlvs"].setdefault(name, []).append(v)
        else:
            out["tlvs"][name] = v
    return out


def cases(key, args):
    """The datagrams of each case, by the page's words."""
    now = int(time.time() * 1000)
    seq = int.from_bytes(os.urandom(4), "big")
    q = message(QUERY, seq, b"", key)
    gen = int(args[0]) if args else 1
    config = b"".join([u64(12, gen)] + [vip(s) for s in args[1:]])
    return {
        # a query, signed when we have a key
        "query": [q],
        # the same datagram twice: the second is a replay
        "replay": [q, q],
        # "shorter than a header": empty, and 15 bytes
        "empty": [b""],
        "short": [message(QUERY, seq, b"")[:15]],
        "magic": [message(QUERY, seq, b"", key, magic=b"LBNQ")],
        "version": [message(QUERY, seq, b"", key, version=2)],
        # the header's length one more than the body
        "length": [message(QUERY, seq, b"", key, length=1)],
        # a TLV that runs past the end of the body
        "tlv-past-end": [message(QUERY, seq, struct.pack("!HH", 200, 9), key)],
        # a known TLV of the message type, out of its bounds
        "config-gen7": [message(CONFIG, seq, tlv(12, bytes(7)), key)],
        # a required TLV missing
        "config-no-gen": [message(CONFIG, seq, b"", key)],
        # types a node does not take, or that do not exist
        "report": [message(REPORT, seq, b"", key)],
        "type9": [message(9, seq, b"", key)],
        # TLVs of no concern to a QUERY, a WEIGHT of 3 bytes among them,
        # and an unknown one: skipped, the QUERY is answered
        "query-skip": [message(QUERY, seq, tlv(7, bytes(3)) +
                               tlv(999, b"later") + tlv(33, b"\0"), key)],
        # unsigned, whatever key we hold
        "unsigned": [message(QUERY, seq, b"")],
        # a MAC made with another key
        "badmac": [message(QUERY, seq, b"", b"another key, not the node's")],
        # timestamps 29 s and 31 s off the node's clock
        "fresh-29": [message(QUERY, seq, b"", key, ts=now - 29000)],
        "ahead-29": [message(QUERY, seq, b"", key, ts=now + 29000)],
        "stale-31": [message(QUERY, seq, b"", key, ts=now - 31000)],
        "stale-60": [message(QUERY, seq, b"", key, ts=now - 60000)],
        "ahead-31": [message(QUERY, seq, b"", key, ts=now + 31000)],
        # CONFIG GENERATION VIP-SPEC...
        "config": [message(CONFIG, seq, config, key)],
        # the same CONFIG twice in a row: the second comes while the
        # first is being applied
        "config-twice": [message(CONFIG, seq, config, key),
                         message(CONFIG, seq + 1, config, key)],
    }


def send(opts, key):
    family = socket.AF_INET6 if ":" in opts.node else socket.AF_INET
    socks = []
    # --ports N: the case N times, each from a port of its own
    for _ in range(opts.ports):
        s = socket.socket(family, socket.SOCK_DGRAM)
        s.bind((opts.src or "", 0))
        socks.append(s)
    sent = set()
    start = time.monotonic()
    for s in socks:
        for d in cases(key, opts.args)[opts.case]:
            s.sendto(d, (opts.node, opts.port))
            sent.add(d[8:12])
    # how long sending took, for a bound that depends on it
    print(json.dumps({"sent_in_ms": int((time.monotonic() - start) * 1000)}),
          file=sys.stderr)
    end = time.monotonic() + opts.timeout
    while True:
        left = end - time.monotonic()
        if left <= 0:
            break
        ready, _, _ = select.select(socks, [], [], left)
        for s in ready:
            p, (addr, sport) = s.recvfrom(65536)[:2]
            d = decode(p, key)
            if d is None:
                d = {"undecodable": p.hex()}
            d["from"], d["sport"] = addr, sport
            # "the REPORT echoes its QUERY's sequence"
            d["echoes_seq"] = p[8:12] in sent
            print(json.dumps(d), flush=True)


def listen(opts, key):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("", opts.port))
    end = time.monotonic() + float(opts.seconds)
    while time.monotonic() < end:
        ready, _, _ = select.select([s], [], [], end - time.monotonic())
        if not ready:
            continue
        p, (addr, sport) = s.recvfrom(65536)
        d = decode(p, key)
        if d is not None and d["type"] == "announce":
            d["from"], d["sport"], d["at"] = addr, sport, time.time()
            print(json.dumps(d), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-k", dest="keyfile")
    ap.add_argument("-s", dest="src")
    ap.add_argument("-p", dest="port", type=int, default=PORT)
    ap.add_argument("-t", dest="timeout", type=float, default=1.0)
    ap.add_argument("--ports", type=int, default=1)
    sub = ap.add_subparsers(dest="cmd", required=True)
    sp = sub.add_parser("send")
    sp.add_argument("node")
    sp.add_argument("case")
    sp.add_argument("args", nargs="*")
    lp = sub.add_parser("listen")
    lp.add_argument("seconds")
    np = sub.add_parser("node-id")
    np.add_argument("machine_id_file")
    np.add_argument("hostname")
    opts = ap.parse_args()
    key = None
    if opts.keyfile:
        key = bytes.fromhex(open(opts.keyfile).read().strip())
    if opts.cmd == "send":
        send(opts, key)
    elif opts.cmd == "listen":
        listen(opts, key)
    else:
        try:
            text = open(opts.machine_id_file).read()
        except OSError:
            text = ""
        print(node_id(text, opts.hostname))


if __name__ == "__main__":
    sys.exit(main())
