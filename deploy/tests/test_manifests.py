"""The deployment files render, validate offline and agree with the code.

`kubectl kustomize` renders the Kubernetes base and the example overlay once per module. Every
object is validated against the Kubernetes OpenAPI schemas bundled with kubernetes-validate;
ServiceMonitor is a CRD that it has no schema for, so those are checked structurally instead.
The rest compares docker-compose.yml, the manifests and the Dockerfiles with what the code
declares: console scripts in each service's pyproject.toml and fields (with their default ports)
of each service's Settings class.
"""

from __future__ import annotations

import base64
import importlib
import os
import re
import shutil
import subprocess
import tomllib
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

import kubernetes_validate
import pytest
import yaml

from gateway.domain.encryption import SecretBox
from gateway.domain.passwords import password_problems
from gateway.settings import Settings as GatewaySettings

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "deploy" / "k8s"
TARGETS = {"base": K8S / "base", "example": K8S / "overlays" / "example"}
# The kubectl on this machine is 1.32; kubernetes-validate bundles schemas for 1.25 to 1.37.
KUBERNETES_VERSION = "1.32.0"
# Kinds defined by CRDs, which kubernetes-validate has no schema for.
CRD_KINDS = {"ServiceMonitor"}
HARDENED_UID = 10001
NAME = "app.kubernetes.io/name"
COMPONENT = "app.kubernetes.io/component"
MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"
DOCUMENTS_DIR = "DOCUMENT_STORE_PATH"

SERVICES = sorted(p.parent.name for p in (REPO / "services").glob("*/pyproject.toml"))


@cache
def pyproject(svc: str) -> dict:
    return tomllib.loads((REPO / "services" / svc / "pyproject.toml").read_text())


def scripts(svc: str) -> set[str]:
    return set(pyproject(svc)["project"].get("scripts", {}))


def has_worker(svc: str) -> bool:
    return f"{svc}-worker" in scripts(svc)


# A service with a database has a migrate script.
WITH_DATABASE = [svc for svc in SERVICES if f"{svc}-migrate" in scripts(svc)]
# The gateway calls every other service.
BEHIND_GATEWAY = [svc for svc in SERVICES if svc != "gateway"]
# Settings that hold credentials or keys: only ever read from a Secret, never from a ConfigMap.
SECRET_SETTINGS = {
    "DATABASE_URL", "AMQP_URL", "REDIS_URL",
    "TOKEN_SIGNING_KEY", "TOKEN_PREVIOUS_SIGNING_KEY", "MFA_ENCRYPTION_KEY",
    "BOOTSTRAP_OPERATOR_EMAIL", "BOOTSTRAP_OPERATOR_PASSWORD",
    "ZOOM_ACCOUNT_ID", "ZOOM_CLIENT_ID", "ZOOM_CLIENT_SECRET",
    "SMTP_USERNAME", "SMTP_PASSWORD",
}
# What the gateway's web process must read from gateway-secrets besides its database: the shared
# rate-limit store and the keys. Without the keys it would fall back to those gateway-migrate
# stored in the database, which is for laptops only.
GATEWAY_WEB_SECRETS = {"REDIS_URL", "TOKEN_SIGNING_KEY", "MFA_ENCRYPTION_KEY"}
# ... and may read: the signing key before a rotation, present only while rotating.
GATEWAY_WEB_OPTIONAL_SECRETS = {"TOKEN_PREVIOUS_SIGNING_KEY"}
# What only gateway-migrate reads: the first platform operator. Optional, so that it can leave
# the Secret once that operator exists.
GATEWAY_MIGRATE_OPTIONAL_SECRETS = {"BOOTSTRAP_OPERATOR_EMAIL", "BOOTSTRAP_OPERATOR_PASSWORD"}
# What only the gateway's worker reads, the process that mails the links: the SMTP relay's login,
# optional because a relay may take mail without one. Both or neither: the settings refuse half.
GATEWAY_WORKER_OPTIONAL_SECRETS = {"SMTP_USERNAME", "SMTP_PASSWORD"}
# What only the scheduling worker reads, the process that makes video meetings: Zoom's credentials,
# optional because the sandbox needs none.
ZOOM_CREDENTIALS = {"ZOOM_ACCOUNT_ID", "ZOOM_CLIENT_ID", "ZOOM_CLIENT_SECRET"}
# The datastore each URL setting leads to, by the TCP port its network policy must open.
DATASTORE_PORTS = {"DATABASE_URL": 5432, "AMQP_URL": 5672, "REDIS_URL": 6379}


@cache
def settings_fields(svc: str) -> dict:
    return importlib.import_module(f"{svc}.settings").Settings.model_fields


def env_names(svc: str) -> set[str]:
    return {name.upper() for name in settings_fields(svc)}


def default(svc: str, field: str):
    return settings_fields(svc)[field].default


# --- rendering ------------------------------------------------------------------------------


def _kubectl() -> str:
    kubectl = shutil.which("kubectl", path=os.pathsep.join([os.environ.get("PATH", ""), "/usr/bin"]))
    if kubectl is None:
        message = "kubectl is not installed; it is needed to render deploy/k8s (`kubectl kustomize`)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return kubectl


@pytest.fixture(scope="module")
def rendered() -> dict[str, list[dict]]:
    """The objects `kubectl kustomize` renders for each target, by target name."""
    kubectl = _kubectl()
    out = {}
    for target, path in TARGETS.items():
        proc = subprocess.run(
            [kubectl, "kustomize", str(path)], capture_output=True, text=True, timeout=120
        )
        assert proc.returncode == 0, f"kubectl kustomize {path} failed:\n{proc.stderr}"
        out[target] = [doc for doc in yaml.safe_load_all(proc.stdout) if doc]
    return out


def of_kind(objects: list[dict], *kinds: str) -> list[dict]:
    return [o for o in objects if o["kind"] in kinds]


def by_name(objects: list[dict], kind: str) -> dict[str, dict]:
    return {o["metadata"]["name"]: o for o in of_kind(objects, kind)}


def service_of(obj: dict) -> str:
    return obj["metadata"]["labels"][NAME]


def pod_spec(workload: dict) -> dict:
    return workload["spec"]["template"]["spec"]


def named_ports(container: dict) -> dict[str, int]:
    return {p["name"]: p["containerPort"] for p in container.get("ports", [])}


def probe_port(container: dict, probe: str) -> int:
    port = container[probe]["httpGet"]["port"]
    return named_ports(container)[port] if isinstance(port, str) else port


def pod_labels(workload: dict) -> dict:
    return workload["spec"]["template"]["metadata"]["labels"]


def selects(selector: dict, labels: dict) -> bool:
    return selector.items() <= labels.items()


def workload_names(objects: list[dict], kind: str, svc: str) -> set[str]:
    return {name for name, obj in by_name(objects, kind).items() if service_of(obj) == svc}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((REPO / "docker-compose.yml").read_text())


def compose_app_services(compose: dict) -> dict[str, dict]:
    """Compose services that run one of our images, by compose service name."""
    return {
        name: spec
        for name, spec in compose["services"].items()
        if spec.get("image", "").split(":")[0].startswith("clinic-")
    }


# --- (a) and (b): rendering and schema validation ---------------------------------------------


@pytest.mark.parametrize("target", TARGETS)
def test_kustomize_renders_unique_objects(rendered, target):
    keys = [(o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"]) for o in rendered[target]]
    assert keys, f"{target} rendered nothing"
    assert len(keys) == len(set(keys)), f"duplicate objects in {target}"


@pytest.mark.parametrize("target", TARGETS)
def test_objects_validate_against_kubernetes_schemas(rendered, target):
    errors = []
    for obj in rendered[target]:
        if obj["kind"] in CRD_KINDS:
            continue
        try:
            kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.SchemaNotFoundError as e:
            errors.append(e.message)
        except kubernetes_validate.ValidationError as e:
            path = ".".join(str(p) for p in e.path)
            errors.append(f"{obj['kind']}/{obj['metadata']['name']} at {path}: {e.message}")
    assert not errors, "\n".join(errors)


def test_service_monitors_scrape_every_metrics_port(rendered):
    """Structural check of the ServiceMonitor CRD objects, which have no bundled schema."""
    objects = rendered["example"]
    services = of_kind(objects, "Service")
    monitors = by_name(objects, "ServiceMonitor")
    assert set(monitors) == set(SERVICES)
    for name, monitor in monitors.items():
        assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
        selector = monitor["spec"]["selector"]["matchLabels"]
        selected = [s for s in services if selects(selector, s["metadata"]["labels"])]
        assert selected, f"ServiceMonitor {name} selects no Service"
        scraped = {e["port"] for e in monitor["spec"]["endpoints"]}
        assert all(e["path"] == "/metrics" for e in monitor["spec"]["endpoints"])
        offered = {p["name"] for s in selected for p in s["spec"]["ports"]}
        assert scraped == offered, f"ServiceMonitor {name} scrapes {scraped}, Services offer {offered}"


# --- (c) consistency with the code ------------------------------------------------------------


def test_every_service_is_deployed_everywhere(rendered, compose):
    base_dirs = sorted(p.parent.name for p in (K8S / "base").glob("*/kustomization.yaml"))
    rendered_services = sorted({service_of(d) for d in of_kind(rendered["base"], "Deployment")})
    composed = sorted({name.rsplit("-", 1)[0] for name in compose_app_services(compose)})
    assert base_dirs == rendered_services == composed == SERVICES


@pytest.mark.parametrize("svc", SERVICES)
def test_process_types_follow_the_console_scripts(rendered, compose, svc):
    expected_deployments = {f"{svc}-web"} | ({f"{svc}-worker"} if has_worker(svc) else set())
    expected_jobs = {f"{svc}-migrate"} if svc in WITH_DATABASE else set()
    objects = rendered["base"]
    assert workload_names(objects, "Deployment", svc) == expected_deployments
    assert workload_names(objects, "Job", svc) == expected_jobs
    composed = {n for n in compose_app_services(compose) if n.rsplit("-", 1)[0] == svc}
    assert composed == expected_deployments | expected_jobs


def test_containers_run_declared_console_scripts(rendered, compose):
    for workload in of_kind(rendered["base"], "Deployment", "Job"):
        svc = service_of(workload)
        for container in pod_spec(workload)["containers"]:
            assert container["command"] == [workload["metadata"]["name"]], workload["metadata"]["name"]
            assert container["command"][0] in scripts(svc)
    for name, spec in compose_app_services(compose).items():
        assert spec["command"] == name
        assert spec["command"] in scripts(name.rsplit("-", 1)[0])


@pytest.mark.parametrize("target", TARGETS)
def test_kubernetes_env_names_are_settings_fields(rendered, target):
    for config_map in of_kind(rendered[target], "ConfigMap"):
        svc = service_of(config_map)
        assert set(config_map["data"]) <= env_names(svc), config_map["metadata"]["name"]
    for workload in of_kind(rendered[target], "Deployment", "Job"):
        svc = service_of(workload)
        for container in pod_spec(workload)["containers"]:
            names = {e["name"] for e in container.get("env", [])}
            assert names <= env_names(svc), workload["metadata"]["name"]


def test_compose_env_names_are_settings_fields(compose):
    for name, spec in compose_app_services(compose).items():
        assert set(spec["environment"]) <= env_names(name.rsplit("-", 1)[0]), name


@pytest.mark.parametrize("svc", SERVICES)
def test_kubernetes_ports_equal_settings_defaults(rendered, svc):
    objects = rendered["base"]
    deployments = by_name(objects, "Deployment")
    services = by_name(objects, "Service")
    config = next(c["data"] for c in of_kind(objects, "ConfigMap") if service_of(c) == svc)
    processes = {"web": ("http", "http_port")}
    if has_worker(svc):
        processes["worker"] = ("metrics", "worker_port")
    for process, (port_name, field) in processes.items():
        port = default(svc, field)
        container = pod_spec(deployments[f"{svc}-{process}"])["containers"][0]
        assert named_ports(container) == {port_name: port}
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            assert probe_port(container, probe) == port, f"{svc}-{process} {probe}"
        [service_port] = services[f"{svc}-{process}"]["spec"]["ports"]
        assert service_port == {"name": port_name, "port": port, "targetPort": port_name}
        assert config[field.upper()] == str(port)


@pytest.mark.parametrize("target", TARGETS)
def test_workloads_are_hardened(rendered, target):
    for workload in of_kind(rendered[target], "Deployment", "Job"):
        name = workload["metadata"]["name"]
        pod = pod_spec(workload)
        tmp_volumes = {v["name"] for v in pod.get("volumes", []) if "emptyDir" in v}
        for container in pod["containers"]:
            effective = {**pod.get("securityContext", {}), **container.get("securityContext", {})}
            assert effective.get("runAsNonRoot") is True, name
            assert effective.get("runAsUser") == HARDENED_UID, name
            assert effective.get("readOnlyRootFilesystem") is True, name
            assert effective.get("allowPrivilegeEscalation") is False, name
            assert effective.get("capabilities", {}).get("drop") == ["ALL"], name
            assert effective.get("seccompProfile", {}).get("type") == "RuntimeDefault", name
            mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
            assert mounts.get("/tmp") in tmp_volumes, name
            for kind in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(container["resources"].get(kind, {})), f"{name} {kind}"


@pytest.mark.parametrize("target", TARGETS)
def test_deployments_have_probes(rendered, target):
    for deployment in of_kind(rendered[target], "Deployment"):
        container = pod_spec(deployment)["containers"][0]
        name = deployment["metadata"]["name"]
        assert container["startupProbe"]["httpGet"]["path"] == "/healthz", name
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz", name
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz", name


@pytest.mark.parametrize("target", TARGETS)
def test_services_select_exactly_their_pods(rendered, target):
    deployments = of_kind(rendered[target], "Deployment")
    for service in of_kind(rendered[target], "Service"):
        matching = [d for d in deployments if selects(service["spec"]["selector"], pod_labels(d))]
        assert [d["metadata"]["name"] for d in matching] == [service["metadata"]["name"]]


def test_only_web_processes_use_prometheus_multiprocess_mode(rendered, compose):
    """gunicorn needs the directory set from process start; any other process with it set
    would write metrics into a directory that nobody creates."""
    for workload in of_kind(rendered["base"], "Deployment", "Job"):
        is_web = workload["metadata"]["labels"][COMPONENT] == "web"
        for container in pod_spec(workload)["containers"]:
            env = {e["name"]: e.get("value") for e in container.get("env", [])}
            assert (env.get(MULTIPROC_DIR) == "/tmp/metrics") == is_web, workload["metadata"]["name"]
    for config_map in of_kind(rendered["base"], "ConfigMap"):
        assert MULTIPROC_DIR not in config_map["data"]
    for name, spec in compose_app_services(compose).items():
        assert (spec["environment"].get(MULTIPROC_DIR) == "/tmp/metrics") == name.endswith("-web"), name


def test_web_deployments_have_hpa_and_pdb(rendered):
    objects = rendered["base"]
    hpas = {h["spec"]["scaleTargetRef"]["name"]: h for h in of_kind(objects, "HorizontalPodAutoscaler")}
    pdbs = of_kind(objects, "PodDisruptionBudget")
    deployments = by_name(objects, "Deployment")
    webs = {n: d for n, d in deployments.items() if d["metadata"]["labels"][COMPONENT] == "web"}
    assert set(webs) == {f"{svc}-web" for svc in SERVICES}
    assert set(hpas) == set(webs)
    for name, web in webs.items():
        assert hpas[name]["apiVersion"] == "autoscaling/v2"
        assert hpas[name]["spec"]["minReplicas"] >= 2, f"{name}: a PDB needs more than one replica"
        assert [p for p in pdbs if selects(p["spec"]["selector"]["matchLabels"], pod_labels(web))], name


def expected_secret_refs(svc: str, process: str) -> dict[str, dict]:
    """The Secret keys a process reads: its database; the broker for a worker and a domain
    service's web process (it reports the broker; the gateway's web never talks to it); the
    gateway web's keys and Redis; the first operator for gateway-migrate alone; the SMTP relay's
    login for the gateway's worker alone."""
    refs = {"DATABASE_URL": {"name": f"{svc}-secrets", "key": "DATABASE_URL"}}
    if process == "worker" or (process == "web" and svc != "gateway"):
        refs["AMQP_URL"] = {"name": "platform-amqp", "key": "AMQP_URL"}
    if (svc, process) == ("gateway", "web"):
        refs |= {name: {"name": "gateway-secrets", "key": name} for name in GATEWAY_WEB_SECRETS}
        refs |= {name: {"name": "gateway-secrets", "key": name, "optional": True}
                 for name in GATEWAY_WEB_OPTIONAL_SECRETS}
    if (svc, process) == ("gateway", "migrate"):
        refs |= {name: {"name": "gateway-secrets", "key": name, "optional": True}
                 for name in GATEWAY_MIGRATE_OPTIONAL_SECRETS}
    if (svc, process) == ("gateway", "worker"):
        refs |= {name: {"name": "gateway-secrets", "key": name, "optional": True}
                 for name in GATEWAY_WORKER_OPTIONAL_SECRETS}
    if (svc, process) == ("scheduling", "worker"):
        refs |= {name: {"name": "scheduling-secrets", "key": name, "optional": True} for name in ZOOM_CREDENTIALS}
    return refs


def test_secrets_are_referenced_not_committed(rendered):
    assert not of_kind(rendered["base"], "Secret")
    for workload in of_kind(rendered["base"], "Deployment", "Job"):
        process = workload["metadata"]["name"].rsplit("-", 1)[1]
        expected = expected_secret_refs(service_of(workload), process)
        for container in pod_spec(workload)["containers"]:
            env = container.get("env", [])
            refs = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in env if "valueFrom" in e}
            assert refs == expected, workload["metadata"]["name"]


@pytest.mark.parametrize("target", TARGETS)
def test_secret_settings_never_sit_in_config_maps(rendered, target):
    settings = set().union(*(env_names(svc) for svc in SERVICES))
    assert not SECRET_SETTINGS - settings, f"not settings of any service: {SECRET_SETTINGS - settings}"
    for config_map in of_kind(rendered[target], "ConfigMap"):
        assert not set(config_map["data"]) & SECRET_SETTINGS, config_map["metadata"]["name"]
    for workload in of_kind(rendered[target], "Deployment", "Job"):
        for container in pod_spec(workload)["containers"]:
            plain = {e["name"] for e in container.get("env", []) if "value" in e}
            assert not plain & SECRET_SETTINGS, workload["metadata"]["name"]


def test_example_overlay_references_resolve(rendered):
    objects = rendered["example"]
    secrets = {s["metadata"]["name"]: s for s in of_kind(objects, "Secret")}
    config_maps = by_name(objects, "ConfigMap")
    namespaced = [o for o in objects if o["kind"] != "Namespace"]
    [namespace] = of_kind(objects, "Namespace")
    assert {o["metadata"].get("namespace") for o in namespaced} == {namespace["metadata"]["name"]}
    for workload in of_kind(objects, "Deployment", "Job"):
        for container in pod_spec(workload)["containers"]:
            name, _, tag = container["image"].rpartition(":")
            assert name and tag not in ("", "latest") and "/" not in tag, f"unpinned {container['image']}"
            for source in container.get("envFrom", []):
                assert source["configMapRef"]["name"] in config_maps
            for env in container.get("env", []):
                ref = env.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    assert ref["name"] in secrets, ref
                    assert ref.get("optional") or ref["key"] in secrets[ref["name"]]["data"], ref


def test_the_example_gateway_behind_its_ingress_reads_the_clients_address(rendered):
    """Left at 0 behind a proxy, every client would be the proxy: one rate limit for all patients,
    and strangers' wrong passwords throttling everyone's logins."""
    [gateway] = [c["data"] for c in of_kind(rendered["example"], "ConfigMap")
                 if c["metadata"]["name"].startswith("gateway-config")]
    assert gateway["PUBLIC_BASE_URL"].startswith("https://")
    assert gateway.get("TRUSTED_PROXY_COUNT") == "1"


def test_example_and_development_gateway_secrets_are_accepted_by_the_gateway(rendered, compose):
    """A Fernet key that is not one, a signing key too short, or a first operator's password the
    password policy refuses would stop the gateway (or its migration) at start."""
    # The generated Secret's name ends in a hash of its content.
    [secret] = [s for s in of_kind(rendered["example"], "Secret") if s["metadata"]["name"].startswith("gateway-secrets-")]
    example = {name: base64.b64decode(value).decode() for name, value in secret["data"].items()}
    development = {**compose["services"]["gateway-migrate"]["environment"],
                   **compose["services"]["gateway-web"]["environment"]}
    for where, values in (("example overlay", example), ("docker-compose.yml", development)):
        # Settings refuses a signing key that is too short; SecretBox, a malformed Fernet key.
        GatewaySettings(token_signing_key=values["TOKEN_SIGNING_KEY"])
        SecretBox(values["MFA_ENCRYPTION_KEY"])
        email, password = values["BOOTSTRAP_OPERATOR_EMAIL"], values["BOOTSTRAP_OPERATOR_PASSWORD"]
        assert password_problems(password, email) == [], where


def test_compose_gives_each_gateway_process_exactly_its_secrets(compose):
    apps = compose_app_services(compose)
    expected = {
        "gateway-migrate": {"DATABASE_URL", "AMQP_URL"} | GATEWAY_MIGRATE_OPTIONAL_SECRETS,
        "gateway-web": {"DATABASE_URL", "AMQP_URL"} | GATEWAY_WEB_SECRETS,
        "gateway-worker": {"DATABASE_URL", "AMQP_URL"},
    }
    for name, secrets in expected.items():
        assert set(apps[name]["environment"]) & SECRET_SETTINGS == secrets, name


def test_compose_gives_zoom_credentials_to_the_scheduling_worker_alone(compose):
    for name, spec in compose_app_services(compose).items():
        wanted = ZOOM_CREDENTIALS if name == "scheduling-worker" else set()
        assert set(spec["environment"]) & ZOOM_CREDENTIALS == wanted, name


def test_migrations_are_one_shot(rendered, compose):
    jobs = by_name(rendered["base"], "Job")
    assert set(jobs) == {f"{svc}-migrate" for svc in WITH_DATABASE}
    for name, job in jobs.items():
        assert pod_spec(job)["restartPolicy"] == "Never", name
        assert compose["services"][name]["restart"] == "no", name


@pytest.mark.parametrize("target", TARGETS)
def test_gateway_urls_point_at_service_web_ports(rendered, target):
    objects = rendered[target]
    services = by_name(objects, "Service")
    config = next(c["data"] for c in of_kind(objects, "ConfigMap") if service_of(c) == "gateway")
    for svc in BEHIND_GATEWAY:
        url = urlsplit(config[f"{svc.upper()}_URL"])
        assert url.hostname == f"{svc}-web" and url.hostname in services
        assert url.port == default(svc, "http_port") == services[url.hostname]["spec"]["ports"][0]["port"]


def matches(selector: dict, labels: dict) -> bool:
    """Whether a Kubernetes label selector (matchLabels and matchExpressions) selects `labels`."""
    if not selects(selector.get("matchLabels", {}), labels):
        return False
    for expression in selector.get("matchExpressions", []):
        key, operator, values = expression["key"], expression["operator"], expression.get("values", [])
        present = key in labels
        if not {
            "In": present and labels.get(key) in values,
            "NotIn": not present or labels[key] not in values,
            "Exists": present,
            "DoesNotExist": not present,
        }[operator]:
            return False
    return True


def egress_ports(objects: list[dict], labels: dict) -> set[int]:
    """The numbered TCP ports a pod with `labels` may open connections to, whatever the peer."""
    ports = set()
    for policy in of_kind(objects, "NetworkPolicy"):
        if matches(policy["spec"]["podSelector"], labels):
            for rule in policy["spec"].get("egress", []):
                ports |= {p["port"] for p in rule.get("ports", []) if isinstance(p["port"], int)}
    return ports


def pod_env(objects: list[dict], workload: dict) -> dict[str, str | None]:
    """The environment of a workload's container: its ConfigMaps, then its own variables (a
    variable from a Secret has the value None)."""
    config_maps = by_name(objects, "ConfigMap")
    [container] = pod_spec(workload)["containers"]
    env = {}
    for source in container.get("envFrom", []):
        env |= config_maps[source["configMapRef"]["name"]]["data"]
    return env | {e["name"]: e.get("value") for e in container.get("env", [])}


def test_network_policies_open_exactly_the_datastores_each_process_uses(rendered):
    objects = rendered["example"]
    for workload in of_kind(objects, "Deployment", "Job"):
        env = pod_env(objects, workload)
        needed = {port for name, port in DATASTORE_PORTS.items() if name in env}
        allowed = egress_ports(objects, pod_labels(workload)) & set(DATASTORE_PORTS.values())
        assert allowed == needed, workload["metadata"]["name"]


def test_network_policies_let_mail_out_on_the_configured_port(rendered):
    objects = rendered["example"]
    senders = [w for w in of_kind(objects, "Deployment", "Job") if "SMTP_HOST" in pod_env(objects, w)]
    assert {service_of(w) for w in senders} == {"notifications", "gateway"}
    for workload in senders:
        port = int(pod_env(objects, workload)["SMTP_PORT"])
        assert port in egress_ports(objects, pod_labels(workload)), workload["metadata"]["name"]


def test_mail_leaves_the_cluster_encrypted_and_the_example_login_is_accepted(rendered):
    """The links mailed are as good as a password: no sender speaks plain SMTP to the relay."""
    objects = rendered["example"]
    for workload in of_kind(objects, "Deployment", "Job"):
        env = pod_env(objects, workload)
        if "SMTP_HOST" in env:
            security = env.get("SMTP_SECURITY", default(service_of(workload), "smtp_security"))
            assert security in ("starttls", "tls"), workload["metadata"]["name"]
    [secret] = [s for s in of_kind(objects, "Secret") if s["metadata"]["name"].startswith("gateway-secrets-")]
    login = {name.lower(): base64.b64decode(secret["data"][name]).decode() for name in GATEWAY_WORKER_OPTIONAL_SECRETS}
    worker = pod_env(objects, by_name(objects, "Deployment")["gateway-worker"])
    GatewaySettings(smtp_security=worker["SMTP_SECURITY"], **login)


def test_network_policies_let_the_gateway_reach_every_service(rendered):
    objects = rendered["example"]
    policies = of_kind(objects, "NetworkPolicy")
    gateway = pod_labels(by_name(objects, "Deployment")["gateway-web"])
    for svc in BEHIND_GATEWAY:
        web = pod_labels(by_name(objects, "Deployment")[f"{svc}-web"])
        egress = [rule for p in policies if matches(p["spec"]["podSelector"], gateway)
                  for rule in p["spec"].get("egress", []) if in_namespace(rule.get("to", []), web)]
        ingress = [rule for p in policies if matches(p["spec"]["podSelector"], web)
                   for rule in p["spec"].get("ingress", []) if in_namespace(rule.get("from", []), gateway)]
        assert egress and ingress, svc


def in_namespace(peers: list[dict], labels: dict) -> bool:
    """Whether a rule's peers include a pod of this namespace with `labels`."""
    return any("namespaceSelector" not in peer and matches(peer.get("podSelector", {}), labels) for peer in peers)


# --- catalog's document files ----------------------------------------------------------------------


def mounted_claims(workload: dict) -> dict[str, tuple[str, bool]]:
    """The PersistentVolumeClaims a workload mounts: (claim name, read-only) by mount path."""
    claims = {v["name"]: v["persistentVolumeClaim"]["claimName"]
              for v in pod_spec(workload).get("volumes", []) if "persistentVolumeClaim" in v}
    return {m["mountPath"]: (claims[m["name"]], m.get("readOnly", False))
            for container in pod_spec(workload)["containers"] for m in container.get("volumeMounts", [])
            if m["name"] in claims}


@pytest.mark.parametrize("target", TARGETS)
def test_catalog_web_keeps_documents_on_a_claim_every_replica_shares(rendered, target):
    """The root filesystem is read-only and the HPA runs several replicas: the files must be on
    one writable volume, at exactly DOCUMENT_STORE_PATH, that every replica reads and writes."""
    objects = rendered[target]
    web = by_name(objects, "Deployment")["catalog-web"]
    path = pod_env(objects, web)[DOCUMENTS_DIR]
    assert path in mounted_claims(web), f"nothing is mounted at {DOCUMENTS_DIR}={path}"
    claim_name, read_only = mounted_claims(web)[path]
    assert not read_only
    claim = by_name(objects, "PersistentVolumeClaim")[claim_name]
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]
    assert claim["spec"]["resources"]["requests"]["storage"]
    # Without it the volume's root belongs to root, and the non-root user cannot write to it.
    assert pod_spec(web)["securityContext"]["fsGroup"] == HARDENED_UID


@pytest.mark.parametrize("target", TARGETS)
def test_only_catalog_web_mounts_a_claim(rendered, target):
    objects = rendered[target]
    web = by_name(objects, "Deployment")["catalog-web"]
    documents = {claim for claim, _ in mounted_claims(web).values()}
    mounting = {w["metadata"]["name"]: {claim for claim, _ in mounted_claims(w).values()}
                for w in of_kind(objects, "Deployment", "Job", "StatefulSet", "DaemonSet")}
    assert {name: claims for name, claims in mounting.items() if claims} == {"catalog-web": documents}
    assert set(by_name(objects, "PersistentVolumeClaim")) == documents


def test_example_overlay_names_a_storage_class_for_documents(rendered):
    """Most clusters' default storage class offers ReadWriteOnce only, so an environment names
    one that offers ReadWriteMany."""
    [claim] = of_kind(rendered["example"], "PersistentVolumeClaim")
    assert claim["spec"].get("storageClassName")


def compose_mounts(spec: dict) -> dict[str, tuple[str, bool]]:
    """A compose service's mounts: (volume name or host path, read-only) by target path."""
    mounts = {}
    for volume in spec.get("volumes", []):
        if isinstance(volume, str):
            source, target, *options = volume.split(":")
            mounts[target] = (source, "ro" in ",".join(options).split(","))
        else:
            mounts[volume["target"]] = (volume.get("source", ""), volume.get("read_only", False))
    return mounts


def test_compose_catalog_web_keeps_documents_on_a_named_volume(rendered, compose):
    """The files outlive the container (read-only root, /tmp a tmpfs), at the path Kubernetes uses."""
    web = compose["services"]["catalog-web"]
    path = web["environment"][DOCUMENTS_DIR]
    assert path in compose_mounts(web), f"nothing is mounted at {DOCUMENTS_DIR}={path}"
    volume, read_only = compose_mounts(web)[path]
    assert volume in compose["volumes"] and not read_only
    kubernetes_web = by_name(rendered["base"], "Deployment")["catalog-web"]
    assert path == pod_env(rendered["base"], kubernetes_web)[DOCUMENTS_DIR]
    others = [name for name, spec in compose["services"].items()
              if name != "catalog-web" and volume in {source for source, _ in compose_mounts(spec).values()}]
    assert others == []


# --- (d) docker compose ------------------------------------------------------------------------


def test_compose_uses_required_infrastructure(compose):
    services = compose["services"]
    assert services["postgres"]["image"] == "postgres:16"
    assert services["rabbitmq"]["image"] == "rabbitmq:4-management"
    assert services["redis"]["image"].split(":")[0] == "redis"
    for infra in ("postgres", "rabbitmq", "redis"):
        assert services[infra]["healthcheck"]["test"], infra


@pytest.mark.parametrize("svc", WITH_DATABASE)
def test_compose_database_urls_name_their_own_database(compose, svc):
    init_sql = (REPO / "deploy" / "compose" / "postgres-init.sql").read_text()
    assert svc in re.findall(r"CREATE DATABASE (\w+);", init_sql), f"postgres-init.sql does not create {svc}"
    for name, spec in compose_app_services(compose).items():
        if name.rsplit("-", 1)[0] != svc:
            continue
        url = urlsplit(spec["environment"]["DATABASE_URL"])
        assert url.scheme == "postgresql+psycopg", name
        assert url.hostname == "postgres", name
        assert url.path.lstrip("/") == svc, name


@pytest.mark.parametrize("svc", SERVICES)
def test_compose_processes_wait_and_report_readiness(compose, svc):
    apps = compose_app_services(compose)
    for process, prefix in (("web", "HTTP"), ("worker", "WORKER")):
        name = f"{svc}-{process}"
        if name not in apps:
            continue
        spec = apps[name]
        env = spec["environment"]
        port = default(svc, f"{prefix.lower()}_port")
        assert env[f"{prefix}_HOST"] == "0.0.0.0", name
        assert env[f"{prefix}_PORT"] == str(port), name
        assert spec["ports"] == [f"{port}:{port}"], name
        check = spec["healthcheck"]["test"]
        assert check[:2] == ["CMD", "python"] and "/readyz" in check[-1], name
        if svc in WITH_DATABASE:
            assert spec["depends_on"][f"{svc}-migrate"]["condition"] == "service_completed_successfully", name
        for infra in infrastructure_used(compose, spec):
            wanted = "service_healthy" if "healthcheck" in compose["services"][infra] else "service_started"
            assert spec["depends_on"].get(infra, {}).get("condition") == wanted, f"{name} -> {infra}"
    if svc in WITH_DATABASE:
        assert apps[f"{svc}-migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"


def infrastructure_used(compose: dict, spec: dict) -> set[str]:
    """The compose infrastructure services (database, broker, Redis, mail sink) that a process's
    environment points at."""
    infra = set(compose["services"]) - set(compose_app_services(compose))
    hosts = {urlsplit(v).hostname for v in spec["environment"].values() if "://" in str(v)}
    hosts.add(spec["environment"].get("SMTP_HOST"))
    return hosts & infra


def test_compose_web_and_workers_use_their_infrastructure(compose):
    apps = compose_app_services(compose)
    assert {"postgres", "redis", "mailpit"} <= infrastructure_used(compose, apps["gateway-web"])
    for svc in SERVICES:
        if has_worker(svc):
            assert {"postgres", "rabbitmq"} <= infrastructure_used(compose, apps[f"{svc}-worker"]), svc


def test_compose_processes_are_hardened_like_kubernetes(compose):
    for name, spec in compose_app_services(compose).items():
        assert spec["read_only"] is True and spec["tmpfs"] == ["/tmp"], name
        assert spec["cap_drop"] == ["ALL"], name


def test_compose_gateway_urls_point_at_service_web_ports(compose):
    gateway = compose["services"]["gateway-web"]
    assert {f"{svc}_url" for svc in BEHIND_GATEWAY} <= set(settings_fields("gateway"))
    for svc in BEHIND_GATEWAY:
        url = urlsplit(gateway["environment"][f"{svc.upper()}_URL"])
        assert url.hostname == f"{svc}-web" and url.hostname in compose["services"]
        assert url.port == default(svc, "http_port")
        assert gateway["depends_on"][url.hostname]["condition"] == "service_healthy"


def test_compose_mail_goes_to_the_sink(compose):
    senders = {n: s for n, s in compose_app_services(compose).items() if "SMTP_HOST" in s["environment"]}
    assert {"notifications-web", "notifications-worker", "gateway-web"} <= set(senders)
    for name, spec in senders.items():
        assert spec["environment"]["SMTP_HOST"] == "mailpit", name
        assert spec["environment"]["SMTP_PORT"] == "1025", name
        assert spec["environment"]["SMTP_SECURITY"] == "none", name  # mailpit speaks plain SMTP


# --- Dockerfiles --------------------------------------------------------------------------------


@pytest.mark.parametrize("svc", SERVICES)
def test_dockerfile_builds_this_service(svc):
    dockerfile = (REPO / "services" / svc / "Dockerfile").read_text()
    package = pyproject(svc)["project"]["name"]
    # Two syncs: the third-party layer, then the workspace packages.
    assert re.findall(r"uv sync .*--package (\S+)", dockerfile) == [package, package]
    assert f'CMD ["{svc}-web"]' in dockerfile
    assert f"USER {HARDENED_UID}:{HARDENED_UID}" in dockerfile
    ports = {default(svc, "http_port")} | ({default(svc, "worker_port")} if has_worker(svc) else set())
    [exposed] = re.findall(r"^EXPOSE (.+)$", dockerfile, re.MULTILINE)
    assert {int(p) for p in exposed.split()} == ports


def test_the_catalog_image_gives_the_documents_mount_point_to_its_user(compose):
    # A named volume takes the owner of the directory it is mounted over; without this the
    # non-root catalog-web could not write the documents it is sent.
    path = compose["services"]["catalog-web"]["environment"]["DOCUMENT_STORE_PATH"]
    dockerfile = (REPO / "services" / "catalog" / "Dockerfile").read_text()
    assert re.search(rf"mkdir -p {re.escape(path)} && chown {HARDENED_UID}:{HARDENED_UID} {re.escape(path)}", dockerfile)


def test_compose_lets_every_process_drain_before_it_is_killed(compose):
    """gunicorn drains for 20 s and the worker for 15 s; Docker's default would kill them at 10."""
    for name, service in compose_app_services(compose).items():
        grace = service.get("stop_grace_period", "10s")
        assert int(grace.rstrip("s")) > 20, name
