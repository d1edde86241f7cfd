"""Runs the whole platform as local processes: the one way used by `scripts/run` and by the e2e tests.

`Supervisor` starts processes in their own process groups (so gunicorn's children go with their
master), writes each one's output to `<log_dir>/<name>.log`, waits for readiness, notices a
process that dies, and stops everything. `platform_specs` describes the migrate, web and worker
processes of all six services; `start_platform` migrates, starts and waits for them.

    python -m clinic_runtime.devstack [--quiet]

is the local run: RabbitMQ from `AMQP_URL`, SQLite per service under `var/`, a development mail
sink on `SMTP_PORT`, the API on http://127.0.0.1:8000. Ctrl-C stops it.

Only the standard library is imported here at module level: this module lives in the runtime
library every service imports, and the mail sink's aiosmtpd is a development dependency.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, NoReturn
from urllib.parse import urlsplit, urlunsplit

DOMAIN_SERVICES = ("catalog", "scheduling", "billing", "entitlements", "notifications")
SERVICES = ("gateway", *DOMAIN_SERVICES)
DEFAULT_AMQP_URL = "amqp://guest:guest@localhost:5672/"
LOCAL_HOST = "127.0.0.1"
TAIL_LINES = 40
NAME_WIDTH = len("notifications-worker")


class ProcessDied(RuntimeError):
    """A process exited that was meant to keep running (or a one-shot one failed)."""

    def __init__(self, name: str, returncode: int, log_tail: str) -> None:
        self.name = name
        self.returncode = returncode
        self.how = (f"was killed by {signal.Signals(-returncode).name}" if returncode < 0
                    else f"exited with code {returncode}")
        self.log_tail = log_tail
        super().__init__(f"{name} {self.how}. Last lines of its log:\n{log_tail}")


@dataclass(frozen=True)
class ProcessSpec:
    name: str
    argv: tuple[str, ...]
    env: Mapping[str, str]
    # Polled by `wait_ready`: ready means HTTP 200 with a JSON `"status": "ready"`. None for
    # one-shot processes.
    ready_url: str | None = None


@dataclass
class _Process:
    spec: ProcessSpec
    popen: subprocess.Popen[bytes]
    reader: threading.Thread
    exit_expected: bool
    ready: bool = False


class Supervisor:
    """Starts, watches and stops a set of local processes."""

    def __init__(self, log_dir: Path, *, echo: bool = False, grace_seconds: float = 15.0) -> None:
        self.log_dir = Path(log_dir)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.echo = echo
        self.grace_seconds = grace_seconds
        self._processes: dict[str, _Process] = {}
        self._console = threading.Lock()

    @property
    def names(self) -> list[str]:
        return list(self._processes)

    def log_path(self, name: str) -> Path:
        return self.log_dir / f"{name}.log"

    def log_tail(self, name: str, lines: int = TAIL_LINES) -> str:
        try:
            text = self.log_path(name).read_text(errors="replace")
        except FileNotFoundError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:]) or "(empty log)"

    # -- starting ------------------------------------------------------------------------------

    def start(self, spec: ProcessSpec) -> None:
        """Start a long-running process; its exit counts as a failure unless we caused it."""
        self._spawn(spec, exit_expected=False)

    def run(self, specs: Iterable[ProcessSpec], timeout: float) -> None:
        """Run one-shot processes (migrations) side by side; raise if any fails."""
        specs = list(specs)
        for spec in specs:
            self._spawn(spec, exit_expected=True)
        deadline = time.monotonic() + timeout
        for spec in specs:
            process = self._processes[spec.name]
            try:
                code = process.popen.wait(max(deadline - time.monotonic(), 0))
            except subprocess.TimeoutExpired:
                raise TimeoutError(f"{spec.name} did not finish within {timeout:.0f} s:\n"
                                   f"{self.log_tail(spec.name)}") from None
            process.reader.join()
            if code != 0:
                raise ProcessDied(spec.name, code, self.log_tail(spec.name))

    def restart(self, name: str) -> None:
        """Stop the process if it still runs, then start it again with the same spec."""
        process = self._processes[name]
        if process.popen.poll() is None:
            self.kill(name, signal.SIGTERM)
        self._spawn(process.spec, exit_expected=False)

    def _spawn(self, spec: ProcessSpec, *, exit_expected: bool) -> None:
        previous = self._processes.get(spec.name)
        if previous is not None and previous.popen.poll() is None:
            raise RuntimeError(f"{spec.name} is already running")
        # A restart appends, so the log shows what happened before it.
        log = self.log_path(spec.name).open("ab" if previous else "wb")
        if previous:
            log.write(b"--- restarted by the supervisor ---\n")
        popen = subprocess.Popen(
            spec.argv,
            env=dict(spec.env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            # Its own session and process group: a terminal's Ctrl-C reaches only us, so we decide
            # the order of shutdown, and one killpg reaches gunicorn's workers too.
            start_new_session=True,
        )
        reader = threading.Thread(target=self._copy_output, args=(spec.name, popen.stdout, log),
                                  name=f"log-{spec.name}", daemon=True)
        reader.start()
        self._processes[spec.name] = _Process(spec, popen, reader, exit_expected)

    def _copy_output(self, name: str, stream: IO[bytes], log: IO[bytes]) -> None:
        with stream, log:
            for line in stream:
                log.write(line)
                log.flush()
                if self.echo:
                    text = line.decode(errors="replace").rstrip("\n")
                    with self._console:
                        print(f"{name:<{NAME_WIDTH}} | {text}", flush=True)

    # -- watching ------------------------------------------------------------------------------

    def check(self) -> None:
        """Raise `ProcessDied` for the first process that exited without being asked to."""
        for name, process in self._processes.items():
            code = process.popen.poll()
            if code is not None and not process.exit_expected:
                process.exit_expected = True  # reported once
                _signal_group(process.popen, signal.SIGKILL)  # e.g. a dead gunicorn master's workers
                process.reader.join(timeout=2)  # so the tail includes its last words
                raise ProcessDied(name, code, self.log_tail(name))

    def wait_ready(self, timeout: float) -> None:
        """Wait until every running process with a `ready_url` reports ready."""
        deadline = time.monotonic() + timeout
        answers: dict[str, str] = {}
        while True:
            self.check()
            waiting = [p for p in self._processes.values()
                       if p.spec.ready_url and not p.ready and p.popen.poll() is None]
            for process in waiting:
                process.ready, answers[process.spec.name] = _probe(process.spec.ready_url)
            waiting = [p for p in waiting if not p.ready]
            if not waiting:
                return
            if time.monotonic() > deadline:
                details = "\n".join(
                    f"--- {p.spec.name}: {answers[p.spec.name]}\n{self.log_tail(p.spec.name, 15)}" for p in waiting
                )
                raise TimeoutError(f"not ready within {timeout:.0f} s:\n{details}")
            time.sleep(0.25)

    def watch(self, poll_seconds: float = 0.5) -> NoReturn:
        """Block until a process dies, then raise `ProcessDied`."""
        while True:
            self.check()
            time.sleep(poll_seconds)

    # -- stopping ------------------------------------------------------------------------------

    def kill(self, name: str, sig: signal.Signals = signal.SIGKILL) -> None:
        """Send `sig` to the process's group and wait for it to exit (SIGKILL after the grace
        period). The exit is expected, so `check` does not report it."""
        process = self._processes[name]
        process.exit_expected = True
        process.ready = False
        _signal_group(process.popen, sig)
        self._await_exit([process])

    def stop_all(self) -> None:
        """SIGTERM to every running process at once, SIGKILL to whatever outlives the grace
        period."""
        running = [p for p in self._processes.values() if p.popen.poll() is None]
        for process in running:
            process.exit_expected = True
            _signal_group(process.popen, signal.SIGTERM)
        self._await_exit(running)

    def _await_exit(self, processes: list[_Process]) -> None:
        deadline = time.monotonic() + self.grace_seconds
        for process in processes:
            try:
                process.popen.wait(max(deadline - time.monotonic(), 0))
            except subprocess.TimeoutExpired:
                _signal_group(process.popen, signal.SIGKILL)
                process.popen.wait()
        for process in processes:
            # A leader's exit can leave children behind (gunicorn workers of a killed master).
            # Right away: once the group is empty its id may be reused.
            _signal_group(process.popen, signal.SIGKILL)
            process.reader.join(timeout=5)


def _signal_group(popen: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    try:
        os.killpg(popen.pid, sig)
    except ProcessLookupError:
        pass  # the whole group is gone already


def _probe(url: str) -> tuple[bool, str]:
    """(ready?, what the endpoint said) for a `/readyz` URL."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            status = json.loads(response.read()).get("status")
            return response.status == 200 and status == "ready", f"HTTP {response.status}, status {status!r}"
    except urllib.error.HTTPError as error:
        return False, f"HTTP {error.code}"
    except (OSError, ValueError) as error:
        return False, f"no answer ({type(error).__name__})"


# -- the platform's processes -----------------------------------------------------------------


@dataclass(frozen=True)
class Ports:
    web: Mapping[str, int]
    worker: Mapping[str, int]

    @classmethod
    def defaults(cls) -> Ports:
        """The ports each service's settings default to (the single place they are written)."""
        def default(service: str, name: str) -> int:
            settings = importlib.import_module(f"{service}.settings").Settings
            return settings.model_fields[name].default

        return cls({s: default(s, "http_port") for s in SERVICES},
                   {s: default(s, "worker_port") for s in SERVICES})

    @classmethod
    def free(cls) -> Ports:
        """Ports nothing listens on now, so a test platform never collides with a local run."""
        ports = free_ports(2 * len(SERVICES))
        return cls(dict(zip(SERVICES, ports)), dict(zip(SERVICES, ports[len(SERVICES):])))


def ports_in_use(ports: list[int]) -> list[int]:
    """Those of `ports` something listens on (or holds) now, on any address of this machine."""
    taken = []
    for port in ports:
        with socket.socket() as probe:
            # As the servers bind: a port a run just left (TIME_WAIT) is free for them.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("", port))
            except OSError:
                taken.append(port)
    return taken


def free_ports(count: int) -> list[int]:
    """`count` distinct ports nothing listens on now (all bound at once, so none repeats)."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind((LOCAL_HOST, 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


@dataclass(frozen=True)
class PlatformSpecs:
    migrations: list[ProcessSpec]
    processes: list[ProcessSpec]
    web_urls: dict[str, str]  # base URL per service, gateway included


def platform_specs(
    base_env: Mapping[str, str],
    ports: Ports,
    state_dir: Path,
    database_urls: Mapping[str, str] | None = None,
) -> PlatformSpecs:
    """The migrate, web and worker processes of all six services.

    `base_env` is shared (AMQP_URL, BROKER_NAMESPACE, LOG_LEVEL, ...); each process gets its own
    ports and database on top. A service missing from `database_urls` uses its SQLite default.
    Web processes keep their metrics files under `state_dir/metrics/<service>`.
    """
    bin_dir = Path(sys.executable).parent  # the console scripts live next to this interpreter
    web_urls = {s: f"http://{LOCAL_HOST}:{ports.web[s]}" for s in SERVICES}
    # Inherited values of these would be wrong for some process: every process gets its own.
    shared = {k: v for k, v in base_env.items()
              if k not in ("DATABASE_URL", "HTTP_PORT", "WORKER_PORT", "PROMETHEUS_MULTIPROC_DIR")}
    shared |= {"HTTP_HOST": LOCAL_HOST, "WORKER_HOST": LOCAL_HOST}

    def spec(service: str, kind: str, extra: Mapping[str, str], ready_url: str | None) -> ProcessSpec:
        return ProcessSpec(f"{service}-{kind}", (str(bin_dir / f"{service}-{kind}"),), {**shared, **extra}, ready_url)

    # The gateway calls every other service over HTTP.
    upstreams = {"gateway": {f"{s.upper()}_URL": web_urls[s] for s in DOMAIN_SERVICES}}
    migrations, processes = [], []
    for service in SERVICES:
        database = {"DATABASE_URL": (database_urls or {}).get(service, "")}
        worker_port = ports.worker[service]
        migrations.append(spec(service, "migrate", database, None))
        processes.append(spec(service, "web", {**database, **_web_env(service, ports, state_dir),
                                               **upstreams.get(service, {})},
                              f"{web_urls[service]}/readyz"))
        processes.append(spec(service, "worker", {**database, "WORKER_PORT": str(worker_port)},
                              f"http://{LOCAL_HOST}:{worker_port}/readyz"))
    return PlatformSpecs(migrations, processes, web_urls)


def _web_env(service: str, ports: Ports, state_dir: Path) -> dict[str, str]:
    # Under state_dir, because a web process wipes its metrics directory when it starts: a test
    # platform must not wipe a local run's. Workers get none: they are one process and serve
    # their own registry.
    return {"HTTP_PORT": str(ports.web[service]),
            "PROMETHEUS_MULTIPROC_DIR": str(Path(state_dir).resolve() / "metrics" / service)}


def start_platform(supervisor: Supervisor, specs: PlatformSpecs, timeout: float) -> None:
    """Migrate every database, start every process, wait until all are ready."""
    supervisor.run(specs.migrations, timeout)
    for spec in specs.processes:
        supervisor.start(spec)
    supervisor.wait_ready(timeout)


# -- the local run ----------------------------------------------------------------------------


class _StopRequested(Exception):
    pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m clinic_runtime.devstack",
                                     description="Run the whole clinic platform locally.")
    parser.add_argument("--quiet", action="store_true", help="write process output to the log files only")
    args = parser.parse_args(argv)

    env = dict(os.environ)
    env.setdefault("LOG_LEVEL", "INFO")
    env.setdefault("SMTP_HOST", LOCAL_HOST)
    if env["SMTP_HOST"] == LOCAL_HOST:
        env.setdefault("SMTP_SECURITY", "none")  # the development sink, on this machine, speaks plain SMTP
    amqp_url = env.setdefault("AMQP_URL", DEFAULT_AMQP_URL)
    # Before anything is written: without a broker nothing would become ready.
    problem = broker_problem(amqp_url)
    if problem:
        print(_NO_BROKER.format(url=_redact(amqp_url), problem=problem), file=sys.stderr)
        return 2

    ports = Ports.defaults()
    # Also before anything is written: a run left behind (or another program) on these ports
    # would answer in this run's place, and its logs would be overwritten.
    taken = ports_in_use([*ports.web.values(), *ports.worker.values()])
    if taken:
        print(f"Ports {', '.join(map(str, taken))} are in use on this machine: another run of the platform "
              f"(stop it, or find it with `ss -ltnp`), or another program.", file=sys.stderr)
        return 2

    from clinic_runtime.settings import LOCAL_STATE_DIR

    state_dir = LOCAL_STATE_DIR.resolve()
    operator = local_operator(state_dir, env)
    smtp_port = int(env.setdefault("SMTP_PORT", "1025"))
    specs = platform_specs(env, ports, state_dir)
    try:
        mail_sink = start_mail_sink(state_dir / "mail", smtp_port)
    except OSError as error:
        print(f"The development mail sink cannot listen on 127.0.0.1:{smtp_port} ({error}). "
              f"Stop whatever uses that port or set SMTP_PORT to a free one.", file=sys.stderr)
        return 2
    supervisor = Supervisor(state_dir / "log", echo=not args.quiet)

    def request_stop(signum, _frame):
        raise _StopRequested()

    # Explicitly: a shell that starts the run in the background leaves SIGINT ignored, and Python
    # then never raises KeyboardInterrupt. SIGHUP too (its terminal closed): the services run in
    # sessions of their own, so nothing else would stop them.
    for stop_signal in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(stop_signal, request_stop)
    exit_code = 0
    try:
        _say("migrating the databases and starting every service ...")
        start_platform(supervisor, specs, timeout=120)
        _say(_RUNNING.format(gateway=specs.web_urls["gateway"], logs=supervisor.log_dir,
                             mail=mail_sink.directory, smtp_port=smtp_port, state=state_dir,
                             operator=operator))
        supervisor.watch()
    except ProcessDied as died:
        _say(f"{died.name} stopped unexpectedly: it {died.how}. Last lines of "
             f"{supervisor.log_path(died.name)}:\n{died.log_tail}\nstopping everything.")
        exit_code = 1
    except TimeoutError as error:
        _say(f"the platform did not start: {error}\nstopping everything.")
        exit_code = 1
    except _StopRequested:
        _say("stopping ...")
    finally:
        # A second Ctrl-C must not abandon processes half-stopped; stop_all is bounded anyway.
        for stop_signal in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(stop_signal, signal.SIG_IGN)
        supervisor.stop_all()
        mail_sink.stop()
    _say("stopped.")
    return exit_code


def local_operator(state_dir: Path, env: dict[str, str]) -> str:
    """The local run's platform operator, whom gateway-migrate creates on the first run: taken
    from BOOTSTRAP_OPERATOR_EMAIL/PASSWORD when set, otherwise made up once and kept in
    `state_dir` so every later run names the same account. Returns how to log in as it."""
    if env.get("BOOTSTRAP_OPERATOR_EMAIL"):
        return f"{env['BOOTSTRAP_OPERATOR_EMAIL']} (password from BOOTSTRAP_OPERATOR_PASSWORD)"
    path = state_dir / "local-operator.json"
    if path.exists():
        account = json.loads(path.read_text(encoding="utf-8"))
    else:
        import secrets

        account = {"email": "operator@example.com", "password": secrets.token_urlsafe(18)}
        state_dir.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(json.dumps(account), encoding="utf-8")
    env["BOOTSTRAP_OPERATOR_EMAIL"] = account["email"]
    env["BOOTSTRAP_OPERATOR_PASSWORD"] = account["password"]
    return f"{account['email']} / {account['password']}  (kept in {path})"


def broker_problem(amqp_url: str, timeout: float = 3.0) -> str | None:
    """Why RabbitMQ at `amqp_url` cannot be used (a real AMQP handshake), or None."""
    import aio_pika

    async def connect() -> None:
        connection = await aio_pika.connect(amqp_url, timeout=timeout)
        await connection.close()

    try:
        asyncio.run(asyncio.wait_for(connect(), timeout))
    except Exception as error:
        return f"{type(error).__name__}: {error}".strip().rstrip(":")
    return None


def _redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@")))


_NO_BROKER = """\
RabbitMQ is not reachable at {url} ({problem}).
The platform needs a running RabbitMQ. Start one, then run this again:
  installed already:  rabbitmq-server -detached
  Debian/Ubuntu:      sudo apt-get install rabbitmq-server   (starts it as a system service)
  Docker:             docker run -d -p 5672:5672 -p 15672:15672 rabbitmq:4-management
or point AMQP_URL at a broker you have."""

_RUNNING = """\

  The clinic platform is running.
    API (gateway)   {gateway}    readiness: {gateway}/readyz
    operator        {operator}
    logs            {logs}/<process>.log
    email           SMTP sink on 127.0.0.1:{smtp_port}, each message saved to {mail}/*.eml
    databases       SQLite files in {state}
  Press Ctrl-C to stop.
"""


def _say(message: str) -> None:
    print(f"{'devstack':<{NAME_WIDTH}} | " + message.replace("\n", f"\n{'':<{NAME_WIDTH}} | "), flush=True)


# -- development mail sink ----------------------------------------------------------------------


@dataclass
class MailSink:
    directory: Path
    controller: object

    def stop(self) -> None:
        self.controller.stop()


def start_mail_sink(directory: Path, port: int) -> MailSink:
    """An SMTP server on 127.0.0.1:`port` that saves each message as `<directory>/<time>-<id>.eml`."""
    from aiosmtpd.controller import Controller

    directory.mkdir(parents=True, exist_ok=True)

    class SaveToFiles:
        async def handle_DATA(self, server, session, envelope) -> str:
            path = directory / f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}.eml"
            path.write_bytes(envelope.content)
            # Never the addresses: logs must not carry personal data.
            _say(f"mail: saved {path.name} ({len(envelope.content)} bytes, "
                 f"{len(envelope.rcpt_tos)} recipient(s))")
            return "250 Message accepted for delivery"

    controller = Controller(SaveToFiles(), hostname=LOCAL_HOST, port=port)
    controller.start()
    return MailSink(directory, controller)


if __name__ == "__main__":
    sys.exit(main())
