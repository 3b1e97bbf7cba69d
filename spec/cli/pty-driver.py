# Runs a command in a pseudo-terminal and plays a script against it, for the interactive shell's
# spec (spec/cli/shell.spec.ts): the shell sees a real terminal (readline's raw mode, Tab, arrow
# keys, Ctrl-C), which a pipe cannot give it. No dependency beyond the standard library's pty.
#
#   python3 pty-driver.py SCRIPT_JSON -- COMMAND ARGS...
#
# SCRIPT_JSON is a list of steps: {"expect": REGEX} waits (up to "timeout" s, default 20) until
# the output since the previous expect matches; {"send": TEXT} types TEXT. At the end (or on a
# timeout) it prints one JSON object: {"ok", "failed_step", "transcript", "exit"}.
import json
import os
import pty
import re
import select
import signal
import sys
import time

script = json.loads(sys.argv[1])
command = sys.argv[sys.argv.index("--") + 1 :]

pid, fd = pty.fork()
if pid == 0:
    os.environ["TERM"] = "xterm"
    os.environ["COLUMNS"] = "120"
    os.execvp(command[0], command)

transcript = b""
seen_from = 0


def read_some(deadline):
    global transcript
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        ready, _, _ = select.select([fd], [], [], min(left, 0.2))
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                return False
            if not chunk:
                return False
            transcript += chunk
            return True


failed = None
for index, step in enumerate(script):
    if "send" in step:
        os.write(fd, step["send"].encode())
        continue
    pattern = re.compile(step["expect"].encode())
    deadline = time.monotonic() + step.get("timeout", 20)
    while True:
        match = pattern.search(transcript, seen_from)
        if match:
            seen_from = match.end()
            break
        if not read_some(deadline) and time.monotonic() >= deadline:
            failed = index
            break
    if failed is not None:
        break

# Let the child finish (the script ends with exit or Ctrl-D), then reap it.
deadline = time.monotonic() + 15
status = None
while time.monotonic() < deadline:
    read_some(time.monotonic() + 0.2)
    done, code = os.waitpid(pid, os.WNOHANG)
    if done:
        status = os.waitstatus_to_exitcode(code)
        break
if status is None:
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
print(json.dumps({
    "ok": failed is None,
    "failed_step": failed,
    "transcript": transcript.decode("utf-8", "replace"),
    "exit": status,
}))
