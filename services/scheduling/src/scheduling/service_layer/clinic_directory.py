"""Use cases on scheduling's clinic directory."""

from __future__ import annotations

from scheduling.adapters.clinic_directory import ClinicDirectory
from scheduling.domain.clinic_directory import ClinicSnapshot


def record_clinic(directory: ClinicDirectory, snapshot: ClinicSnapshot) -> bool:
    """Keep `snapshot` if it is newer than the one held; True when it was kept."""
    held = directory.get(snapshot.clinic_id)
    if not snapshot.supersedes(held):
        return False
    directory.put(snapshot, replacing=held is not None)
    return True
