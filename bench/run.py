"""`make bench`: run every benchmark against the real stack; each prints one JSON line."""

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = ["stock_reserve.py", "order_intake.py", "live_push.py", "kpi_board.py"]


def main() -> int:
    env = {**os.environ}
    env.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/handoff")
    env.setdefault("REDIS_URL", "redis://127.0.0.1:6379/14")
    failed = 0
    for name in BENCHMARKS:
        print(f"== {name}", flush=True)
        failed += subprocess.call([sys.executable, str(HERE / name)], env=env) != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
