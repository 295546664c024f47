"""Tests for trueopen.readers.shard_index."""

from __future__ import annotations

import json

import pytest

from trueopen.readers import shard_index
from trueopen.readers.shard_index import ShardProblem, check_index

IDX = "model.safetensors.index.json"
S1 = "model-00001-of-00002.safetensors"
S2 = "model-00002-of-00002.safetensors"


def _index(weight_map: object, **extra: object) -> str:
    doc = {"metadata": {"total_size": 100}, "weight_map": weight_map}
    doc.update(extra)
    return json.dumps(doc)


GOOD = {"a.weight": S1, "a.bias": S1, "b.weight": S2}


def test_consistent_index_has_no_problems() -> None:
    shards = {S1: {"a.weight", "a.bias"}, S2: {"b.weight"}}
    assert check_index(IDX, _index(GOOD), {IDX, S1, S2, "config.json"}, shards) == []
    assert check_index(IDX, _index(GOOD), {IDX, S1, S2}) == []


def test_index_in_a_subfolder_resolves_shards_there() -> None:
    idx = "weights/pytorch_model.bin.index.json"
    wm = {"x": "pytorch_model-00001-of-00001.bin"}
    present = {idx, "weights/pytorch_model-00001-of-00001.bin"}
    assert check_index(idx, _index(wm), present) == []
    # The same shard at the release root does not count.
    probs = check_index(idx, _index(wm), {idx, "pytorch_model-00001-of-00001.bin"})
    assert probs == [ShardProblem("weights/pytorch_model-00001-of-00001.bin",
                                  "tensor 'x' mapped to absent file "
                                  "'pytorch_model-00001-of-00001.bin'")]


@pytest.mark.parametrize(
    "text,detail",
    [
        ("{not json", "index is not valid JSON at line 1: Expecting property name enclosed in double quotes"),
        ("[1, 2]", "index is not a JSON object"),
        ('{"metadata": {}}', "index has no weight_map"),
        ('{"weight_map": ["a", "b"]}', "weight_map is not a mapping"),
        ('{"weight_map": "x"}', "weight_map is not a mapping"),
        ("[" * 100_000 + "]" * 100_000, "index JSON nested too deeply (limit: interpreter recursion)"),
    ],
)
def test_unusable_index(text: str, detail: str) -> None:
    assert check_index(IDX, text, {IDX}) == [ShardProblem(IDX, detail)]


def test_metadata_not_an_object() -> None:
    probs = check_index(IDX, _index(GOOD, metadata=3), {IDX, S1, S2})
    assert probs == [ShardProblem(IDX, "metadata is not an object")]


def test_oversized_index_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shard_index, "MAX_INDEX_BYTES", 2**20)
    text = _index({f"t{i}": S1 for i in range(60_000)})
    assert len(text) > 2**20
    probs = check_index(IDX, text, {IDX, S1})
    assert probs == [ShardProblem(IDX, "index larger than 1 MiB (limit MAX_INDEX_BYTES); not read")]


def test_default_limit_is_64_mib() -> None:
    assert shard_index.MAX_INDEX_BYTES == 64 * 2**20


def test_missing_shards_grouped_one_problem_each() -> None:
    wm = {"z.weight": S2, "b.weight": S2, "c.weight": S2, "a": S1}
    probs = check_index(IDX, _index(wm), {IDX})
    assert probs == [
        ShardProblem(S1, f"tensor 'a' mapped to absent file '{S1}'"),
        ShardProblem(S2, f"3 tensors mapped to absent file '{S2}', first 'b.weight'"),
    ]


def test_escaping_shard_names() -> None:
    wm = {"a": "../outside.safetensors", "b": "/etc/passwd", "c": "C:\\w.bin",
          "d": "sub/../../x.bin", "e": S1}
    probs = check_index(IDX, _index(wm), {IDX, S1})
    assert [p.path for p in probs] == ["../outside.safetensors", "/etc/passwd", "C:\\w.bin",
                                       "sub/../../x.bin"]
    assert all("shard path escapes the index folder" in p.detail for p in probs)
    assert "first 'a'" in probs[0].detail


def test_values_that_are_not_file_names() -> None:
    probs = check_index(IDX, _index({"a": 3, "b": None, "c": "", "d": S1}), {IDX, S1})
    assert probs == [ShardProblem(IDX, "3 tensors mapped to something that is not a file "
                                       "name: 'a', 'b', 'c'")]


def test_shard_tensor_cross_check() -> None:
    wm = {"a.weight": S1, "a.bias": S1, "b.weight": S2, "moved": S2}
    shards = {S1: {"a.weight", "moved", "stray1", "stray2"}, S2: {"b.weight"}}
    probs = check_index(IDX, _index(wm), {IDX, S1, S2}, shards)
    assert probs == [
        ShardProblem(S1, "1 tensor listed in the index but not in this shard: 'a.bias'"),
        ShardProblem(S1, "3 tensors in this shard but not mapped to it by the index: "
                         "'moved', 'stray1', 'stray2'"),
        ShardProblem(S2, "1 tensor listed in the index but not in this shard: 'moved'"),
    ]


def test_shard_tensors_keyed_by_release_path() -> None:
    idx = "w/" + IDX
    present = {idx, "w/" + S1}
    probs = check_index(idx, _index({"a": S1}), present, {"w/" + S1: {"a", "b"}})
    assert probs == [ShardProblem("w/" + S1, "1 tensor in this shard but not mapped to it by "
                                             "the index: 'b'")]


def test_long_name_lists_are_truncated() -> None:
    shards = {S1: {f"t{i:02}" for i in range(8)}}
    probs = check_index(IDX, _index({"x": S1}), {IDX, S1}, shards)
    assert probs[1].detail.endswith("'t00', 't01', 't02', 't03', 't04' and 3 more")


def test_unreferenced_shard_of_the_same_family() -> None:
    wm = {"a": "model-00001-of-00003.safetensors", "b": "model-00002-of-00003.safetensors"}
    present = {IDX, "model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors",
               "model-00003-of-00003.safetensors", "other-00001-of-00001.safetensors",
               "sub/model-00003-of-00003.safetensors"}
    probs = check_index(IDX, _index(wm), present)
    assert probs == [ShardProblem("model-00003-of-00003.safetensors",
                                  f"shard file not referenced by the index '{IDX}'")]


def test_output_is_sorted_and_deterministic() -> None:
    wm = {f"t{i}": f"s{i % 7}.bin" for i in range(50)}
    a = check_index(IDX, _index(wm), {IDX, "s3.bin"})
    b = check_index(IDX, _index(dict(reversed(list(wm.items())))), {"s3.bin", IDX})
    assert a == b
    assert a == sorted(a, key=lambda p: (p.path, p.detail))
    assert len(a) == 6


def test_duplicate_keys_are_reported() -> None:
    text = '{"weight_map": {"a": "%s", "b": "%s", "a": "%s"}}' % (S1, S1, S2)
    probs = check_index(IDX, text, {IDX, S1, S2})
    assert probs == [ShardProblem(IDX, "duplicate keys (the last one wins): 'a'")]
