"""The `pulumi` process the Automation API runs, with interrupts forwarded to it.

`PulumiCommand.run` (pulumi/automation/_cmd.py:191-267) starts the CLI in mlplat's own process
group and waits for it. A Ctrl-C then reaches both: the CLI starts cancelling, while Python
raises KeyboardInterrupt in mlplat, `Popen.__exit__` gives up after a moment, and the SDK's
`finally` stops the inline program's language server (`_cleanup` → `server.stop(0)`,
_stack.py:423-426, 449-450, 1645-1656) while the CLI is still running: the update dies half-way,
the stack stays locked, resources stay as pending operations. A signal sent to mlplat alone
(a CI runner cancelling the job) never reaches the CLI at all.

`ForwardingCommand` runs the same command the same way (same arguments, environment and
error mapping), with two differences: the CLI gets its own session, so a terminal's Ctrl-C
reaches it once, through mlplat; and while it runs, SIGINT/SIGTERM to mlplat are forwarded as
SIGINT, which the CLI treats as "cancel cleanly" (a second one: "terminate now";
pulumi/pulumi pkg/backend/cancellation_scope.go@c8bf1862). mlplat keeps waiting, so the language server
lives until the CLI has finished cancelling; then EngineInterrupted (exit 130) tells how to
recover.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from collections.abc import Callable, Mapping
from types import FrameType
from typing import Any

from mlplat.stacks.engine.settings import EngineInterrupted
from pulumi.automation._cmd import CommandResult, PulumiCommand, _fixup_path
from pulumi.automation.errors import create_command_error

FORWARDED = (signal.SIGINT, signal.SIGTERM)


class ForwardingCommand(PulumiCommand):
    """`PulumiCommand` whose `run` forwards interrupts to the CLI and waits for it to finish."""

    def __init__(self, notice: Callable[[str], None] | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.notice = notice or (lambda line: None)
        self.interrupted = 0  # signals forwarded during the last run

    def run(
        self,
        args: list[str],
        cwd: str,
        additional_env: Mapping[str, str],
        on_output: Callable[[str], Any] | None = None,
        on_error: Callable[[str], Any] | None = None,
    ) -> CommandResult:
        # As PulumiCommand.run (_cmd.py:209-221): non-interactive, the same environment.
        if "--non-interactive" not in args:
            args.append("--non-interactive")
        env = {**os.environ, **additional_env, "PULUMI_AUTOMATION_API": "true"}
        if os.path.isabs(self.command):
            env = _fixup_path(env, os.path.dirname(self.command))
        stdout_chunks: list[str] = []
        stderr_chunks: list[str] = []

        def consumer(stream: Any, callback: Callable[[str], Any] | None, chunks: list[str]) -> None:
            for line in iter(stream.readline, ""):
                stripped = line.rstrip()
                if callback:
                    callback(stripped)
                chunks.append(stripped)
            stream.close()

        self.interrupted = 0
        with subprocess.Popen(
            [self.command, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd, env=env,
            encoding="utf-8", start_new_session=True,
        ) as process, self._forwarding(process, args[0] if args else "pulumi"):
            readers = [
                threading.Thread(target=consumer, args=(process.stdout, on_output, stdout_chunks)),
                threading.Thread(target=consumer, args=(process.stderr, on_error, stderr_chunks)),
            ]
            for t in readers:
                t.start()
            for t in readers:
                t.join()
            code = process.wait()
        result = CommandResult(stderr="\n".join(stderr_chunks), stdout="\n".join(stdout_chunks), code=code)
        if self.interrupted and code != 0:
            raise EngineInterrupted(f"`pulumi {args[0] if args else ''}` was interrupted and cancelled "
                                    f"(exit {code})")
        if code != 0:
            raise create_command_error(result)
        return result

    def _forwarding(self, process: subprocess.Popen[str], what: str) -> Any:
        command = self

        class _Scope:
            def __enter__(self) -> None:
                self.previous: dict[int, Any] = {}
                if threading.current_thread() is not threading.main_thread():
                    return  # signal handlers belong to the main thread; nothing to forward from here
                for sig in FORWARDED:
                    self.previous[sig] = signal.signal(sig, self.forward)

            def forward(self, signum: int, frame: FrameType | None) -> None:
                command.interrupted += 1
                if command.interrupted == 1:
                    command.notice(
                        f"interrupt received: asking `pulumi {what}` to cancel cleanly (it finishes the "
                        "operations in flight and unlocks the stack); interrupt again to stop it at once, "
                        "which leaves pending operations")
                else:
                    command.notice(f"second interrupt: `pulumi {what}` stops at once")
                try:
                    process.send_signal(signal.SIGINT)
                except ProcessLookupError:
                    pass

            def __exit__(self, *exc: object) -> None:
                for sig, handler in self.previous.items():
                    signal.signal(sig, handler)

        return _Scope()


__all__ = ["ForwardingCommand"]
