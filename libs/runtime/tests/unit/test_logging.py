"""Logs are JSON lines with context, and never carry an email address or a phone number."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import time

from clinic_runtime import context
from clinic_runtime.logging import JsonFormatter, configure_logging, redact


def test_email_addresses_are_masked():
    assert redact("booked by maria.popescu+test@example.ro today") == "booked by [email] today"


def test_addresses_in_any_script_are_masked_whole():
    for address in ("ștefan.ionescu@spital-județean.ro", "ion@clinică.ro", "ana.mărgărit@exemplu.ro",
                    "o'brien@example.ie", "ΑΝΝΑ@παράδειγμα.ελ"):
        assert redact(f"booked by {address} today") == "booked by [email] today", address


def test_an_address_is_masked_up_to_the_delimiters_that_frame_it():
    assert redact("to <ion@clinică.ro>, (ana@exemplu.ro); [rita@example.com]") == (
        "to <[email]>, ([email]); [[email]]")
    assert redact("[parameters: {'email': 'ion@clinică.ro', 'to': \"ana@exemplu.ro\"}]") == (
        "[parameters: {'email': [email], 'to': \"[email]\"}]")


def test_a_decorator_or_an_address_without_a_dot_after_the_at_is_kept():
    text = "    @app.route('/x') at rabbit@localhost"
    assert redact(text) == text


def test_masking_takes_linear_time_on_long_runs_without_an_address():
    text = "x" * 50_000 + "@" + "y" * 50_000 + " " + "z" * 50_000 + " @"
    started = time.perf_counter()
    assert redact(text) == text
    assert time.perf_counter() - started < 1


def test_the_row_or_key_postgresql_quotes_in_a_refusal_is_dropped():
    text = ('(psycopg.errors.UniqueViolation) duplicate key value violates unique constraint "patients_name_key"\n'
            "DETAIL:  Key (name)=(Ioana Vasilescu) already exists.\n[SQL: INSERT INTO patients VALUES (%(name)s)]")
    assert redact(text) == text.replace("Key (name)=(Ioana Vasilescu) already exists.", "[hidden]")


def test_phone_numbers_are_masked_in_international_and_national_forms():
    for number in ("+40 721 234 567", "+40721234567", "0721-234-567", "(212) 555-0187", "+1 212 555 0187",
                   "0722/999/888", "+40 (722) 999/888"):
        assert redact(f"call {number} now") == "call [phone] now", number


def test_identifiers_and_times_are_not_mistaken_for_phone_numbers():
    text = "appointment 01a1fc5b-cedc-7548-b1dd-c870ee7b72c2 at 2026-11-21T09:00:00+02:00 took 1234 ms"
    assert redact(text) == text


def test_text_without_an_at_sign_or_a_digit_is_left_as_it_is():
    text = "POST /clinics/<uuid:clinic_id>/appointments: dr. Popescu (cardiology) - abcdefab-cdef-abcd-efab-cdefabcdefab"
    assert redact(text) == text
    assert redact("reach us at ana@example.com or (021) 555-0187") == "reach us at [email] or [phone]"


def test_a_servers_address_and_process_id_are_no_phone_number():
    text = "Listening at: http://127.0.0.1:8000 (2468)"
    assert redact(text) == text
    assert redact("GET https://clinic.example/patients?mobile=0721234567") == (
        "GET https://clinic.example/patients?mobile=[phone]")


def format_line(message: str, *args, **extra) -> dict:
    record = logging.LogRecord("t", logging.INFO, __file__, 1, message, args, None)
    for key, value in extra.items():
        setattr(record, key, value)
    return json.loads(JsonFormatter("catalog").format(record))


def test_a_log_line_carries_service_correlation_and_bound_fields():
    context.reset()
    context.set_correlation_id("corr-1")
    context.bind_log_fields(clinic_id="c-1", appointment_id="a-1")
    line = format_line("appointment %s confirmed", "a-1")
    assert line["service"] == "catalog"
    assert line["message"] == "appointment a-1 confirmed"
    assert line["correlation_id"] == "corr-1"
    assert line["clinic_id"] == "c-1" and line["appointment_id"] == "a-1"
    context.reset()


def test_personal_data_in_arguments_and_extra_fields_is_masked():
    line = format_line("patient %s registered", "ana@example.com", mobile="+40 721 234 567")
    assert line["message"] == "patient [email] registered"
    assert line["mobile"] == "[phone]"


def test_alembic_announcing_its_plugins_is_not_logged_but_its_migrations_are(capsys, monkeypatch):
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", list(root.handlers))  # configure_logging replaces them
    monkeypatch.setattr(root, "level", root.level)
    configure_logging("catalog", "INFO")
    logging.getLogger("alembic.runtime.plugins").info("setup plugin alembic.autogenerate.schemas")
    logging.getLogger("alembic.runtime.migration").info("Running upgrade 0001 -> 0002")

    lines = [json.loads(line)["message"] for line in capsys.readouterr().err.splitlines()]
    assert lines == ["Running upgrade 0001 -> 0002"]


def test_a_web_process_importing_alembic_under_gunicorns_logging_does_not_log_its_plugins():
    """gunicorn's logging holds while the app's modules are imported, before the app configures
    its own; Alembic announces its plugins when it is imported."""
    importing = ("import logging.config\n"
                 "from clinic_runtime import gunicorn_conf\n"
                 "logging.config.dictConfig(gunicorn_conf.logconfig_dict)\n"
                 "import alembic.runtime.plugins\n"
                 "logging.getLogger('alembic.runtime.migration').info('Running upgrade 0001 -> 0002')\n")
    result = subprocess.run([sys.executable, "-c", importing], capture_output=True, text=True, timeout=60,
                            check=True)

    assert [json.loads(line)["message"] for line in result.stderr.splitlines()] == ["Running upgrade 0001 -> 0002"]
