"""Use cases on scheduling's clinic directory."""

from __future__ import annotations

from scheduling.adapters.clinic_directory import ClinicDirectory
from scheduling.domain.clinic_directory import ClinicSnapshot


def record_clinic(directory: ClinicDirectory, snapshot: ClinicSnapshot) -> bool:
    """Keep `snapshot` if it is newer than the one held (events may arrive out of order);
    True when it was kept."""
    return directory.keep_newest(snapshot)
