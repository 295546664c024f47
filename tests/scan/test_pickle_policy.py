"""The pickle policy table: data sanity, aliases, dotted walks, dunders, defaults; and the
torch weights_only allowlist."""

from __future__ import annotations

import pytest

from trueopen.data import load_yaml
from trueopen.scan.pickle_policy import PicklePolicy, default_policy
from trueopen.scan.torch_allowlist import weights_only_allowed, weights_only_ok


@pytest.fixture(scope="module")
def policy() -> PicklePolicy:
    return default_policy()


def test_every_rule_says_why_and_where_from():
    data = load_yaml("safety/pickle_policy.yml")
    assert data["rules"]
    for rule in data["rules"]:
        assert rule["verdict"] in ("allow", "review", "block")
        assert rule["reason"].strip() and rule["source"].strip()
        assert rule["module"]


@pytest.mark.parametrize("module, name", [
    ("collections", "OrderedDict"), ("torch._utils", "_rebuild_tensor_v2"),
    ("torch._utils", "_rebuild_parameter"), ("torch", "FloatStorage"), ("torch", "BFloat16Storage"),
    ("torch", "Size"), ("torch", "float16"), ("torch", "device"), ("torch.nn.parameter", "Parameter"),
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"), ("numpy", "dtype"), ("numpy.core.multiarray", "scalar"),
    ("numpy.dtypes", "Float32DType"), ("numpy.random._pickle", "__randomstate_ctor"),
    ("argparse", "Namespace"), ("pathlib", "PosixPath"), ("pathlib._local", "PosixPath"),
    ("copy_reg", "_reconstructor"), ("__builtin__", "object"), ("builtins", "set"),
    ("_codecs", "encode"), ("sklearn.linear_model._logistic", "LogisticRegression"),
    ("sklearn.pipeline", "Pipeline"), ("scipy.sparse._csr", "csr_matrix"),
    ("transformers.training_args", "TrainingArguments"),
    ("transformers.trainer_utils", "IntervalStrategy"), ("accelerate.state", "PartialState"),
    ("torch.nn.modules.linear", "Linear"), ("torch.optim.adamw", "AdamW"),
])
def test_ml_checkpoint_globals_are_allowed(policy, module, name):
    assert policy.judge(module, name).verdict == "allow"


@pytest.mark.parametrize("module, name", [
    ("os", "system"), ("posix", "system"), ("nt", "system"), ("subprocess", "Popen"),
    ("builtins", "eval"), ("__builtin__", "exec"), ("builtins", "getattr"),
    ("builtins", "__import__"), ("builtins", "open"), ("_io", "FileIO"), ("io", "open"),
    ("runpy", "_run_code"), ("importlib", "import_module"), ("pkgutil", "resolve_name"),
    ("pty", "spawn"), ("socket", "create_connection"), ("shutil", "rmtree"),
    ("webbrowser", "open"), ("code", "InteractiveInterpreter"), ("ctypes", "CDLL"),
    ("cProfile", "run"), ("timeit", "timeit"), ("pdb", "run"), ("marshal", "loads"),
    ("pickle", "loads"), ("_pickle", "loads"), ("dill", "loads"), ("joblib", "load"),
    ("torch", "load"), ("torch.serialization", "load"), ("numpy", "load"),
    ("numpy.testing._private.utils", "runstring"), ("operator", "attrgetter"),
    ("_operator", "methodcaller"), ("types", "FunctionType"), ("types", "CodeType"),
    ("uuid", "_get_command_stdout"), ("logging", "FileHandler"), ("pydoc", "locate"),
    ("asyncio.unix_events", "_UnixSubprocessTransport._start"), ("venv", "create"),
    ("pip", "main"), ("torch.jit.unsupported_tensor_ops", "execWrapper"),
    ("torch.utils.collect_env", "run"), ("copyreg", "add_extension"), ("sys", "modules"),
    ("urllib.request", "urlopen"), ("requests.api", "get"), ("httplib", "HTTPSConnection"),
    ("sklearn.datasets", "fetch_openml"), ("picklescan.scanner", "scan_pickle_bytes"),
])
def test_code_io_network_and_import_globals_are_blocked(policy, module, name):
    assert policy.judge(module, name).verdict == "block"


@pytest.mark.parametrize("module, name, trick", [
    ("torch._utils", "os.system", "dotted-name"),
    ("torch", "builtins.eval", "dotted-name"),
    ("pathlib", "os.system", "dotted-name"),
    ("argparse", "_os.system", "dotted-name"),
    ("some.unknown", "helper.popen", "dotted-name"),
    ("numpy", "__builtins__.eval", "dunder-walk"),
    ("collections", "OrderedDict.__class__", "dunder-walk"),
    ("torch", "__dict__", "dunder-walk"),
])
def test_dotted_and_dunder_walks_are_blocked(policy, module, name, trick):
    v = policy.judge(module, name)
    assert (v.verdict, v.trick) == ("block", trick)


def test_dotted_names_never_inherit_an_allow_from_their_module(policy):
    v = policy.judge("torch.nn.modules.linear", "Linear.forward")
    assert v.verdict == "review" and v.trick == "dotted-name"


@pytest.mark.parametrize("module, name", [
    ("__main__", "MyModel"), ("mylib.models", "Net"), ("functools", "partial"),
    ("builtins", "print"), ("torch.utils.data", "DataLoader"), ("torch", "_utils"),
])
def test_everything_else_is_review(policy, module, name):
    assert policy.judge(module, name).verdict == "review"


def test_module_aliases_map_prefixes(policy):
    assert policy.canonical_module("posix") == "os"
    assert policy.canonical_module("numpy._core.multiarray") == "numpy.core.multiarray"
    assert policy.canonical_module("_pyrepl.pager") == "pydoc.pager"
    assert policy.judge("posix", "system").canonical == "os.system"


def test_most_specific_rule_wins():
    p = PicklePolicy({"rules": [
        {"module": "a.*", "names": "*", "verdict": "block", "reason": "r", "source": "s"},
        {"module": "a.b", "names": ["Ok"], "verdict": "allow", "reason": "r", "source": "s"},
        {"module": "a.b", "names": "re:[A-Z].*", "verdict": "review", "reason": "r",
         "source": "s"},
    ]})
    assert p.judge("a.b", "Ok").verdict == "allow"
    assert p.judge("a.b", "Other").verdict == "review"
    assert p.judge("a.b", "low").verdict == "block"
    assert p.judge("a.c.d", "x").verdict == "block"
    assert p.judge("z", "x").verdict == "review"


def test_malformed_names_are_blocked(policy):
    assert policy.judge("os.", "system").verdict == "block"
    assert policy.judge("a", ".".join(["x"] * 40)).verdict == "block"


def test_torch_weights_only_allowlist():
    for g in ("torch._utils._rebuild_tensor_v2", "torch.FloatStorage", "collections.OrderedDict",
              "torch.float32", "torch.Size", "_codecs.encode", "torch.nn.parameter.Parameter"):
        assert weights_only_allowed(g), g
    for g in ("argparse.Namespace", "pathlib.PosixPath", "numpy.ndarray", "posix.system",
              "torch.nn.modules.linear.Linear"):
        assert not weights_only_allowed(g), g
    assert weights_only_ok([]) and not weights_only_ok(["torch.FloatStorage", "os.system"])
