"""Non-pickle formats: safetensors, GGUF + chat templates, ONNX, Keras, SavedModel, JSON
configs. Samples are written byte by byte here; optional libraries (onnx, h5py) only build
extra samples and the tests that need them skip when they are missing."""

from __future__ import annotations

import io
import json
import struct
import zipfile

import pytest

from trueopen.scan.dispatch import scan_bytes
from trueopen.scan.otherformats import analyse_template

SSTI = "{{ cycler.__init__.__globals__.os.popen('id').read() }}"
BENIGN = ("{% set ns = namespace(sys=false) %}{% for message in messages %}"
          "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] | trim + "
          "'<|im_end|>\\n' }}{% endfor %}{% if add_generation_prompt %}"
          "{{ '<|im_start|>assistant\\n' }}{% endif %}")


def scan(name: str, data: bytes, **kw):
    return scan_bytes(name, data, **kw)


def verdicts(fs) -> set[str]:
    return {i.verdict for i in fs.issues}


# --- safetensors ----------------------------------------------------------------------------


def st_file(header: dict, data: bytes) -> bytes:
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + data


def test_safetensors_valid_is_clean() -> None:
    fs = scan("m.safetensors", st_file({"w": {"dtype": "F32", "shape": [2],
                                              "data_offsets": [0, 8]}}, b"\x00" * 8))
    assert fs.format == "safetensors" and fs.status == "clean"


def test_safetensors_out_of_bounds_and_overlap_need_review() -> None:
    fs = scan("m.safetensors", st_file({"w": {"dtype": "F32", "shape": [2],
                                              "data_offsets": [0, 8000]}}, b"\x00" * 8))
    assert fs.status == "review"
    fs = scan("m.safetensors", st_file({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                                        "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}},
                                       b"\x00" * 12))
    assert any("overlaps" in i.detail for i in fs.issues)


def test_safetensors_huge_header_claim() -> None:
    fs = scan("m.safetensors", struct.pack("<Q", 50 * 2**30) + b'{"a":1}')
    assert fs.status == "review"
    assert any("MAX_HEADER_BYTES" in i.detail for i in fs.issues)


def test_safetensors_metadata_with_code() -> None:
    fs = scan("m.safetensors", st_file({"__metadata__": {"x": "import os; os.system('id')",
                                                         "d": "an import statement"}}, b""))
    flagged = [i for i in fs.issues if i.rule == "safetensors-metadata-code"]
    assert len(flagged) == 1 and "'x'" in flagged[0].detail


# --- templates --------------------------------------------------------------------------------


@pytest.mark.parametrize("template", [
    SSTI,
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ x|attr('__class__') }}",
    "{{ x|attr('\\x5f\\x5fclass\\x5f\\x5f') }}",
    "{{ x[('__cla' ~ 'ss__')] }}",
    "{{ x[['__glo','bals__']|join] }}",
    "{{ self._TemplateReference__context }}",
    "{{ request.application.__globals__ }}",
    "{{ lipsum.__globals__['os'].popen('id') }}",
    "{{ joiner.__init__.__globals__ }}",
    "{{ namespace.__init__.__globals__ }}",
])
def test_template_escapes_block(template: str) -> None:
    found = analyse_template(template)
    assert any(v == "block" for v, *_ in found), found


def test_benign_templates_have_no_findings() -> None:
    assert analyse_template(BENIGN) == []
    # Dunders in the literal output text are not code.
    assert analyse_template("Explain __class__ in Python: {{ message.content }}") == []
    assert analyse_template("{% if message.class == 'x' %}{{ m }}{% endif %}") == []


def test_escaped_underscore_is_named_as_a_trick() -> None:
    found = analyse_template("{{ x['\\x5f\\x5fglobals\\x5f\\x5f'] }}")
    assert any(t == "escaped-dunder" for *_, t in found)


def test_tokenizer_config_chat_template_string_and_list() -> None:
    fs = scan("tokenizer_config.json", json.dumps({"chat_template": SSTI}).encode())
    assert fs.status == "unsafe"
    fs = scan("tokenizer_config.json", json.dumps({"chat_template": [
        {"name": "default", "template": BENIGN}, {"name": "tool_use", "template": SSTI}]}).encode())
    assert fs.status == "unsafe"
    assert scan("tokenizer_config.json",
                json.dumps({"chat_template": BENIGN}).encode()).status == "clean"


def test_template_files_by_name() -> None:
    assert scan("chat_template.jinja", SSTI.encode()).status == "unsafe"
    assert scan("chat_template.jinja", BENIGN.encode()).status == "clean"
    # Plain text files are not templates: a README may talk about __class__.
    assert scan("README.md", b"Use {{ x.__class__ }} carefully").status == "clean"


def test_oversized_template_names_the_limit() -> None:
    from trueopen.scan.result import ScanLimits

    fs = scan("t.jinja", ("{{ x }}" * 1000).encode(), limits=ScanLimits(max_template_bytes=100))
    assert fs.status == "incomplete" and "max_template_bytes" in fs.stopped_by


# --- GGUF -----------------------------------------------------------------------------------------


def gguf(kv: list[tuple[str, int, object]], version: int = 3, n_tensors: int = 0) -> bytes:
    def s(x: bytes) -> bytes:
        return struct.pack("<Q", len(x)) + x

    def val(t: int, v) -> bytes:
        if t == 8:
            return s(v.encode())
        if t == 4:
            return struct.pack("<I", v)
        if t == 9:
            itype, items = v
            return struct.pack("<IQ", itype, len(items)) + b"".join(val(itype, i) for i in items)
        raise AssertionError(t)

    out = b"GGUF" + struct.pack("<IQQ", version, n_tensors, len(kv))
    for k, t, v in kv:
        out += s(k.encode()) + struct.pack("<I", t) + val(t, v)
    return out


def test_gguf_malicious_chat_template() -> None:
    data = gguf([("general.architecture", 8, "llama"),
                 ("tokenizer.ggml.tokens", 9, (8, ["a", "b", "c"])),
                 ("tokenizer.ggml.token_type", 9, (4, [1, 1, 1])),
                 ("tokenizer.chat_template", 8, SSTI)])
    fs = scan("model.gguf", data)
    assert fs.format == "gguf" and fs.status == "unsafe"
    assert any(i.offset and i.offset > 0 for i in fs.issues if i.verdict == "block")


def test_gguf_benign_and_named_templates() -> None:
    assert scan("m.gguf", gguf([("tokenizer.chat_template", 8, BENIGN)])).status == "clean"
    fs = scan("m.gguf", gguf([("tokenizer.chat_template.tool_use", 8, SSTI)]))
    assert fs.status == "unsafe"


def test_gguf_limits_are_named() -> None:
    bad = b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + struct.pack("<Q", 2**40)
    fs = scan("m.gguf", bad)
    assert fs.status == "incomplete" and "max_gguf_key_bytes" in fs.stopped_by
    fs = scan("m.gguf", gguf([("x", 8, "y")], version=9))
    assert fs.status == "incomplete"
    fs = scan("m.gguf", gguf([("x", 8, "y")])[:-1])
    assert fs.status == "incomplete" and "truncated" in fs.stopped_by


# --- ONNX by hand ---------------------------------------------------------------------------------


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _f(num: int, payload: bytes | str | int) -> bytes:
    if isinstance(payload, int):
        return _varint(num << 3) + _varint(payload)
    if isinstance(payload, str):
        payload = payload.encode()
    return _varint(num << 3 | 2) + _varint(len(payload)) + payload


def onnx_model(location: str | None = None, domain: str = "") -> bytes:
    node = _f(1, "X") + _f(2, "Y") + _f(4, "Relu") + (_f(7, domain) if domain else b"")
    init = _f(8, "W")
    if location is not None:
        init += _f(13, _f(1, "location") + _f(2, location)) + _f(14, 1)
    graph = _f(1, node) + _f(2, "g") + _f(5, init)
    return _f(1, 8) + _f(2, "pytorch") + _f(7, graph) + _f(8, _f(2, 17))


def test_onnx_clean() -> None:
    fs = scan("model.onnx", onnx_model())
    assert fs.format == "onnx" and fs.status == "clean"


def test_onnx_external_data_traversal_blocks() -> None:
    fs = scan("model.onnx", onnx_model("../../etc/passwd"))
    assert fs.status == "unsafe"
    assert "onnx-external-data-traversal" in {i.trick for i in fs.issues}
    assert scan("model.onnx", onnx_model("/etc/passwd")).status == "unsafe"
    fs = scan("sub/model.onnx", onnx_model("weights.bin"),
              release_files=frozenset({"sub/model.onnx", "sub/weights.bin"}))
    assert fs.status == "clean"


def test_onnx_custom_domain_needs_review() -> None:
    assert scan("model.onnx", onnx_model(domain="com.evil")).status == "review"
    assert scan("model.onnx", onnx_model(domain="com.microsoft")).status == "clean"


def test_onnx_garbage_is_incomplete() -> None:
    fs = scan("model.onnx", b"\x08\x08\x3a\xff\xff\xff\x0f")
    assert fs.status == "incomplete"


def test_onnx_built_with_the_library() -> None:
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper

    w = helper.make_tensor("W", TensorProto.FLOAT, [1], [1.0])
    w.data_location = TensorProto.EXTERNAL
    del w.float_data[:]
    e = w.external_data.add()
    e.key, e.value = "location", "../../etc/passwd"
    node = helper.make_node("Add", ["X", "W"], ["Y"])
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("X", 1, [1])],
                              [helper.make_tensor_value_info("Y", 1, [1])], [w])
    data = helper.make_model(graph).SerializeToString()
    assert scan("m.onnx", data).status == "unsafe"


# --- Keras ------------------------------------------------------------------------------------------


def keras_zip(layers: list[dict]) -> bytes:
    cfg = {"module": "keras", "class_name": "Sequential",
           "config": {"name": "seq", "layers": layers}}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("metadata.json", json.dumps({"keras_version": "3.5.0"}))
        z.writestr("config.json", json.dumps(cfg))
        z.writestr("model.weights.h5", b"\x89HDF\r\n\x1a\n" + b"\x00" * 100)
    return buf.getvalue()


DENSE = {"module": "keras.layers", "class_name": "Dense", "config": {"name": "d", "units": 1}}


def test_keras_zip_benign() -> None:
    fs = scan("model.keras", keras_zip([DENSE]))
    assert fs.format == "keras-zip" and fs.status == "clean", fs.issues


def test_keras_zip_lambda_blocks() -> None:
    lam = {"module": "keras.layers", "class_name": "Lambda",
           "config": {"name": "l", "function": {"class_name": "__lambda__",
                                               "config": {"code": "4wEAAAAAAAAA"}}}}
    fs = scan("model.keras", keras_zip([DENSE, lam]))
    assert fs.status == "unsafe"
    assert "keras-lambda" in {i.trick for i in fs.issues}


def test_keras_zip_foreign_module() -> None:
    assert scan("m.keras", keras_zip([{"module": "my_pkg.layers", "class_name": "X",
                                       "config": {}}])).status == "review"
    assert scan("m.keras", keras_zip([{"module": "os", "class_name": "system",
                                       "config": {}}])).status == "unsafe"


def test_h5_model_config_lambda_by_bytes() -> None:
    cfg = json.dumps({"class_name": "Sequential", "config": {"layers": [
        {"class_name": "Lambda", "config": {"name": "l", "function": "lambda x: eval('1')"}}]}})
    data = b"\x89HDF\r\n\x1a\n" + b"\x00" * 200 + b"model_config\x00" + cfg.encode() + b"\x00" * 64
    fs = scan("model.h5", data)
    assert fs.format == "hdf5" and fs.status == "unsafe"
    benign = data.replace(b'"Lambda"', b'"Dense"')
    assert scan("model.h5", benign).status == "clean"


def test_h5_built_with_h5py(tmp_path) -> None:
    h5py = pytest.importorskip("h5py")
    p = tmp_path / "m.h5"
    cfg = {"class_name": "Sequential", "config": {"layers": [
        {"class_name": "Lambda", "config": {"name": "l", "function": ["4wEAAAA", None, None]}}]}}
    with h5py.File(p, "w") as f:
        f.attrs["model_config"] = json.dumps(cfg)
    assert scan("m.h5", p.read_bytes()).status == "unsafe"


# --- SavedModel ---------------------------------------------------------------------------------------


def saved_model(*ops: str) -> bytes:
    nodes = b"".join(_f(1, _f(1, f"n{i}") + _f(2, op)) for i, op in enumerate(ops))
    return _f(1, 1) + _f(2, _f(2, nodes))


def test_savedmodel_ops() -> None:
    assert scan("saved_model.pb", saved_model("Const", "SaveV2", "RestoreV2")).status == "clean"
    assert scan("saved_model.pb", saved_model("Const", "PyFunc")).status == "unsafe"
    assert scan("saved_model.pb", saved_model("ReadFile")).status == "review"


# --- config.json auto_map ---------------------------------------------------------------------------


def test_auto_map_is_code_that_runs_on_load() -> None:
    cfg = json.dumps({"model_type": "x", "auto_map": {
        "AutoConfig": "configuration_x.XConfig",
        "AutoModel": "modeling_x.XModel",
        "AutoTokenizer": ["other/repo--tokenization_x.XTok", None]}}).encode()
    fs = scan("sub/config.json", cfg,
              release_files=frozenset({"sub/config.json", "sub/configuration_x.py"}))
    assert fs.status == "review"
    details = " | ".join(i.detail for i in fs.issues)
    assert "sub/configuration_x.py is code that runs on load under trust_remote_code in the " \
           "release" in details
    assert "sub/modeling_x.py is code that runs on load under trust_remote_code missing" in details
    assert "another repo (other/repo)" in details


def test_plain_config_is_clean() -> None:
    assert scan("config.json", b'{"model_type": "llama", "hidden_size": 8}').status == "clean"


def test_gguf_string_arrays_tell_a_remote_source_how_far_they_reach() -> None:
    """With a `will_read` hint, walking a long string array says (once its first strings give
    their mean length) where the array probably ends, again when the walk passes that point; the
    verdict is the same as without hints, and each hinted range starts where the walk is."""
    from trueopen.scan.dispatch import scan_file

    tokens = [f"tok{i:06d}" for i in range(5000)]
    merges = [("ab " * (1 + i // 500)).strip() for i in range(3000)]  # later strings longer
    data = gguf([("general.architecture", 8, "llama"), ("tokenizer.ggml.tokens", 9, (8, tokens)),
                 ("tokenizer.ggml.token_type", 9, (4, [1] * 5000)), ("tokenizer.ggml.merges", 9, (8, merges)),
                 ("tokenizer.chat_template", 8, SSTI)])
    hints: list[tuple[int, int]] = []
    read_at = lambda o, n: data[o:o + n]
    hinted = scan_file("m.gguf", read_at, len(data), lambda: io.BytesIO(data), will_read=lambda s, e: hints.append((s, e)))
    plain = scan_file("m.gguf", read_at, len(data), lambda: io.BytesIO(data))
    assert hinted == plain and plain.status == "unsafe"
    tokens_start = data.index(b"tok000000") - 8
    tokens_end = data.index(b"tokenizer.ggml.token_type") - 8
    first = hints[0]
    # 256 tokens read, then the rest: the same length each, so the estimate is the array's end
    # (plus the slack that covers the next key through the read buffer).
    assert first[0] == tokens_start + 256 * (8 + 9)
    assert tokens_end <= first[1] <= tokens_end + (1 << 16) + 4096
    merges_start = data.index(b"tokenizer.ggml.merges") + len("tokenizer.ggml.merges") + 4 + 12
    later = [h for h in hints if h[0] > merges_start]
    assert len(later) >= 2  # the first estimate fell short (longer strings later): hinted again
    assert all(s < e for s, e in hints) and all(a[0] < b[0] for a, b in zip(hints, hints[1:]))


def test_gguf_small_arrays_and_local_files_are_not_hinted() -> None:
    from trueopen.scan.dispatch import scan_file

    data = gguf([("tokenizer.ggml.tokens", 9, (8, ["a"] * 200))])
    hints: list = []
    scan_file("m.gguf", lambda o, n: data[o:o + n], len(data), lambda: io.BytesIO(data), will_read=lambda s, e: hints.append((s, e)))
    assert hints == []


def test_gguf_hints_stop_for_long_strings_and_stay_near_what_is_read() -> None:
    """No hint while the strings are long (a mean over 4 KiB: no vocabulary, and a hint would
    fetch bodies the walk skips); a hint never reaches further than the length fields of the
    strings left plus what the array took so far (or 1/2048 of the file)."""
    from trueopen.scan.dispatch import scan_file

    long_first = gguf([("tokenizer.ggml.tokens", 9, (8, ["x" * 9000] * 300 + ["ab"] * 300))])
    hints: list[tuple[int, int]] = []
    scan_file("m.gguf", lambda o, n: long_first[o:o + n], len(long_first), lambda: io.BytesIO(long_first),
              will_read=lambda s, e: hints.append((s, e)))
    assert hints == []
    special_first = gguf([("tokenizer.ggml.tokens", 9, (8, [f"<|reserved_special_token_{i}|>" for i in range(256)]
                                                         + [f"t{i}" for i in range(40_000)]))])
    hints.clear()
    scan_file("m.gguf", lambda o, n: special_first[o:o + n], len(special_first), lambda: io.BytesIO(special_first),
              will_read=lambda s, e: hints.append((s, e)))
    array_end = len(special_first)
    assert hints and max(e for _, e in hints) <= array_end + 2 * ((1 << 16) + 4096)
