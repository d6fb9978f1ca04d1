"""The server process tunes the collector once its dataset is recovered."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from weir.server.run import GC_YOUNG_THRESHOLD, tune_gc


@pytest.fixture
def restore_gc() -> Iterator[None]:
    before = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*before)


def test_tune_gc_freezes_the_dataset_and_raises_the_young_threshold(restore_gc: None) -> None:
    older = gc.get_threshold()[1:]
    dataset = [[i] for i in range(1000)]  # containers the collector tracks
    tune_gc()
    assert gc.get_freeze_count() >= len(dataset)
    assert gc.get_threshold() == (GC_YOUNG_THRESHOLD, *older)
