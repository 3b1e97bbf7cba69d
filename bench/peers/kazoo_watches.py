"""kazoo's row of the watch figure (bench/driver.ts `watchFigure`), run by bench/run.ts through
/usr/bin/python3 with Debian's python3-kazoo 2.8.0.

It does what the Node children do, the kazoo way: sets N watches pipelined with `exists_async`
(missing nodes) or `get_async` (existing nodes), about 1,000 outstanding, one shared watch
function; measures the resident memory they add after `gc.collect()`, at once and again after
the same idle as driver.ts (HOLD_IDLE_MS); then cuts the connection
from the server side the way driver.ts does (a second ConnectRequest naming the session with a
zero password: the server closes the session's connection and keeps the session) and times the
reconnect. kazoo 2.8.0 sends no SetWatches after a reconnect (kazoo/protocol/connection.py
`_connect`), so the server holds none of the watches afterwards and the figure reports that.

Argument: one JSON object {"connectString", "count", "kind": "exists" | "data", "deadlineMs",
"pathPrefix", "holdIdleMs", "idleProbeMs"}. Output: one line `BENCH-RESULT <json>` (the WatchFigure fields) or
`BENCH-ERROR <message>`.
"""

import gc
import json
import logging
import os
import socket
import struct
import sys
import threading
import time

from kazoo.client import KazooClient
from kazoo.protocol.states import KazooState

RESULT_PREFIX = 'BENCH-RESULT '
ERROR_PREFIX = 'BENCH-ERROR '
OUTSTANDING = 1000
SESSION_TIMEOUT_S = 30.0
MB = 1e6
PAGE = os.sysconf('SC_PAGE_SIZE')


def rss_bytes():
    """Resident set size of this process now (/proc/self/statm, second field, in pages)."""
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * PAGE


def four_letter_word(host, port, word):
    with socket.create_connection((host, port), timeout=10) as s:
        s.sendall(word.encode())
        chunks = []
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    return b''.join(chunks).decode()


def server_watches(host, port):
    text = four_letter_word(host, port, 'wchs')
    for line in text.splitlines():
        if line.startswith('Total watches:'):
            return int(line.split(':')[1])
    return float('nan')


def cut_connection(host, port, session_id):
    """Sends a ConnectRequest for `session_id` with a zero password and waits for the close.

    ConnectRequest (jute): int protocolVersion, long lastZxidSeen, int timeOut, long sessionId,
    buffer passwd, bool readOnly; the frame is length-prefixed. The server answers "expired"
    (session id 0) to a wrong password and closes that connection after closing the session's.
    """
    body = struct.pack('>iqiqi16s?', 0, 0, 30000, session_id, 16, b'\0' * 16, False)
    with socket.create_connection((host, port), timeout=60) as s:
        s.sendall(struct.pack('>i', len(body)) + body)
        reply = b''
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            reply += chunk
    # int length, int protocolVersion, int timeOut, long sessionId, ...
    if len(reply) >= 20 and struct.unpack('>q', reply[12:20])[0] != 0:
        raise RuntimeError('the server accepted a zero password: the connection was not cut')


def idle(zk, spec):
    """The Node drivers' idle (driver.ts `idle`): a sync every idleProbeMs for holdIdleMs."""
    end = time.monotonic() + spec['holdIdleMs'] / 1000
    while time.monotonic() < end:
        zk.sync('/')
        time.sleep(spec['idleProbeMs'] / 1000)


def ignore_event(event):
    pass


def pipelined(count, call):
    """Runs call(i) for i in range(count) with OUTSTANDING in flight; raises the first failure."""
    slots = threading.BoundedSemaphore(OUTSTANDING)
    errors = []

    def finished(result):
        if result.exception is not None and not errors:
            errors.append(result.exception)
        slots.release()

    for i in range(count):
        slots.acquire()
        if errors:
            break
        call(i).rawlink(finished)
    for _ in range(OUTSTANDING):
        slots.acquire()
    if errors:
        raise errors[0]


def main():
    status = 0
    spec = json.loads(sys.argv[1])
    host, port_text = spec['connectString'].split(':')
    port = int(port_text)
    count = spec['count']
    prefix = spec['pathPrefix']
    deadline_s = spec['deadlineMs'] / 1000
    logging.basicConfig(level=logging.CRITICAL)

    zk = KazooClient(hosts=spec['connectString'], timeout=SESSION_TIMEOUT_S)
    zk.start(timeout=20)
    try:
        baseline = server_watches(host, port)
        # Settled the same way as the held figure below, as driver.ts does.
        idle(zk, spec)
        gc.collect()
        before = rss_bytes()
        # Each path is built as its call is issued, as the Node drivers do: the client keeps that
        # string as its key, so its bytes count for every client alike.
        if spec['kind'] == 'data':
            call = lambda i: zk.get_async(f'{prefix}{i}', watch=ignore_event)  # noqa: E731
        else:
            call = lambda i: zk.exists_async(f'{prefix}{i}', watch=ignore_event)  # noqa: E731
        t0 = time.monotonic()
        pipelined(count, call)
        register_ms = (time.monotonic() - t0) * 1000
        gc.collect()
        after = rss_bytes()
        watches_after_register = server_watches(host, port) - baseline
        idle(zk, spec)
        gc.collect()
        held = rss_bytes()

        reconnected = threading.Event()
        lost = threading.Event()

        def on_state(state):
            if state != KazooState.CONNECTED:
                lost.set()
            elif lost.is_set():
                reconnected.set()

        zk.add_listener(on_state)
        cut_at = time.monotonic()
        cut_connection(host, port, zk.client_id[0])
        reregister_ms = None
        failure = None
        watches_now = 0
        if not reconnected.wait(max(0.0, cut_at + deadline_s - time.monotonic())):
            failure = f'no reconnect within {spec["deadlineMs"]:,} ms'
        else:
            while True:
                zk.sync('/')
                at = time.monotonic()
                watches_now = server_watches(host, port) - baseline
                if watches_now >= count:
                    reregister_ms = (at - cut_at) * 1000
                    break
                if time.monotonic() > cut_at + deadline_s:
                    failure = (
                        f'{watches_now:,} of {count:,} watches back after {spec["deadlineMs"]:,} ms '
                        '(kazoo 2.8.0 sends no SetWatches on reconnect)'
                    )
                    break
                time.sleep(0.02)
        figure = {
            'watches': count,
            'registerMs': register_ms,
            'addedRssMb': (after - before) / MB,
            'addedHeapMb': None,
            'heldRssMb': (held - before) / MB,
            'heldHeapMb': None,
            'serverWatchesAfterRegister': watches_after_register,
            'reregisterMs': reregister_ms,
            'serverWatchesAfterReconnect': watches_now,
            'longestStallMs': None,
        }
        if failure is not None:
            figure['reregisterFailure'] = failure
        print(RESULT_PREFIX + json.dumps(figure), flush=True)
    except Exception as error:  # noqa: BLE001 - every failure becomes the one answer line
        print(ERROR_PREFIX + (str(error) or type(error).__name__), flush=True)
        status = 1
    finally:
        try:
            zk.stop()
            zk.close()
        except Exception:  # noqa: BLE001
            pass
    return status


if __name__ == '__main__':
    sys.exit(main())
