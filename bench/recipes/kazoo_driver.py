"""The kazoo side of the recipe benchmark (bench/recipes/contract.ts): one process per contender
(the GIL would serialize contenders in threads), run by /usr/bin/python3 with Debian's kazoo 2.8.
`kazoo_driver.py '<DriverConfig JSON>'`, or `kazoo_driver.py clock` for the clock check."""

import json
import sys
import threading
import time

from kazoo.client import KazooClient
from kazoo.exceptions import BadVersionError

SESSION_TIMEOUT_S = 10.0


def main():
    if sys.argv[1] == "clock":
        print(time.monotonic_ns(), flush=True)
        return
    config = json.loads(sys.argv[1])
    base = int(config["baseNs"])

    def now():
        return time.monotonic_ns() - base

    def connect():
        client = KazooClient(hosts=config["connectString"], timeout=SESSION_TIMEOUT_S)
        client.start(timeout=20)
        return client

    clients = [connect() for _ in range(config["contenders"])]
    rtt = []
    for _ in range(config["rttSamples"]):
        start = now()
        clients[0].get(config["counterPath"])
        rtt.append(now() - start)
    out = {"rttNs": rtt, "cpuNs": 0}
    workload = config["workload"]
    if workload == "lock":
        out.update(grants=[], overlaps=0)
    elif workload.startswith("election"):
        out.update(elected=[], resigned=[])
    elif workload == "counter":
        out.update(increments=[0] * len(clients), retries=[0] * len(clients))
    elif workload == "queue":
        out.update(produced={}, consumed=[])
    print("READY", flush=True)
    line = sys.stdin.readline()
    assert line.startswith("GO "), line
    end = int(line[3:]) - base
    cpu_before = time.process_time_ns()
    lock = threading.Lock()  # guards `out` across this process's threads

    def lock_loop(client, index, slot):
        recipe = client.Lock(config["path"], "contender-%d" % index)
        while now() < end:
            recipe.acquire()
            grant = now()
            data, stat = client.get(config["counterPath"])
            try:
                client.set(config["counterPath"], str(int(data) + 1).encode(), version=stat.version)
            except BadVersionError:
                with lock:
                    out["overlaps"] += 1
            release = now()
            recipe.release()
            with lock:
                out["grants"].append([grant, release])
        return client

    def election_loop(client, index, slot):
        closing = workload == "election-close"
        current = {"election": None}
        stop = threading.Timer(max(0, (end - now()) / 1e9), lambda: current["election"] and current["election"].cancel())
        stop.start()

        def lead(c):
            with lock:
                out["elected"].append(now())
            time.sleep(config["holdMs"] / 1000.0)
            with lock:
                out["resigned"].append(now())
            if closing:
                c.stop()
                c.close()
            current["led"] = True

        while now() < end:
            current["led"] = False
            current["election"] = client.Election(config["path"], "candidate-%d" % index)
            try:
                current["election"].run(lead, client)
            except Exception:
                if not closing:
                    raise
            if not current["led"]:
                break
            if closing:
                client = connect()
        stop.cancel()
        return client

    def counter_loop(client, index, slot):
        counter = client.Counter(config["path"])
        plain_set = client.set

        def counting_set(*args, **kwargs):
            try:
                return plain_set(*args, **kwargs)
            except BadVersionError:
                out["retries"][slot] += 1
                raise

        client.set = counting_set
        while now() < end:
            counter += 1
            out["increments"][slot] += 1
        return client

    def queue_loop(client, index, slot):
        queue = client.LockingQueue(config["path"])
        if index < config["total"] // 2:
            n = 0
            while now() < end:
                queue.put(("%d-%d" % (index, n)).encode())
                n += 1
                out["produced"][str(index)] = n
            return client
        while True:
            left = (end - now()) / 1e9
            if left <= 0:
                return client
            value = queue.get(left)
            if value is None:
                return client
            if not queue.consume():
                raise RuntimeError("consumer %d lost its entry" % index)
            with lock:
                out["consumed"].append(value.decode())

    loop = {"lock": lock_loop, "election-resign": election_loop, "election-close": election_loop,
            "counter": counter_loop, "queue": queue_loop}[workload]
    errors = []

    def run(slot):
        try:
            clients[slot] = loop(clients[slot], config["firstIndex"] + slot, slot)
        except Exception as error:  # reported below, so the runner sees the failure
            errors.append(repr(error))

    threads = [threading.Thread(target=run, args=(slot,)) for slot in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    out["cpuNs"] = time.process_time_ns() - cpu_before
    for client in clients:
        try:
            client.stop()
            client.close()
        except Exception:
            pass
    if errors:
        print("kazoo driver: " + "; ".join(errors), file=sys.stderr, flush=True)
        sys.exit(1)
    print("RESULT " + json.dumps(out), flush=True)


main()
