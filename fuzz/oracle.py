"""The real loaders as the oracle: load an input in a forked child with limits and a scratch cwd;
did the payload's `canary` appear?"""

from __future__ import annotations

import os
import resource
import signal
import tempfile
from pathlib import Path

_MEMORY = 1 << 30      # address space of the loading child
_SECONDS = 10          # CPU seconds of the loading child


def _loaders(path: str) -> list:
    import bz2
    import gzip
    import lzma
    import pickle
    import zlib

    def twice() -> None:
        with open(path, "rb") as f:
            for _ in range(64):
                pickle.load(f)

    def torch_zip_like() -> None:
        # torch.load of a zip unpickles its data.pkl with a persistent_load that builds
        # storages; torch is not installed here, so every .pkl member is read that way.
        import io
        import zipfile

        with zipfile.ZipFile(path) as z:
            for name in z.namelist():
                if name.endswith(".pkl"):
                    u = pickle.Unpickler(io.BytesIO(z.read(name)))
                    u.persistent_load = lambda pid: None
                    try:
                        u.load()
                    except Exception:  # noqa: BLE001 - the next member may still run
                        pass

    loaders = [lambda: pickle.load(open(path, "rb")), twice, torch_zip_like,
               lambda: pickle.load(gzip.open(path)), lambda: pickle.load(bz2.open(path)),
               lambda: pickle.load(lzma.open(path)),
               lambda: pickle.loads(zlib.decompress(open(path, "rb").read()))]
    try:
        import joblib  # noqa: F401 - the oracle for joblib layouts, when installed
        loaders.append(lambda: joblib.load(path))
    except ImportError:
        pass
    return loaders


def _mapped() -> int:
    """Bytes of address space this process maps now (Linux /proc)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def runs_payload(data: bytes) -> bool:
    """Whether any real loader runs the payload in `data` (fork per loader; Linux)."""
    with tempfile.TemporaryDirectory(prefix="trueopen-fuzz-") as tmp:
        path = Path(tmp) / "sample"
        path.write_bytes(data)
        for index in range(len(_loaders(str(path)))):
            pid = os.fork()
            if pid == 0:  # the child: limits, scratch cwd, one loader, exit without cleanup
                try:
                    os.chdir(tmp)
                    # On top of what the forked process already maps (a test worker maps
                    # well over 1 GiB of libraries), so the limit bounds the loader only.
                    limit = _mapped() + _MEMORY
                    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
                    resource.setrlimit(resource.RLIMIT_CPU, (_SECONDS, _SECONDS))
                    signal.alarm(_SECONDS * 2)
                    devnull = os.open(os.devnull, os.O_WRONLY)
                    os.dup2(devnull, 1)
                    os.dup2(devnull, 2)
                    _loaders(str(path))[index]()
                except BaseException:  # noqa: BLE001 - any failure of the loader is fine
                    pass
                os._exit(0)
            os.waitpid(pid, 0)
            if (Path(tmp) / "canary").exists():
                return True
    return False
