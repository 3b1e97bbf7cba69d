"""A kazoo client driven over stdin/stdout, so jest specs can run kazoo's recipes beside zookit's.

Run with Debian's interpreter (scripts/ensure-kazoo.sh installs python3-kazoo there):

    /usr/bin/python3 spec/peers/kazoo_driver.py HOSTS

It connects one KazooClient to HOSTS and prints {"event": "ready", "session_id": "0x..."}. Then
each stdin line is one JSON command, {"id": n, "cmd": "...", ...arguments}, answered by one line
{"id": n, "ok": true, "result": ...} or {"id": n, "ok": false, "error": "<exception class>",
"message": "..."}. Commands run on threads of their own, so a blocking acquire leaves the driver
free to answer the next command; "new" and "construct" run in order, before any command that names
their recipe; "construct" and "call" reach any recipe kazoo binds on its client (Counter, Queue,
Party, ...) without a command of its own.
Lines with "event" instead of "id" are pushed unasked: "state" (kazoo's session states),
"acquired" (an acquire returned True), "elected" and "resigned" (an election's leader function
started and ended).

It exits, closing its session, on "stop", at the end of stdin, or when its parent process is gone,
so a killed jest leaves no python process behind.
"""

import base64
import datetime
import json
import logging
import operator
import os
import sys
import threading

from kazoo.client import KazooClient
from kazoo.recipe.lease import MultiNonBlockingLease, NonBlockingLease

_output_lock = threading.Lock()
_recipes = {}
_leaders = {}  # election name -> Event set by "resign"
zk = None


def emit(message):
    line = json.dumps(message)
    with _output_lock:
        try:
            sys.stdout.write(line + "\n")
            sys.stdout.flush()
        except OSError:  # the reader is gone (a killed parent): shut_down follows
            pass


def on_state(state):
    emit({"event": "state", "state": str(state)})


# Commands: each takes the command's arguments and returns its JSON result.


def cmd_session(args):
    return {"session_id": hex(zk.client_id[0]), "state": str(zk.state)}


def cmd_new(args):
    """A recipe object kept under args["name"]: Lock, ReadLock, WriteLock, Semaphore, Election."""
    kind, path, identifier = args["recipe"], args["path"], args.get("identifier")
    if kind == "Semaphore":
        recipe = zk.Semaphore(path, identifier, max_leases=args.get("max_leases", 1))
    elif kind in ("Lock", "ReadLock", "WriteLock", "Election"):
        recipe = getattr(zk, kind)(path, identifier)
    else:
        raise ValueError("unknown recipe %r" % kind)
    _recipes[args["name"]] = recipe
    return True


def cmd_acquire(args):
    """Lock or Semaphore acquire; timeout in seconds (None waits for ever)."""
    got = _recipes[args["name"]].acquire(blocking=args.get("blocking", True), timeout=args.get("timeout"))
    if got:
        emit({"event": "acquired", "name": args["name"]})
    return got


def cmd_release(args):
    return _recipes[args["name"]].release()


def cmd_cancel(args):
    _recipes[args["name"]].cancel()
    return True


def cmd_is_acquired(args):
    return _recipes[args["name"]].is_acquired


def cmd_contenders(args):
    return _recipes[args["name"]].contenders()


def cmd_lease_holders(args):
    return _recipes[args["name"]].lease_holders()


def cmd_run(args):
    """Starts Election.run on a thread; the leader function holds leadership until "resign"."""
    name = args["name"]
    resign = _leaders[name] = threading.Event()

    def lead():
        emit({"event": "elected", "name": name})
        resign.wait()

    def run():
        _recipes[name].run(lead)
        emit({"event": "resigned", "name": name})

    threading.Thread(target=run, daemon=True).start()
    return True


def cmd_resign(args):
    _leaders[args["name"]].set()
    return True


def lease_clock(args):
    """kazoo's utcnow, shifted by args["clock_offset"] seconds (a client whose clock runs ahead)."""
    offset = datetime.timedelta(seconds=args.get("clock_offset", 0))
    return lambda: datetime.datetime.utcnow() + offset


def cmd_lease(args):
    """NonBlockingLease; duration in seconds. Returns whether it was obtained."""
    duration = datetime.timedelta(seconds=args["duration"])
    lease = NonBlockingLease(zk, args["path"], duration, identifier=args.get("identifier"), utcnow=lease_clock(args))
    return lease.obtained


def cmd_multi_lease(args):
    duration = datetime.timedelta(seconds=args["duration"])
    lease = MultiNonBlockingLease(
        zk, args["count"], args["path"], duration, identifier=args.get("identifier"), utcnow=lease_clock(args)
    )
    return lease.obtained


def cmd_get(args):
    """Data as UTF-8 text and the stat fields the specs look at; None when the node is missing."""
    found = zk.exists(args["path"])
    if found is None:
        return None
    data, stat = zk.get(args["path"])
    return {"data": data.decode("utf-8"), "version": stat.version, "ephemeral_owner": hex(stat.ephemeralOwner)}


def cmd_children(args):
    return sorted(zk.get_children(args["path"]))


def cmd_exists(args):
    return zk.exists(args["path"]) is not None


def jsonable(value):
    """A result as JSON: bytes as {"bytes": base64}, sequences and sets as lists, the rest as str."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, bytes):
        return {"bytes": base64.b64encode(value).decode("ascii")}
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [jsonable(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, (set, frozenset)) else items
    return str(value)


def from_json(value):
    """An argument from JSON: {"bytes": base64} as bytes, inside lists and dicts too."""
    if isinstance(value, dict):
        if set(value) == {"bytes"}:
            return base64.b64decode(value["bytes"])
        return {k: from_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_json(v) for v in value]
    return value


def cmd_construct(args):
    """Any recipe the client binds, kept under args["name"]: zk.<recipe>(*args, **kwargs)."""
    make = getattr(zk, args["recipe"])
    _recipes[args["name"]] = make(*from_json(args.get("args", [])), **from_json(args.get("kwargs", {})))
    return True


def cmd_call(args):
    """A method of a recipe kept by construct (or new), or an attribute when it is not callable.

    An iterator's items are collected into a list; results go through jsonable. "__iadd__" and
    "__isub__" run Python's += and -= (Counter defines only + and -) and keep the result.
    """
    recipe = _recipes[args["name"]]
    if args["method"] in ("__iadd__", "__isub__"):
        apply = operator.iadd if args["method"] == "__iadd__" else operator.isub
        _recipes[args["name"]] = apply(recipe, *from_json(args.get("args", [])))
        return True
    member = getattr(recipe, args["method"])
    if callable(member):
        result = member(*from_json(args.get("args", [])), **from_json(args.get("kwargs", {})))
    else:
        result = member
    if hasattr(result, "__next__"):
        result = list(result)
    return jsonable(result)


COMMANDS = {name[len("cmd_"):]: fn for name, fn in list(globals().items()) if name.startswith("cmd_")}


def execute(request):
    try:
        result = COMMANDS[request["cmd"]](request)
        emit({"id": request["id"], "ok": True, "result": result})
    except Exception as error:  # reported to the caller, whose promise rejects with it
        emit({"id": request["id"], "ok": False, "error": type(error).__name__, "message": str(error)})


def shut_down(code):
    """Closes the session (so its ephemeral nodes go at once), within 5 s, then exits."""
    closer = threading.Thread(target=lambda: (zk.stop(), zk.close()), daemon=True)
    closer.start()
    closer.join(5)
    os._exit(code)


def watch_parent(parent):
    """Exits when the parent process is gone even if stdin stays open (a grandchild holding it)."""
    while os.getppid() == parent:
        threading.Event().wait(0.5)
    shut_down(0)


def main():
    global zk
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    threading.Thread(target=watch_parent, args=(os.getppid(),), daemon=True).start()
    zk = KazooClient(hosts=sys.argv[1], timeout=float(os.environ.get("KAZOO_SESSION_TIMEOUT", "10")))
    zk.add_listener(on_state)
    zk.start(timeout=15)
    emit({"event": "ready", "session_id": hex(zk.client_id[0])})
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        if request["cmd"] == "stop":
            emit({"id": request["id"], "ok": True, "result": True})
            shut_down(0)
        elif request["cmd"] in ("new", "construct"):
            execute(request)
        else:
            threading.Thread(target=execute, args=(request,), daemon=True).start()
    shut_down(0)


if __name__ == "__main__":
    main()
