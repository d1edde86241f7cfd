"""Scheduling's clinic directory keeps the newest snapshot, whatever order events arrive in."""

from __future__ import annotations

import itertools
import uuid

import pytest

from scheduling.service_layer.clinic_directory import record_clinic

# -- ClinicSnapshot.supersedes ----------------------------------------------------------------


def test_any_snapshot_supersedes_nothing_held(snapshot):
    assert snapshot(1).supersedes(None)


def test_a_newer_version_supersedes_the_one_held(snapshot):
    assert snapshot(2).supersedes(snapshot(1))


@pytest.mark.parametrize(("arriving", "held"), [(2, 2), (1, 2), (1, 5)])
def test_an_equal_or_older_version_does_not_supersede(snapshot, arriving, held):
    assert not snapshot(arriving).supersedes(snapshot(held))


def test_only_the_version_decides_not_the_timestamp(snapshot):
    newer_but_earlier = snapshot(3, updated_at=snapshot(1).updated_at)

    assert newer_but_earlier.supersedes(snapshot(2))


# -- record_clinic ----------------------------------------------------------------------------


def test_the_first_snapshot_of_a_clinic_is_kept(directory, snapshot):
    assert record_clinic(directory, snapshot(1)) is True

    assert directory.get(snapshot(1).clinic_id) == snapshot(1)
    assert directory.stored == [1]


def test_a_newer_snapshot_replaces_the_one_held(directory, snapshot):
    record_clinic(directory, snapshot(1))

    assert record_clinic(directory, snapshot(2, archived=True)) is True

    assert directory.get(snapshot(1).clinic_id) == snapshot(2, archived=True)
    assert directory.stored == [1, 2]


def test_a_newer_snapshot_may_skip_versions(directory, snapshot):
    record_clinic(directory, snapshot(1))

    assert record_clinic(directory, snapshot(4)) is True
    assert directory.get(snapshot(1).clinic_id).version == 4


@pytest.mark.parametrize("late", [1, 2], ids=["older", "equal"])
def test_an_older_or_equal_snapshot_is_ignored(directory, snapshot, late):
    record_clinic(directory, snapshot(2))

    assert record_clinic(directory, snapshot(late, name="Stale name")) is False

    assert directory.get(snapshot(2).clinic_id) == snapshot(2)
    assert directory.stored == [2]


@pytest.mark.parametrize("order", list(itertools.permutations([1, 2, 3])), ids=lambda o: "-".join(map(str, o)))
def test_whatever_order_events_arrive_in_the_newest_wins(directory, snapshot, order):
    for version in order:
        record_clinic(directory, snapshot(version))

    assert directory.get(snapshot(1).clinic_id) == snapshot(3)


def test_clinics_are_kept_apart(directory, snapshot):
    other = snapshot(1, clinic_id=uuid.uuid4(), slug="physio-cluj")
    record_clinic(directory, snapshot(5))

    assert record_clinic(directory, other) is True

    assert directory.get(other.clinic_id) == other
    assert directory.get(snapshot(5).clinic_id) == snapshot(5)
