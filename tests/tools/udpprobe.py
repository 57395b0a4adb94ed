#!/usr/bin/env python3
"""udpprobe.py - the two ends of a UDP link, for testing tools/faultproxy.

  udpprobe.py echo PORT
      Echoes every datagram back to its sender on 127.0.0.1:PORT, until
      killed.  Prints "ready" once bound.

  udpprobe.py send PORT [-n N] [--clients K] [--gap-us US] [--quiet-ms MS]
      Sends N numbered, checksummed datagrams to 127.0.0.1:PORT, spread
      round-robin over K sockets (K client source addresses), waits until
      no reply came for MS milliseconds, and prints what came back as
      shell-readable key=value lines:
        sent received unique dups corrupt misrouted reordered
        rtt_min_ms rtt_max_ms
      `reordered` counts replies that arrived after a higher-numbered one
      of the same socket; `misrouted` replies that reached another socket
      than the one that sent them; `corrupt` replies whose checksum fails.
"""
import argparse
import select
import socket
import struct
import sys
import time
import zlib

HEAD = struct.Struct("!IIQ")   # socket id, sequence, send time (ns)
FILL = bytes(range(32))


def echo(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    s.bind(("127.0.0.1", port))
    print("ready", flush=True)
    while True:
        data, addr = s.recvfrom(65536)
        s.sendto(data, addr)


def make(sid, seq):
    body = HEAD.pack(sid, seq, time.monotonic_ns()) + FILL
    return body + struct.pack("!I", zlib.crc32(body))


def parse(data):
    if len(data) != HEAD.size + len(FILL) + 4:
        return None
    body, crc = data[:-4], struct.unpack("!I", data[-4:])[0]
    if zlib.crc32(body) != crc:
        return None
    return HEAD.unpack(body[:HEAD.size])


def send(args):
    socks = []
    for _ in range(args.clients):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        s.bind(("127.0.0.1", 0))
        s.setblocking(False)
        socks.append(s)
    dest = ("127.0.0.1", args.port)
    got = {}            # (sid, seq) -> count
    top = [-1] * len(socks)
    res = dict(sent=0, received=0, unique=0, dups=0, corrupt=0, misrouted=0, reordered=0)
    rtts = []

    def drain(timeout):
        r, _, _ = select.select(socks, [], [], timeout)
        for i in range(len(socks)):
            if socks[i] not in r:
                continue
            while True:
                try:
                    data = socks[i].recv(65536)
                except BlockingIOError:
                    break
                res["received"] += 1
                h = parse(data)
                if h is None:
                    res["corrupt"] += 1
                    continue
                sid, seq, t0 = h
                if sid != i:
                    res["misrouted"] += 1
                    continue
                key = (sid, seq)
                if key in got:
                    res["dups"] += 1
                    got[key] += 1
                    continue
                got[key] = 1
                res["unique"] += 1
                rtts.append((time.monotonic_ns() - t0) / 1e6)
                if seq < top[sid]:
                    res["reordered"] += 1
                top[sid] = max(top[sid], seq)
        return bool(r)

    gap = args.gap_us / 1e6
    for n in range(args.n):
        sid = n % len(socks)
        socks[sid].sendto(make(sid, n), dest)
        res["sent"] += 1
        drain(0)
        if gap:
            time.sleep(gap)
    quiet = args.quiet_ms / 1000
    last = time.monotonic()
    while time.monotonic() - last < quiet:
        if drain(0.05):
            last = time.monotonic()
    res["rtt_min_ms"] = int(min(rtts)) if rtts else -1
    res["rtt_max_ms"] = int(max(rtts)) if rtts else -1
    for k, v in res.items():
        print("%s=%d" % (k, v))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("echo")
    e.add_argument("port", type=int)
    s = sub.add_parser("send")
    s.add_argument("port", type=int)
    s.add_argument("-n", type=int, default=1000)
    s.add_argument("--clients", type=int, default=1)
    s.add_argument("--gap-us", type=int, default=200)
    s.add_argument("--quiet-ms", type=int, default=500)
    a = ap.parse_args()
    if a.cmd == "echo":
        echo(a.port)
    else:
        send(a)


if __name__ == "__main__":
    sys.exit(main())
