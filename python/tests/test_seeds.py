"""The seeds' examples written in Python (issue 13, acceptance 1): each script in seeds/ prints
what its C++ twin in examples/seeds/ prints, so its output is checked against the same
examples/seeds/expected/<name>.txt."""
import pathlib
import subprocess
import sys

import pytest

from conftest import SOURCE_DIR

SCRIPTS = sorted((pathlib.Path(__file__).parent / "seeds").glob("seed*.py"))


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.stem for s in SCRIPTS])
def test_seed_example_prints_the_expected_output(script):
    expected = (SOURCE_DIR / "examples" / "seeds" / "expected" / (script.stem + ".txt")).read_text()
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert run.stdout == expected
