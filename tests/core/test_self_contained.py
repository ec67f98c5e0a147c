"""The repository stands on its own: a plain clone, with nothing beside it, has every file it needs."""

import re
import subprocess

from tests.support import ROOT

# Built in pieces so that this file does not name what it looks for.
OUTSIDE = re.compile(r"\.\./" + "shared" + r"|parents\[2\]\s*/\s*[\"']" + "shared")


def tracked_files():
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    return [ROOT / name for name in listed.decode().split("\0") if name]


def test_no_tracked_file_reaches_for_a_folder_beside_the_repository():
    offenders = []
    for path in tracked_files():
        if not path.is_file():
            continue
        text = path.read_bytes().decode("utf-8", errors="ignore")
        offenders += [f"{path.relative_to(ROOT)}:{text.count(chr(10), 0, m.start()) + 1}" for m in OUTSIDE.finditer(text)]
    assert offenders == []


def test_the_formats_page_and_its_examples_are_in_the_repository():
    formats = (ROOT / "docs" / "formats.md").read_text()
    for kind in ("schools", "dsls", "attendance", "contacts", "early-help", "infoline"):
        assert (ROOT / "docs" / "examples" / f"{kind}.csv").is_file()
        assert f"examples/{kind}.csv" in formats
    assert "docs/formats.md" in (ROOT / "README.md").read_text()


def test_every_example_file_imports_cleanly_in_order(runner, formats):
    for kind in ("schools", "dsls", "attendance", "contacts", "early-help", "infoline"):
        result = runner.invoke(args=["import", kind, str(formats / f"{kind}.csv")])
        assert result.exit_code == 0, (kind, result.output)
        assert "created" in result.output
