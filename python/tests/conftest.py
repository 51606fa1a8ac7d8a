# Shared by the pytest suite: the package under test is the build tree's (PYTHONPATH set by
# CTest, or by hand: PYTHONPATH=build/release/python /usr/bin/python3 -m pytest python/tests).
import os
import pathlib

import pytest

SOURCE_DIR = pathlib.Path(os.environ.get("LAMINA_SOURCE_DIR", pathlib.Path(__file__).resolve().parents[2]))


def _tool(env, name):
    path = os.environ.get(env)
    if path and os.path.exists(path):
        return path
    for preset in ("release", "debug"):
        guess = SOURCE_DIR / "build" / preset / name
        if guess.exists():
            return str(guess)
    return None


@pytest.fixture(scope="session")
def twin():
    path = _tool("LAMINA_TWIN", "python/lamina_python_twin")
    if path is None:
        pytest.skip("lamina_python_twin not built (cmake --build --preset release --target lamina_python)")
    return path


@pytest.fixture(scope="session")
def cli():
    path = _tool("LAMINA_CLI", "tools/lamina")
    if path is None:
        pytest.skip("the lamina program is not built")
    return path
