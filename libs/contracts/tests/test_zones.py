"""The zone names every service accepts alike."""

from clinic_contracts.zones import is_time_zone


def test_known_zones_are_iana_names():
    assert [is_time_zone(name) for name in ("Europe/Bucharest", "America/New_York", "UTC", "Europe/Cluj", "+02:00",
                                            "")] == [True, True, True, False, False, False]


def test_zone_files_of_the_host_that_are_no_iana_zones_are_not_zones():
    """`localtime` is the host's own zone (a link to /etc/localtime) and Factory means "not set"."""
    assert [is_time_zone(name) for name in ("localtime", "posixrules", "Factory")] == [False, False, False]
    assert all(is_time_zone(name) for name in ("Etc/GMT+12", "Pacific/Kiritimati", "US/Eastern", "GMT"))
