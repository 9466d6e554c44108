# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The lbnoded authors
# The DR lab's service and its client, for tests/integ/nspawn.sh.
#   conn.py serve PORT
#	answers "ok" to every TCP connection on PORT, on every address
#   conn.py count OUT ADDR:PORT...
#	opens one connection after another to each ADDR:PORT in turn and
#	reads the answer, until SIGTERM; a connection that is not answered
#	within 0.9 s (before TCP would retransmit a lost SYN) is a failure.
#	OUT gets "ok N fail N" after each connection and the time of each
#	failure, so a reader can see the count grow.
import os
import signal
import socket
import socketserver
import sys
import time

TIMEOUT = 0.9
PACE = 0.01		# about 100 connections a second, whatever the machine


class Answer(socketserver.BaseRequestHandler):
    def handle(self):
        self.request.sendall(b"ok\n")


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def serve(port):
    with Server(("0.0.0.0", port), Answer) as srv:
        srv.serve_forever()


def one(addr, port):
    try:
        with socket.create_connection((addr, port), timeout=TIMEOUT) as s:
            return s.recv(16) == b"ok\n"
    except OSError:
        return False


def count(out, targets):
    running = [True]
    signal.signal(signal.SIGTERM, lambda *a: running.__setitem__(0, False))
    ok = fail = 0
    failures = []
    while running[0]:
        for t in targets:
            addr, port = t.rsplit(":", 1)
            if one(addr, int(port)):
                ok += 1
            else:
                fail += 1
                failures.append("%.3f %s" % (time.time(), t))
            with open(out + ".tmp", "w") as f:
                f.write("ok %d fail %d\n" % (ok, fail))
                f.writelines(x + "\n" for x in failures)
            os.replace(out + ".tmp", out)
            time.sleep(PACE)


if sys.argv[1] == "serve":
    serve(int(sys.argv[2]))
else:
    count(sys.argv[2], sys.argv[3:])
