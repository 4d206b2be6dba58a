"""The `mlplat` command: a lazy click group, so `mlplat validate` never imports cloud SDKs."""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

import click
from mlplat import __version__

# name → "module:attribute". Each command module keeps its heavy imports inside the function.
COMMANDS: dict[str, str] = {
    "validate": "mlplat.cli.spec_cmds:validate",
    "schema": "mlplat.cli.spec_cmds:schema",
    "init": "mlplat.cli.spec_cmds:init",
    "completion": "mlplat.cli.spec_cmds:completion",
    "preview": "mlplat.cli.plan_cmds:preview",
    "cost": "mlplat.cli.cost_cmds:cost",
    "prices": "mlplat.cli.prices_cmds:prices",
    "render": "mlplat.cli.plan_cmds:render",
    "graph": "mlplat.cli.plan_cmds:graph",
    "policy": "mlplat.cli.policy_cmds:policy",
    "drift": "mlplat.cli.drift_cmds:drift",
    "orphans": "mlplat.cli.drift_cmds:orphans",
    "check": "mlplat.cli.check_cmds:check",
    "diff": "mlplat.cli.check_cmds:diff",
    "report": "mlplat.cli.check_cmds:report",
    "ci": "mlplat.cli.check_cmds:ci",
    "up": "mlplat.cli.engine_cmds:up",
    "destroy": "mlplat.cli.engine_cmds:destroy",
    "refresh": "mlplat.cli.engine_cmds:refresh",
    "outputs": "mlplat.cli.outputs_cmds:outputs",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(COMMANDS))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in COMMANDS:
            mod, attr = COMMANDS[cmd_name].split(":")
            return getattr(importlib.import_module(mod), attr)
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        from mlplat.stacks.errors import MlplatError, SpecError

        try:
            return super().invoke(ctx)
        except SpecError as exc:
            from .output import print_diagnostics

            print_diagnostics(exc.diagnostics)
            ctx.exit(2)
        except MlplatError as exc:
            from mlplat.stacks.errors import printable

            click.echo(f"error: {printable(str(exc))}", err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(130)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as exc:  # an mlplat bug: say so plainly; the traceback only on request
            if os.environ.get("MLPLAT_DEBUG"):
                raise
            from mlplat.stacks.errors import printable

            click.echo(
                f"internal error: {type(exc).__name__}: {printable(str(exc))}\n"
                "This is a bug in mlplat. Re-run with MLPLAT_DEBUG=1 for the traceback and report it.",
                err=True,
            )
            ctx.exit(3)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="mlplat")
@click.option("--no-cache", is_flag=True, envvar="MLPLAT_NO_CACHE",
              help="Compute every plan afresh (plans are otherwise reused from .mlplat/cache beside the spec).")
def cli(no_cache: bool) -> None:
    """mlplat: one YAML spec → a whole MLOps platform per environment, through Pulumi.

    Plans are cached under .mlplat/cache beside the spec, keyed by the spec's bytes, the
    environment and the mlplat and provider versions, so policy, cost, check and diff of
    an unchanged spec reuse one plan.

    \b
    Example:
        mlplat validate platform.yaml
        mlplat preview platform.yaml --env dev
        mlplat --no-cache policy platform.yaml --env prod
    """
    if no_cache:
        from mlplat.stacks.plan.cache import disable

        disable()


def main(argv: list[str] | None = None) -> None:
    from mlplat.stacks.plan import short_lived_process

    short_lived_process()  # one command, then exit: no collecting of the SDK's garbage
    # pydantic looks for plugins in the entry points of every installed distribution when the
    # first model is built (~20-30 ms of `validate`); mlplat's spec models use none. Set the
    # variable yourself (e.g. to "") to have them loaded.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    cli.main(args=argv, prog_name="mlplat", standalone_mode=True)


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])
