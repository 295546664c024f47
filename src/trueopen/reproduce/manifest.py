"""The recipe manifest (`trueopen-recipe.json`): the environment a release was built in, the
command, the seeds and the digests of its inputs and outputs.

Publishers write it with `trueopen recipe capture`; the audit reads it as recipe evidence; a
replay writes one for the environment it built, so both sides can be compared field by field.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from trueopen import __version__
from trueopen.errors import InputError, validation_error_line

MANIFEST_NAME = "trueopen-recipe.json"
MANIFEST_VERSION = 1
MAX_MANIFEST_BYTES = 8 * 2**20
MAX_HASHED_FILES = 100_000
# Settings that change results from one run to the next (CUDA/cuBLAS determinism, hash seeds,
# thread counts that change reduction order, TF32 and oneDNN switches).
SETTINGS = ("PYTHONHASHSEED", "CUBLAS_WORKSPACE_CONFIG", "CUDA_LAUNCH_BLOCKING", "CUDA_VISIBLE_DEVICES",
            "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS",
            "TF_DETERMINISTIC_OPS", "TF_CUDNN_DETERMINISTIC", "TF_ENABLE_ONEDNN_OPTS", "NVIDIA_TF32_OVERRIDE",
            "TORCH_ALLOW_TF32_CUBLAS_OVERRIDE", "XLA_FLAGS", "TOKENIZERS_PARALLELISM")
SEED_ENV = re.compile(r"SEED", re.IGNORECASE)
SEED_ARG = re.compile(r"^--?(?P<k>[\w-]*seed[\w-]*)(?:=(?P<v>-?\d+))?$", re.IGNORECASE)
NOT_ENVIRONMENT = frozenset({"pip", "setuptools", "wheel", "trueopen"})  # tools, not the recipe's packages


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Package(_Model):
    name: str
    version: str


class PythonInfo(_Model):
    version: str = Field(description="major.minor.micro")
    implementation: str


class PlatformInfo(_Model):
    system: str
    release: str
    machine: str
    cpu: str | None = Field(default=None, description="CPU model name.")
    cpu_count: int | None = None
    gpus: list[str] = Field(default=[], description="GPU names and driver, as nvidia-smi reports them.")


class Seed(_Model):
    name: str
    value: str
    source: Literal["environment", "command", "runtime"] = Field(description="runtime: read from the command's own "
                                                                   "Python processes as they ended (torch.initial_seed).")


class FileDigest(_Model):
    path: str = Field(description="Relative to the folder the command ran in, with / separators.")
    size: int
    sha256: str


class CommandRun(_Model):
    argv: list[str]
    exit_code: int
    seconds: float


class RecipeManifest(_Model):
    """What a run needs to be repeated and checked: see `trueopen schema --recipe`."""

    manifest_version: int = MANIFEST_VERSION
    tool: str = Field(description="The trueopen version that wrote it.")
    python: PythonInfo
    packages: list[Package] = Field(description="Every installed distribution, exact versions, sorted by name.")
    platform: PlatformInfo
    settings: dict[str, str] = Field(default={}, description="Environment variables that change results, as set; and, "
                                     "for a command whose Python processes imported torch, the determinism flags they "
                                     "ended with (torch.deterministic_algorithms, torch.backends.cudnn.benchmark, ...).")
    frameworks: dict[str, str] = Field(default={}, description="Versions of the ML runtimes present (torch, CUDA, cuDNN...).")
    seeds: list[Seed] = []
    command: CommandRun | None = None
    inputs: list[FileDigest] = Field(default=[], description="Files present before the command, unchanged by it.")
    outputs: list[FileDigest] = Field(default=[], description="Files the command wrote or changed.")

    def to_json(self) -> str:
        """Canonical JSON (field order is the contract)."""
        return self.model_dump_json(indent=2) + "\n"

    def pins(self) -> list[str]:
        """The packages as exact pins, without the packaging tools; a name or version that is not
        one (`--index-url=...`, a path) is left out, so it can never become a pip option."""
        return [f"{p.name}=={p.version}" for p in self.packages
                if canonical_name(p.name) not in NOT_ENVIRONMENT and is_pin(f"{p.name}=={p.version}")]


def json_schema() -> dict:
    """The JSON Schema of trueopen-recipe.json, as committed in schema/recipe.schema.json."""
    schema = RecipeManifest.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://trueopen.dev/schema/recipe.schema.json"
    return schema


def parse_manifest(text: str) -> RecipeManifest:
    """A manifest from its JSON; ValueError with one line when it does not validate."""
    if len(text) > MAX_MANIFEST_BYTES:
        raise ValueError(f"larger than {MAX_MANIFEST_BYTES} bytes")
    try:
        return RecipeManifest.model_validate_json(text)
    except ValidationError as exc:
        raise ValueError(validation_error_line(exc)) from None


# The probe runs in the interpreter being described (the user's own: a replay's fresh venv is
# described from metadata files instead, see describe_venv): it only reads metadata and platform facts.
_PROBE = r"""
import json, platform, sys
from importlib import metadata
pk = {}
for d in metadata.distributions():
    n = d.metadata["Name"]
    if n and n not in pk:
        pk[n] = d.version
print(json.dumps({"version": platform.python_version(), "implementation": platform.python_implementation(),
                  "packages": sorted(pk.items(), key=lambda kv: kv[0].lower())}))
"""


def describe_environment(python: str | None = None, env: dict[str, str] | None = None,
                         seeds_from: list[str] | None = None) -> RecipeManifest:
    """A manifest of an interpreter's environment (this one by default), without a command."""
    exe = python or sys.executable
    try:
        out = subprocess.run([exe, "-I", "-c", _PROBE], capture_output=True, text=True, timeout=120, check=True,
                             env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"})
        data = json.loads(out.stdout)
    except (OSError, subprocess.SubprocessError, json.JSONDecodeError) as exc:
        raise InputError(f"{exe}: cannot describe this Python ({type(exc).__name__})") from None
    env = dict(os.environ) if env is None else env
    return RecipeManifest(
        tool=f"trueopen {__version__}",
        python=PythonInfo(version=data["version"], implementation=data["implementation"]),
        packages=[Package(name=n, version=v) for n, v in data["packages"]],
        platform=_platform(),
        settings={k: env[k] for k in SETTINGS if k in env},
        frameworks=_frameworks(exe, {n.lower(): v for n, v in data["packages"]}),
        seeds=_seeds(env, seeds_from or []),
    )


def capture(command: list[str] | None, *, folder: Path, python: str | None = None) -> RecipeManifest:
    """Describe the environment; when a command is given, run it in `folder` and record the
    sha256 of the files it read (present before, unchanged) and wrote (new or changed)."""
    if not folder.is_dir():
        raise InputError(f"{folder}: no such folder")
    manifest = describe_environment(python or _interpreter_of(command), seeds_from=command)
    if not command:
        return manifest
    before = _stat_tree(folder)
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="trueopen-capture-") as tmp:
        hook, reports = Path(tmp) / "hook", Path(tmp) / "reports"
        hook.mkdir()
        reports.mkdir()
        (hook / "sitecustomize.py").write_text(_RUNTIME_HOOK, encoding="utf-8")
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(hook), env.get("PYTHONPATH", "")) if p)
        env["TRUEOPEN_CAPTURE_DIR"] = str(reports)
        try:
            # The command's output goes to stderr: stdout may be carrying the manifest (-o -).
            code = subprocess.run(command, cwd=folder, stdout=sys.stderr, env=env).returncode
        except OSError as exc:
            raise InputError(f"{command[0]}: {exc.strerror or exc}") from None
        runtime = _runtime_settings(reports)
    seconds = round(time.monotonic() - start, 3)
    after = _stat_tree(folder)
    after.pop(MANIFEST_NAME, None)  # the manifest itself (an earlier capture) is neither
    changed = sorted(p for p, st in after.items() if before.get(p) != st)
    unchanged = sorted(p for p, st in after.items() if before.get(p) == st)
    seed = runtime.pop("torch.initial_seed", None)
    return manifest.model_copy(update={
        "settings": dict(sorted({**manifest.settings, **runtime}.items())),
        "seeds": [*manifest.seeds, *([Seed(name="torch.initial_seed", value=seed, source="runtime")] if seed else [])],
        "command": CommandRun(argv=list(command), exit_code=code, seconds=seconds),
        "inputs": [_digest(folder, p) for p in unchanged],
        "outputs": [_digest(folder, p) for p in changed],
    })


# Put on the command's PYTHONPATH as sitecustomize: each of its Python processes that imported
# torch writes the determinism flags and the seed it ends with (flags set in-process cannot be
# seen from outside). It then hands over to the environment's own sitecustomize, if any.
_RUNTIME_HOOK = r'''"""trueopen recipe capture: record the determinism settings this process ends with."""
import atexit, json, os, sys


def _trueopen_record():
    out, torch = os.environ.get("TRUEOPEN_CAPTURE_DIR"), sys.modules.get("torch")
    if not out or torch is None:
        return
    data = {}
    probes = {
        "torch.deterministic_algorithms": lambda: torch.are_deterministic_algorithms_enabled(),
        "torch.deterministic_algorithms_warn_only": lambda: torch.is_deterministic_algorithms_warn_only_enabled(),
        "torch.backends.cudnn.deterministic": lambda: torch.backends.cudnn.deterministic,
        "torch.backends.cudnn.benchmark": lambda: torch.backends.cudnn.benchmark,
        "torch.backends.cudnn.allow_tf32": lambda: torch.backends.cudnn.allow_tf32,
        "torch.backends.cuda.matmul.allow_tf32": lambda: torch.backends.cuda.matmul.allow_tf32,
        "torch.num_threads": lambda: torch.get_num_threads(),
        "torch.initial_seed": lambda: torch.initial_seed(),
    }
    for key, probe in probes.items():
        try:
            data[key] = str(probe())
        except Exception:
            pass
    try:
        with open(os.path.join(out, "%d.json" % os.getpid()), "w") as fh:
            json.dump(data, fh)
    except OSError:
        pass


atexit.register(_trueopen_record)
_here = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _here]
del sys.modules["sitecustomize"]
try:
    import sitecustomize  # noqa: F401 - the environment's own
except ImportError:
    pass
'''


def _runtime_settings(reports: Path) -> dict[str, str]:
    """The flags the command's processes reported; a flag they disagree on lists every value."""
    seen: dict[str, set[str]] = {}
    for path in sorted(reports.glob("*.json"))[:1000]:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        for key, value in data.items() if isinstance(data, dict) else ():
            seen.setdefault(str(key), set()).add(str(value))
    return {k: next(iter(v)) if len(v) == 1 else "mixed: " + ", ".join(sorted(v)) for k, v in sorted(seen.items())}


def _interpreter_of(command: list[str] | None) -> str | None:
    """The Python a command runs (`python train.py`: the one on PATH), so the manifest lists the
    packages the command saw, not trueopen's own."""
    if not command or not re.fullmatch(r"python(?:\d+(?:\.\d+)?)?", Path(command[0]).name):
        return None
    return shutil.which(command[0])


def command_line(manifest: RecipeManifest) -> str | None:
    """The captured command as one shell line, or None."""
    return shlex.join(manifest.command.argv) if manifest.command else None


PIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,200}[A-Za-z0-9])?==[A-Za-z0-9](?:[A-Za-z0-9.+!_-]{0,100})")


def is_pin(text: str) -> bool:
    """An exact `name==version` requirement and nothing else."""
    return PIN.fullmatch(text) is not None


def installed_packages(site: Path) -> list[Package]:
    """The distributions installed in a site-packages folder, read from their metadata files only
    (nothing there is imported or run: a `.pth` file would run code in any interpreter started)."""
    from importlib import metadata

    found: dict[str, str] = {}
    for dist in metadata.distributions(path=[str(site)]):
        name = dist.metadata["Name"]
        if name and name not in found:
            found[name] = dist.version
    return [Package(name=n, version=v) for n, v in sorted(found.items(), key=lambda kv: kv[0].lower())]


def describe_venv(site: Path, python_version: str, env: dict[str, str]) -> RecipeManifest:
    """A manifest of a replay's fresh environment without starting its interpreter (see installed_packages)."""
    return RecipeManifest(tool=f"trueopen {__version__}",
                          python=PythonInfo(version=python_version, implementation=platform.python_implementation()),
                          packages=installed_packages(site), platform=_platform(),
                          settings={k: env[k] for k in SETTINGS if k in env}, seeds=_seeds(env, []))


def canonical_name(name: str) -> str:
    """A distribution name as packaging compares them (PEP 503: case and -_. runs ignored)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _platform() -> PlatformInfo:
    cpu = None
    try:
        for line in Path("/proc/cpuinfo").read_text(errors="replace").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return PlatformInfo(system=platform.system(), release=platform.release(), machine=platform.machine(),
                        cpu=cpu or platform.processor() or None, cpu_count=os.cpu_count(), gpus=_gpus())


def _gpus() -> list[str]:
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return []
    return [" ".join(line.split()) for line in out.stdout.splitlines() if line.strip()] if out.returncode == 0 else []


_TORCH_PROBE = ("import json, torch; print(json.dumps({'torch': torch.__version__, 'cuda': torch.version.cuda or '', "
                "'cudnn': str(torch.backends.cudnn.version() or '')}))")


def _frameworks(exe: str, packages: dict[str, str]) -> dict[str, str]:
    """torch's CUDA and cuDNN builds (when torch is installed); other runtimes by package version."""
    out = {k: packages[k] for k in ("jax", "jaxlib", "tensorflow", "numpy", "transformers") if k in packages}
    if "torch" in packages:
        try:
            res = subprocess.run([exe, "-c", _TORCH_PROBE], capture_output=True, text=True, timeout=300)
            out.update({k: v for k, v in json.loads(res.stdout).items() if v})
        except (OSError, subprocess.SubprocessError, json.JSONDecodeError):
            out["torch"] = packages["torch"]
    return dict(sorted(out.items()))


def _seeds(env: dict[str, str], argv: list[str]) -> list[Seed]:
    found = [Seed(name=k, value=v, source="environment") for k, v in sorted(env.items()) if SEED_ENV.search(k)]
    for i, arg in enumerate(argv):
        m = SEED_ARG.match(arg)
        if not m:
            continue
        value = m.group("v") or (argv[i + 1] if i + 1 < len(argv) and re.fullmatch(r"-?\d+", argv[i + 1]) else None)
        if value is not None:
            found.append(Seed(name=m.group("k"), value=value, source="command"))
    return found


_SKIP_DIRS = frozenset({".git", ".venv", "venv", "__pycache__", ".mypy_cache", ".pytest_cache", "node_modules"})


def _stat_tree(folder: Path) -> dict[str, tuple[int, int]]:
    """relative path -> (size, mtime_ns) of every regular file, bounded."""
    out: dict[str, tuple[int, int]] = {}
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS)
        for name in sorted(files):
            full = os.path.join(root, name)
            try:
                st = os.lstat(full)
            except OSError:
                continue
            if not os.path.isfile(full) or os.path.islink(full):
                continue
            out[Path(full).relative_to(folder).as_posix()] = (st.st_size, st.st_mtime_ns)
            if len(out) > MAX_HASHED_FILES:
                raise InputError(f"{folder}: more than {MAX_HASHED_FILES} files; capture from the release folder")
    return out


def _digest(folder: Path, rel: str) -> FileDigest:
    from trueopen.reproduce.compare import sha256_file

    full = folder / rel
    return FileDigest(path=rel, size=full.stat().st_size, sha256=sha256_file(full))
