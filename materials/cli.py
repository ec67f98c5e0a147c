"""``flask materials ...``: the published materials from the command line."""

from pathlib import Path

import click
from flask.cli import with_appcontext

from materials import services


@click.group(help="The poster, slides and follow-up sheet.")
def materials():
    pass


@materials.command("export")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def export(directory: Path):
    """Write the current published version of each material as PDF files into DIRECTORY, with the
    trainer's notes of each deck."""
    try:
        files, without_notes = services.current_files()
    except services.MaterialError as error:
        raise click.ClickException(str(error))
    directory.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (directory / name).write_bytes(data)
        click.echo(f"Wrote {directory / name} ({len(data):,} bytes).")
    for line in without_notes:
        click.echo(line, err=True)
