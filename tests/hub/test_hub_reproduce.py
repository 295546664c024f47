"""`trueopen reproduce` of a Hub repo: the files come through the Hub reader (fake Hub on 127.0.0.1)."""

from __future__ import annotations

import pytest

from builders import EXAMPLES
from trueopen.reproduce.replay import ReplayOptions, reproduce
from trueopen.reproduce.sandbox import bubblewrap

_BWRAP, _WHY = bubblewrap()


@pytest.mark.skipif(_BWRAP is None, reason=_WHY or "bubblewrap unavailable")
def test_a_hub_release_reproduces_bitwise(fake_hub, tmp_path) -> None:
    commit = fake_hub.add_repo("org/fully-open", EXAMPLES / "fully-open")
    a = reproduce("hf://org/fully-open", ReplayOptions(yes=True, out=tmp_path / "ev"))
    rep = a.reproduction
    assert a.target.revision == commit
    assert rep.grade == "bitwise", (rep.reason, rep.log_tail)
    assert len(rep.files) == 4
