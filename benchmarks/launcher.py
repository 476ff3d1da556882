"""Run a command as a grandchild and write its own CPU time and peak RSS as JSON.

    python benchmarks/launcher.py RESULT.json COMMAND...

Why not `os.wait4` on the command directly: Linux keeps the peak RSS of the memory a process
had before `exec`, and a child started by `vfork` (what `subprocess` uses) had the parent's.
The benchmark process holds the site and the corpora, so its children's `ru_maxrss` would be
at least its own size. This launcher is small: what it passes on is a few MiB at most.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys


def main() -> int:
    result, command = sys.argv[1], sys.argv[2:]
    process = subprocess.Popen(command)
    _, status, usage = os.wait4(process.pid, 0)
    code = os.waitstatus_to_exitcode(status)
    with open(result, "w") as output:
        json.dump(
            {
                "exit_code": code,
                "cpu_s": usage.ru_utime + usage.ru_stime,
                "max_rss_kib": usage.ru_maxrss,
            },
            output,
        )
    return code


if __name__ == "__main__":
    raise SystemExit(main())
