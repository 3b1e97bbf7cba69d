#!/usr/bin/python3
"""A kazoo contender of the chaos tests (spec/recipes/chaos/), run by kazoo-contender.ts.

It loops: take kazoo's Lock (or Semaphore, ReadLock, WriteLock), do the critical section the zookit contenders do
(critical-section.ts describes it; the two must stay alike), release. Every outcome is one JSON
line on stdout. It stops after --quota grants or on a "stop" line (or EOF) on stdin; then it
prints {"event": "stopped"} with its client still connected (so the harness can look for left-over
contender nodes) and closes the client on EOF.

Run it with Debian's /usr/bin/python3 (python3-kazoo 2.8.0); the python3 first on PATH may lack kazoo.
"""

import argparse
import json
import os
import random
import sys
import threading
import time

from kazoo.client import KazooClient
from kazoo.exceptions import (
    BadVersionError,
    CancelledError,
    KazooException,
    NoNodeError,
)
from kazoo.protocol.states import KazooState

_print_lock = threading.Lock()


def emit(event, **fields):
    fields["event"] = event
    line = json.dumps(fields)
    with _print_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


class Contender(object):
    def __init__(self, args):
        self.args = args
        self.stopping = threading.Event()
        self.lost = False
        self.grants = 0
        self.client = KazooClient(
            hosts=args.hosts,
            timeout=args.session_timeout_ms / 1000.0,
            connection_retry=dict(max_tries=-1, delay=0.1, max_delay=0.5),
            command_retry=dict(max_tries=-1, delay=0.1, max_delay=0.5, deadline=30),
        )
        self.client.add_listener(self._on_state)
        if args.mode == "lock":
            self.guard = self.client.Lock(args.path, args.name)
        elif args.mode == "read":
            self.guard = self.client.ReadLock(args.path, args.name)
        elif args.mode == "write":
            self.guard = self.client.WriteLock(args.path, args.name)
        else:
            self.guard = self.client.Semaphore(args.path, args.name, max_leases=args.max_leases)

    # kazoo calls listeners on its connection thread: only flags and prints here.
    def _on_state(self, state):
        if state == KazooState.LOST:
            self.lost = True
            emit("state", state="LOST")
        elif state == KazooState.CONNECTED:
            session_id, passwd = self.client.client_id
            emit("session", id="%x" % session_id, passwd=passwd.hex())
        else:
            emit("state", state="SUSPENDED")

    def guard_node(self):
        """The full path of what we hold: the lock's contender node or the semaphore's lease."""
        if self.args.mode != "semaphore":
            return None if self.guard.node is None else self.args.path + "/" + self.guard.node
        return self.guard.create_path

    def run(self):
        self.client.start(timeout=15)
        iteration = 0
        while self.grants < self.args.quota and not self.stopping.is_set():
            try:
                got = self.guard.acquire()
            except CancelledError:
                break
            except KazooException as e:
                emit("error", stage="acquire", error=type(e).__name__)
                time.sleep(0.1)
                continue
            if not got:
                continue
            self.grants += 1
            iteration += 1
            self.lost = False
            token = "%s-%05d" % (self.args.name, iteration)
            emit("grant", token=token)
            try:
                if self.args.mode == "lock":
                    self.lock_section(token)
                else:
                    self.ledger_section(token)
            finally:
                self.release()
        emit("stopped", grants=self.grants)

    def release(self):
        for _ in range(100):
            try:
                self.guard.release()
                emit("released")
                return
            except KazooException as e:
                emit("error", stage="release", error=type(e).__name__)
                time.sleep(0.1)

    def hold(self):
        time.sleep(random.uniform(self.args.hold_min_ms, self.args.hold_max_ms) / 1000.0)

    def outcome(self, token, outcome, **fields):
        emit("outcome", token=token, outcome=outcome, **fields)

    def commit(self, txn):
        """(results, None) or (None, error name) when the outcome is unknown."""
        try:
            return txn.commit(), None
        except KazooException as e:
            return None, type(e).__name__

    def lock_section(self, token):
        node = self.guard_node()
        a = self.args
        try:
            data, stat = self.client.get(a.counter)
        except KazooException as e:
            self.outcome(token, "aborted", error=type(e).__name__)
            return
        self.hold()
        txn = self.client.transaction()
        txn.check(node, -1)
        txn.set_data(a.counter, str(int(data) + 1).encode(), stat.version)
        txn.create(a.commits + "/" + token)
        results, error = self.commit(txn)
        if results is None:
            self.outcome(token, "ambiguous", error=error)
        elif isinstance(results[0], NoNodeError):
            self.outcome(token, "fenced", lost=self.lost)
        elif isinstance(results[1], BadVersionError):
            self.outcome(token, "overlap", read=stat.version)
        elif any(isinstance(r, Exception) for r in results):
            self.outcome(token, "failed", error=[type(r).__name__ for r in results])
        else:
            self.outcome(token, "committed")

    # The semaphore's and the read/write lock's critical section: enter the ledger, hold, leave it
    # (critical-section.ts). Read/write entries carry their side.
    def ledger_section(self, token):
        node = self.guard_node()
        try:
            own = self.client.exists(node)
        except KazooException as e:
            self.outcome(token, "aborted", error=type(e).__name__)
            return
        if own is None:
            self.outcome(token, "fenced", lost=self.lost)
            return
        me = {"node": node, "czxid": str(own.czxid)}
        if self.args.mode in ("read", "write"):
            me["mode"] = self.args.mode
        entered = self.ledger_enter(token, me)
        if not entered:
            return
        self.hold()
        self.ledger_leave(token, me)

    def live(self, entries):
        kept = []
        for entry in entries:
            stat = self.client.exists(entry["node"])
            if stat is not None and str(stat.czxid) == entry["czxid"]:
                kept.append(entry)
        return kept

    def ledger_enter(self, token, me):
        a = self.args
        while True:
            try:
                data, stat = self.client.get(a.ledger)
                ledger = json.loads(data.decode())
                others = self.live([e for e in ledger["inside"] if e != me])
            except KazooException as e:
                self.outcome(token, "aborted", error=type(e).__name__)
                return False
            value = {"entries": ledger["entries"] + 1, "inside": others + [me]}
            txn = self.client.transaction()
            txn.check(me["node"], -1)
            txn.set_data(a.ledger, json.dumps(value).encode(), stat.version)
            txn.create(a.commits + "/" + token)
            results, error = self.commit(txn)
            if results is None:
                self.outcome(token, "ambiguous", error=error)
                return False
            if isinstance(results[0], NoNodeError):
                self.outcome(token, "fenced", lost=self.lost)
                return False
            if isinstance(results[1], BadVersionError):
                emit("contention", token=token)
                continue
            if any(isinstance(r, Exception) for r in results):
                self.outcome(token, "failed", error=[type(r).__name__ for r in results])
                return False
            if self.conflict(others, me):
                self.outcome(token, "overlap", inside=[e["node"] for e in others])
            else:
                self.outcome(token, "committed")
            return True

    def conflict(self, others, me):
        """Whether entering beside these live holders is an overlap (critical-section.ts)."""
        if self.args.mode == "write":
            return len(others) > 0
        if self.args.mode == "read":
            return any(e.get("mode") == "write" for e in others)
        return len(others) >= self.args.max_leases

    def ledger_leave(self, token, me):
        a = self.args
        for _ in range(200):
            try:
                data, stat = self.client.get(a.ledger)
                ledger = json.loads(data.decode())
                if me not in ledger["inside"]:
                    return
                value = {"entries": ledger["entries"], "inside": [e for e in ledger["inside"] if e != me]}
                txn = self.client.transaction()
                txn.check(me["node"], -1)
                txn.set_data(a.ledger, json.dumps(value).encode(), stat.version)
                results = txn.commit()
            except KazooException:
                time.sleep(0.1)
                continue
            if isinstance(results[0], NoNodeError):
                emit("left", token=token, fenced=True)  # the next entrant prunes our entry
                return
            if not any(isinstance(r, Exception) for r in results):
                return

    def stop(self):
        self.stopping.set()
        self.guard.cancel()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--hosts", required=True)
    parser.add_argument("--mode", choices=["lock", "semaphore", "read", "write"], required=True)
    parser.add_argument("--name", required=True)
    parser.add_argument("--path", required=True)
    parser.add_argument("--counter")
    parser.add_argument("--ledger")
    parser.add_argument("--commits", required=True)
    parser.add_argument("--quota", type=int, required=True)
    parser.add_argument("--max-leases", type=int, default=2)
    parser.add_argument("--session-timeout-ms", type=int, default=4000)
    parser.add_argument("--hold-min-ms", type=float, default=2)
    parser.add_argument("--hold-max-ms", type=float, default=8)
    args = parser.parse_args()

    contender = Contender(args)
    eof = threading.Event()

    def read_stdin():
        for line in sys.stdin:
            if line.strip() == "stop":
                contender.stop()
        contender.stop()
        eof.set()

    threading.Thread(target=read_stdin, daemon=True).start()
    try:
        contender.run()
    except Exception as e:  # anything unexpected is reported, never a silent hang
        emit("crashed", error="%s: %s" % (type(e).__name__, e))
    eof.wait()
    try:
        contender.client.stop()
        contender.client.close()
    finally:
        os._exit(0)


if __name__ == "__main__":
    main()
