"""TOTP per RFC 6238: the RFC's own test vectors, the one-step window, no code twice."""

from __future__ import annotations

from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from gateway.domain import totp

RFC_SECRET = b"12345678901234567890"  # RFC 6238 appendix B, the SHA1 seed


@pytest.mark.parametrize(("unix_time", "expected"), [
    (59, "94287082"),
    (1111111109, "07081804"),
    (1111111111, "14050471"),
    (1234567890, "89005924"),
    (2000000000, "69279037"),
    (20000000000, "65353130"),
])
def test_codes_match_the_rfc_6238_appendix_b_vectors_for_sha1(unix_time, expected):
    assert totp.totp(RFC_SECRET, unix_time, digits=8) == expected


def test_a_six_digit_code_is_the_last_six_digits_of_the_rfc_value():
    assert totp.totp(RFC_SECRET, 59) == "287082"


def test_codes_change_every_thirty_seconds_and_not_within_a_step():
    assert totp.totp(RFC_SECRET, 60) == totp.totp(RFC_SECRET, 89)
    assert totp.totp(RFC_SECRET, 89) != totp.totp(RFC_SECRET, 90)


NOW = 1_800_000_015.0  # the middle of a step


def code_at(steps_from_now: int) -> str:
    return totp.totp(RFC_SECRET, NOW + steps_from_now * totp.STEP_SECONDS)


def test_the_current_code_is_accepted_and_names_its_step():
    assert totp.accepted_step(RFC_SECRET, code_at(0), NOW, None) == totp.time_step(NOW)


@pytest.mark.parametrize("steps", [-1, 1])
def test_a_code_one_step_early_or_late_is_accepted_for_clock_drift(steps):
    assert totp.accepted_step(RFC_SECRET, code_at(steps), NOW, None) == totp.time_step(NOW) + steps


@pytest.mark.parametrize("steps", [-2, 2, -10])
def test_a_code_two_or_more_steps_away_is_refused(steps):
    assert totp.accepted_step(RFC_SECRET, code_at(steps), NOW, None) is None


def test_a_code_of_a_step_already_used_is_refused():
    used = totp.time_step(NOW)
    assert totp.accepted_step(RFC_SECRET, code_at(0), NOW, used) is None


def test_a_code_older_than_the_last_used_step_is_refused_even_within_the_window():
    assert totp.accepted_step(RFC_SECRET, code_at(-1), NOW, totp.time_step(NOW)) is None


def test_the_next_step_is_accepted_after_the_current_one_was_used():
    used = totp.time_step(NOW)
    assert totp.accepted_step(RFC_SECRET, code_at(1), NOW, used) == used + 1


@pytest.mark.parametrize("typed", ["", "12345", "1234567", "abcdef", "12 34 5x"])
def test_anything_but_six_digits_is_refused(typed):
    assert totp.accepted_step(RFC_SECRET, typed, NOW, None) is None


# Six digits to isdigit(), but not ASCII: Arabic-Indic, Extended Arabic-Indic, fullwidth, superscript.
@pytest.mark.parametrize("typed", ["\u0661\u0662\u0663\u0664\u0665\u0666", "\u06f1\u06f2\u06f3\u06f4\u06f5\u06f6",
                                   "\uff11\uff12\uff13\uff14\uff15\uff16", "\u00b9\u00b2\u00b3\u2074\u2075\u2076"])
def test_digits_of_other_scripts_are_refused_not_an_error(typed):
    assert typed.isdigit()
    assert totp.accepted_step(RFC_SECRET, typed, NOW, None) is None


def test_the_right_code_in_arabic_indic_digits_is_refused():
    arabic_indic = code_at(0).translate({ord("0") + n: 0x0660 + n for n in range(10)})
    assert int(arabic_indic) == int(code_at(0))
    assert totp.accepted_step(RFC_SECRET, arabic_indic, NOW, None) is None


def test_a_code_typed_with_a_space_in_the_middle_is_accepted():
    code = code_at(0)
    assert totp.accepted_step(RFC_SECRET, f"{code[:3]} {code[3:]}", NOW, None) is not None


def test_a_wrong_code_is_refused():
    window = {code_at(-1), code_at(0), code_at(1)}
    wrong = next(f"{n:06d}" for n in range(1_000_000) if f"{n:06d}" not in window)
    assert totp.accepted_step(RFC_SECRET, wrong, NOW, None) is None


def test_new_secrets_are_160_random_bits_and_survive_base32_both_ways():
    first, second = totp.new_secret(), totp.new_secret()
    assert len(first) == 20 and first != second
    encoded = totp.encode_secret(first)
    assert "=" not in encoded
    assert totp.decode_secret(encoded) == first


def test_the_otpauth_uri_names_issuer_account_secret_and_the_parameters_apps_need():
    uri = urlsplit(totp.otpauth_uri(RFC_SECRET, "ana@example.com", "Clinic platform"))
    assert (uri.scheme, uri.netloc) == ("otpauth", "totp")
    assert unquote(uri.path) == "/Clinic platform:ana@example.com"
    assert parse_qs(uri.query) == {"secret": [totp.encode_secret(RFC_SECRET)], "issuer": ["Clinic platform"],
                                   "algorithm": ["SHA1"], "digits": ["6"], "period": ["30"]}


def test_ten_distinct_recovery_codes_are_made_of_unambiguous_characters():
    codes = totp.new_recovery_codes()
    assert len(codes) == len(set(codes)) == 10
    for code in codes:
        groups = code.split("-")
        assert [len(g) for g in groups] == [4, 4, 4, 4]
        assert set("".join(groups)) <= set(totp.RECOVERY_ALPHABET)


def test_a_recovery_code_is_recognised_with_or_without_dashes_and_in_any_case():
    digest = totp.recovery_code_digest("abcd-efgh-jkmn-pqrs")
    assert totp.recovery_code_digest("ABCDEFGHJKMNPQRS") == digest
    assert totp.recovery_code_digest(" abcd efgh jkmn pqrs ") == digest
    assert totp.recovery_code_digest("abcd-efgh-jkmn-pqrt") != digest


def test_a_recovery_code_of_any_characters_has_a_digest_never_an_error():
    digest = totp.recovery_code_digest("abcd-efgh-jkmn-pqrs")
    assert totp.recovery_code_digest("\uff41\uff42\uff43\uff44-efgh-jkmn-pqrs") != digest  # fullwidth "abcd"
    assert len(totp.recovery_code_digest("\u0661\u0662\u0663\u0664-\U0001f600")) == 64
