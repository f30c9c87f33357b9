"""The `maskpipe` command: one click group; each verb lives in its own module."""

from __future__ import annotations

import importlib
import sys

import click

import maskpipe
from maskpipe.model import MaskpipeError

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

# name -> (module, attribute). Imported on first use: `maskpipe run` need not load DuckDB and the
# validators (validate), Presidio (scan) and the rest (about 0.3-0.5 s of start-up).
COMMANDS = {
    "run": ("maskpipe.cli.run_cmd", "run"),
    "maskers": ("maskpipe.cli.maskers_cmd", "maskers"),
    "plan": ("maskpipe.cli.plan_cmd", "plan"),
    "scan": ("maskpipe.cli.scan_cmd", "scan"),
    "validate": ("maskpipe.cli.validate_cmd", "validate"),
}


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in COMMANDS and cmd_name not in self.commands:
            module, attr = COMMANDS[cmd_name]
            self.add_command(getattr(importlib.import_module(module), attr), cmd_name)
        return super().get_command(ctx, cmd_name)


@click.group(
    cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110}
)
@click.version_option(maskpipe.__version__, prog_name="maskpipe")
def cli() -> None:
    """Mask production snapshots into isolated, consistent, constraint-complete copies.

    Exit codes: 0 success; 1 the run failed (or validation found problems); 2 bad usage,
    configuration or input (nothing was written).
    """


def main() -> None:
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted.", err=True)
        sys.exit(EXIT_FAILED)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_USAGE)
    except MaskpipeError as exc:
        for problem in exc.problems:
            click.echo(problem.render(), err=True)
        sys.exit(EXIT_USAGE)
    except SystemExit:
        raise
    sys.exit(EXIT_OK)


if __name__ == "__main__":
    main()
