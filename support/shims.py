"""Record the argv of child processes: a shim first on PATH logs its arguments, then runs
the real program. Leak tests read the log to prove no secret reached any process's argv.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path


def install_recording_shim(bin_dir: Path, name: str, real: str, log: Path) -> Path:
    """Create `bin_dir/name` that appends its argv (one line, shell-quoted) to `log`."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    shim = bin_dir / name
    shim.write_text(
        "#!/bin/sh\n"
        f'printf "%s\\n" "{name} $*" >> {shlex.quote(str(log))}\n'
        f'exec {shlex.quote(real)} "$@"\n'
    )
    shim.chmod(0o755)
    os.utime(shim)
    return shim
