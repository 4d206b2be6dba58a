"""A recording stand-in for the `pulumi` executable: what mlplat hands the CLI, observed.

`install(tmp_path, monkeypatch)` writes a small Python script named `pulumi` into a directory
put first on PATH. Each run appends {argv, cwd, env, signals, ...} to a JSON-lines log and
answers with the least the Automation API needs (read from the installed SDK):

- `version` → `v3.200.0`: PulumiCommand parses it (pulumi/automation/_cmd.py:77-89); at or
  below 3.205 the SDK reads engine events from the `--event-log` FILE (_stack.py:295-318),
  and from 3.181 it runs inline destroy/refresh (_stack.py:606-620).
- `stack select` → exit 0 for a stack in `scenario["stacks"]`, else "no stack named … found",
  which the SDK turns into StackNotFoundError (errors.py `not_found_regex`), then `stack init`.
- `config --json` → `scenario["config"]`; `stack export` → {"deployment": scenario["deployment"]}.
- `preview`/`up`/`destroy`/`refresh` → a summary event then the cancel event that ends the
  SDK's log watcher (_stack.py:1611-1642); `stack history --json` → one update for `info()`.
- `plugin install` → exit 0, or `scenario["plugin_error"]` on stderr with exit 255.

It tests mlplat's side of the contract (arguments, working directory, environment, signals),
not Pulumi's behaviour. The scenario is a JSON file the test writes (`Standin.set`).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

SCRIPT = r'''#!{python}
import json, os, signal, socket, sys, time

args = sys.argv[1:]
scenario = json.loads(open(os.environ["STANDIN_SCENARIO"]).read())
record = {"argv": args, "cwd": os.getcwd(), "env": dict(os.environ), "pid": os.getpid(),
          "pgid": os.getpgid(0), "signals": []}

def log():
    with open(os.environ["STANDIN_LOG"], "a") as f:
        f.write(json.dumps(record) + "\n")

def fail(msg, code=255):
    record["exit"] = code
    log()
    sys.stderr.write(msg + "\n")
    sys.exit(code)

def events(path, changes, summary=True):
    with open(path, "a") as f:
        if summary:
            f.write(json.dumps({"sequence": 1, "timestamp": 0, "summaryEvent": {
                "maybeCorrupt": False, "durationSeconds": 0, "resourceChanges": changes, "PolicyPacks": {}}}) + "\n")
        # the CLI ends every event log with a cancel event: the SDK's watcher stops on it
        f.write(json.dumps({"sequence": 2, "timestamp": 0, "cancelEvent": {}}) + "\n")

def flag(name):
    for i, a in enumerate(args):
        if a == name:
            return args[i + 1]
        if a.startswith(name + "="):  # the SDK writes --client=HOST:PORT (_stack.py:428)
            return a.split("=", 1)[1]
    return None

op = args[0] if args else ""
if op == "version":
    record["exit"] = 0; log()
    print(scenario.get("version", "v3.200.0"))
elif args[:2] == ["plugin", "install"]:
    if scenario.get("plugin_error"):
        fail(scenario["plugin_error"])
    record["exit"] = 0; log()
elif args[:2] == ["stack", "select"]:
    if scenario.get("select_error"):
        fail(scenario["select_error"])
    if flag("--stack") not in scenario.get("stacks", []):
        fail("error: no stack named '%s' found" % flag("--stack"))
    record["exit"] = 0; log()
elif args[:2] == ["stack", "init"]:
    record["exit"] = 0; log()
elif args[:1] == ["config"] and "--json" in args:
    record["exit"] = 0; log()
    print(json.dumps(scenario.get("config", {})))
elif args[:3] == ["stack", "tag", "set"] and scenario.get("no_tags"):
    fail("error: stack tags are not supported by this backend", 1)
elif args[:2] == ["stack", "export"]:
    record["exit"] = 0; log()
    print(json.dumps({"version": 3, "deployment": scenario.get("deployment", {})}))
elif args[:2] == ["stack", "history"]:
    record["exit"] = 0; log()
    print(json.dumps([{"kind": "update", "startTime": "2026-01-01T00:00:00.000Z", "message": "",
                       "environment": {}, "config": {}, "result": "succeeded",
                       "resourceChanges": scenario.get("changes", {"create": 2})}]))
elif args[:2] == ["stack", "output"]:
    record["exit"] = 0; log()
    print("{}")
elif op in ("preview", "up", "destroy", "refresh"):
    kind = op + ("-preview" if "--preview-only" in args else "")  # preview, up, destroy-preview, …
    if scenario.get("locked"):
        fail("error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) "
             "to end or delete the lock file with `pulumi cancel`.\n"
             "  file:///state/.pulumi/locks/organization/demo/demo-dev/0b1c.json: created by ci@runner (pid 4242)")
    if scenario.get("sleep_on") == kind:
        # Wait for the interrupt as a real update would, then cancel "cleanly": check that the
        # inline program's server (--client) is still there, end the event log, exit 255.
        got = []
        signal.signal(signal.SIGINT, lambda s, f: got.append(s))
        open(os.environ["STANDIN_LOG"] + ".running", "w").write(str(os.getpid()))
        deadline = time.time() + float(scenario.get("sleep_seconds", 60))
        while not got and time.time() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)  # a second interrupt would arrive now
        record["signals"] = ["SIGINT"] * len(got)
        client = flag("--client")
        if client:
            host, port = client.rsplit(":", 1)
            try:
                socket.create_connection((host, int(port)), timeout=2).close()
                record["client_alive_after_interrupt"] = True
            except OSError:
                record["client_alive_after_interrupt"] = False
        events(flag("--event-log"), {})
        record["exit"] = 255 if got else 0
        record["ended"] = time.time()
        log()
        sys.stderr.write("error: update canceled\n")
        sys.exit(record["exit"])
    print("Previewing update (stand-in):" if "preview" in kind else "Updating (stand-in):")
    events(flag("--event-log"), scenario.get("changes", {"create": 2}), summary=not scenario.get("no_summary"))
    record["exit"] = 0; log()
else:
    record["exit"] = 0; log()
'''


class Standin:
    """The installed stand-in: its scenario and its log."""

    def __init__(self, root: Path):
        self.root = root
        self.bindir = root / "standin-bin"
        self.log = root / "standin.log"
        self.scenario_file = root / "standin-scenario.json"
        self.scenario: dict[str, Any] = {}

    def set(self, **scenario: Any) -> None:
        self.scenario.update(scenario)
        self.scenario_file.write_text(json.dumps(self.scenario), encoding="utf-8")

    def calls(self) -> list[dict[str, Any]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text(encoding="utf-8").splitlines()]

    def argvs(self) -> list[list[str]]:
        return [c["argv"] for c in self.calls()]

    def call(self, *prefix: str) -> dict[str, Any]:
        """The first call whose argv starts with `prefix`."""
        return next(c for c in self.calls() if c["argv"][:len(prefix)] == list(prefix))

    def env(self) -> dict[str, str]:
        """Environment variables for a process that must find the stand-in (a subprocess)."""
        return {"PATH": f"{self.bindir}{os.pathsep}{os.environ.get('PATH', '')}",
                "STANDIN_LOG": str(self.log), "STANDIN_SCENARIO": str(self.scenario_file)}


def install(root: Path, monkeypatch: Any) -> Standin:
    s = Standin(root)
    s.bindir.mkdir(parents=True, exist_ok=True)
    exe = s.bindir / "pulumi"
    exe.write_text(SCRIPT.replace("{python}", sys.executable), encoding="utf-8")
    exe.chmod(0o755)
    s.set()
    for key, value in s.env().items():
        monkeypatch.setenv(key, value)
    return s
