"""The action server loads before serving what its first calls would load while a customer waits."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_warm_up_loads_the_catalogues_and_the_homophone_readings_and_freezes_them() -> None:
    probe = (
        "import sys\n"
        "from actions import backend\n"
        "assert 'pypinyin' not in sys.modules\n"
        "backend.warm_up()\n"
        "assert 'pypinyin.phrases_dict' in sys.modules\n"
        "from dealer.catalog import load_dealers\n"
        "assert load_dealers.cache_info().currsize == 1\n"
        "import gc\n"
        "from actions.server import ready_to_serve\n"
        "ready_to_serve()\n"
        "assert gc.get_freeze_count() > 100000, gc.get_freeze_count()\n"
        "print('warm')\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "APP_ENV": "test"})
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "warm"

