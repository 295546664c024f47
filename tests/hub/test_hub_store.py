"""The audit store with Hub targets: identity from the Hub, reuse keyed by the commit (fake Hub on 127.0.0.1)."""

from __future__ import annotations

from builders import EXAMPLES
from trueopen.index.build import BuildOptions, ListLine, build
from trueopen.index.stored import audit_with_store


def test_a_hub_release_is_reused_at_the_same_commit_and_audited_at_a_new_one(fake_hub, tmp_path) -> None:
    store = tmp_path / "s.sqlite"
    commit = fake_hub.add_repo("org/tiny", EXAMPLES / "open-weights")
    first = audit_with_store("hf://org/tiny", store=store)
    assert first.identity.id == "https://huggingface.co/org/tiny" and first.identity.revision == commit
    assert not first.reused
    fake_hub.clear_log()
    second = audit_with_store("hf://org/tiny", store=store)
    assert second.reused and second.audit == first.audit
    # only the commit and the file list were asked for: no file was read
    assert not [r for r in fake_hub.requests() if "/resolve/" in r.path or r.server == "cdn"]
    newer = fake_hub.add_repo("org/tiny", EXAMPLES / "fully-open")
    third = audit_with_store("hf://org/tiny", store=store)
    assert not third.reused and third.identity.revision == newer
    entry = build([ListLine(1, "hf://org/tiny")], BuildOptions(store=store, jobs=1))[0]
    assert entry.reused and [s.revision for s in entry.history] == [newer, commit]
    assert any(c.field == "verdict:label" for c in entry.history[0].changes)
