"""Run a replay's commands contained: bubblewrap (no network, only the system's programs and
libraries visible and read-only, writes only to the scratch copy and small in-memory /tmp and
/dev/shm), with bounded time, memory and disk.

This is the only place trueopen runs release code, and only for `trueopen reproduce` after the
user agreed. Without bubblewrap a replay is refused unless the user passes --no-sandbox.
"""

from __future__ import annotations

import glob
import os
import resource
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from trueopen.record import ReplayLimits

# What the sandbox sees of the machine: the system's programs and libraries, read-only, and a few
# files of /etc that programs need. Nothing else: not the users' folders, not the release's own
# folder (a recipe must not find the published weights), not /run's sockets, not /srv or /mnt.
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
ETC_FILES = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/alternatives", "/etc/ssl",
             "/etc/ca-certificates", "/etc/passwd", "/etc/group", "/etc/nsswitch.conf", "/etc/localtime",
             "/etc/hosts", "/etc/mime.types", "/etc/os-release", "/etc/services", "/etc/protocols", "/etc/fonts")
DISK_POLL_SECONDS = 0.5


@dataclass(frozen=True)
class RunResult:
    exit_code: int | None  # None when stopped (timeout, disk) before it ended
    seconds: float
    stopped: str | None  # why it was stopped, or None


@cache
def bubblewrap() -> tuple[str | None, str]:
    """(path of bwrap, '') when it can create a sandbox here, else (None, why not)."""
    exe = shutil.which("bwrap")
    if exe is None:
        return None, "bubblewrap (bwrap) is not installed (Debian/Ubuntu: apt-get install bubblewrap)"
    try:
        probe = subprocess.run([exe, "--ro-bind", "/", "/", "--unshare-all", "--die-with-parent", "--dev", "/dev",
                                "--proc", "/proc", "true"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as exc:
        return None, f"bubblewrap could not start: {exc}"
    if probe.returncode != 0:
        last = (probe.stderr.strip().splitlines() or ["no message"])[-1]
        return None, f"bubblewrap cannot create a sandbox here: {last}"
    return exe, ""


def sandbox_argv(bwrap: str, *, work: Path, home: Path, read_only: list[Path], command: str,
                 tmp_bytes: int = 1 << 30) -> list[str]:
    """The bwrap command line that runs `command` in `work` (read-write) and nowhere else writable:
    the system read-only, `/tmp` and `/dev/shm` small tmpfs (they live in memory), no network."""
    argv = [bwrap, "--die-with-parent", "--new-session", "--unshare-all"]  # the caller passes a clean environment
    for folder in SYSTEM_DIRS:
        if os.path.islink(folder):  # merged /usr: /bin -> usr/bin
            argv += ["--symlink", os.readlink(folder), folder]
        elif os.path.isdir(folder):
            argv += ["--ro-bind", folder, folder]
    for path in ETC_FILES:
        if os.path.exists(path):
            argv += ["--ro-bind", path, path]
    size = str(max(1 << 20, tmp_bytes))
    argv += ["--dev", "/dev", "--proc", "/proc", "--size", size, "--tmpfs", "/tmp", "--size", size, "--tmpfs", "/dev/shm"]
    for device in gpu_devices():  # training on a GPU needs its device files; nothing else of /dev
        argv += ["--dev-bind", device, device]
    for folder in read_only:  # the interpreter's installation and the venv
        argv += ["--ro-bind", str(folder), str(folder)]
    argv += ["--bind", str(home), str(home), "--bind", str(work), str(work), "--chdir", str(work),
             "/bin/sh", "-ec", command]
    return argv


def gpu_devices() -> list[str]:
    """The GPU device files of this machine (NVIDIA, and DRI for AMD/Intel), to bind into the sandbox."""
    found = glob.glob("/dev/nvidia*") + glob.glob("/dev/dri") + glob.glob("/dev/kfd")
    return sorted(d for d in found if os.path.exists(d))


def run_contained(argv: list[str], *, env: dict[str, str], cwd: Path, log: Path, limits: ReplayLimits,
                  watch: list[Path]) -> RunResult:
    """Run argv with the limits, output to `log`; stop it when it outlives the time or fills the disk."""
    def preexec() -> None:  # runs in the child before exec: limits inherited by everything it starts
        resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits.disk_bytes, limits.disk_bytes))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    start = time.monotonic()
    stopped: list[str] = []
    with log.open("ab") as out:
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                preexec_fn=preexec, start_new_session=True)
        done = threading.Event()

        def watch_disk() -> None:
            while not done.wait(DISK_POLL_SECONDS):
                used = sum(_size(p) for p in watch)
                if used > limits.disk_bytes:
                    stopped.append(f"stopped: wrote more than {limits.disk_bytes} bytes (disk limit)")
                    _kill(proc)
                    return

        watcher = threading.Thread(target=watch_disk, daemon=True)
        watcher.start()
        try:
            proc.wait(timeout=limits.timeout_seconds)
        except subprocess.TimeoutExpired:
            stopped.append(f"stopped: ran longer than {limits.timeout_seconds} s (time limit)")
            _kill(proc)
            proc.wait()
        finally:
            done.set()
            watcher.join()
    seconds = round(time.monotonic() - start, 3)
    if stopped:
        return RunResult(None, seconds, stopped[0])
    return RunResult(proc.returncode, seconds, None)


def _kill(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _size(folder: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(folder):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_blocks * 512
            except OSError:
                pass
    return total
