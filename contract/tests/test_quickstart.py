"""The example script stays runnable against the deployment under test."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import Deployment

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "quickstart.py"


def test_quickstart_example_runs(deployment: Deployment) -> None:
    env = {
        **os.environ,
        "RECOUVRE_ADDR": deployment.addr,
        "RECOUVRE_API_KEY": deployment.api_key,
    }
    done = subprocess.run(
        [sys.executable, str(EXAMPLE)], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "balance 1000.00 (the retry changed nothing)" in done.stdout, done.stdout
    assert "chain intact: True (2 events)" in done.stdout, done.stdout
    assert "refused: FAILED_PRECONDITION INVALID_STATE_TRANSITION" in done.stdout, done.stdout
