"""The `maskpipe` command: one click group; each verb lives in its own module."""

from __future__ import annotations

import sys

import click

import maskpipe
from maskpipe.cli import maskers_cmd, plan_cmd, run_cmd, scan_cmd, validate_cmd
from maskpipe.model import MaskpipeError

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.version_option(maskpipe.__version__, prog_name="maskpipe")
def cli() -> None:
    """Mask production snapshots into isolated, consistent, constraint-complete copies.

    Exit codes: 0 success; 1 the run failed (or validation found problems); 2 bad usage,
    configuration or input (nothing was written).
    """


cli.add_command(run_cmd.run)
cli.add_command(maskers_cmd.maskers)
cli.add_command(plan_cmd.plan)
cli.add_command(scan_cmd.scan)
cli.add_command(validate_cmd.validate)


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
