"""The class server's configuration, without starting it (``tests/cluster`` starts it).

The nginx config the launcher generates passes ``nginx -t`` (skipped without nginx unless
``LAB_REQUIRE_CLUSTER=1``); ``deploy/nginx.compose.conf`` is the same template filled for
docker-compose; the compose file parses and gives every replica the same secrets; the
replicas keep XSRF and CORS protection on; nginx's access log and cookies are read right.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from labserve.cluster import (
    COMPOSE_CONF,
    COMPOSE_REPLICAS,
    Cluster,
    compose_nginx_conf,
    launcher_nginx_conf,
    parse_access_log,
    redis_conf,
    render_nginx_conf,
    uid_from_cookie,
)
from labserve.protocol import CookieJar

ROOT = Path(__file__).resolve().parents[2]


def _directives(conf: str) -> str:
    """The config without comments, one space between words."""
    return re.sub(r"\s+", " ", re.sub(r"#[^\n]*", "", conf))


def test_the_generated_nginx_config_passes_nginx_t(tmp_path: Path) -> None:
    if shutil.which("nginx") is None:
        if os.environ.get("LAB_REQUIRE_CLUSTER") == "1":
            pytest.fail("LAB_REQUIRE_CLUSTER=1 but nginx is not installed", pytrace=False)
        pytest.skip("nginx is not installed (apt-get install nginx)")
    (tmp_path / "nginx-tmp").mkdir()
    conf = tmp_path / "nginx.conf"
    conf.write_text(launcher_nginx_conf(tmp_path, ["127.0.0.1:9001", "127.0.0.1:9002"],
                                        "127.0.0.1:9000"))
    check = subprocess.run(["nginx", "-t", "-c", str(conf), "-p", f"{tmp_path}/",
                            "-e", str(tmp_path / "error.log")], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr


def test_the_proxy_is_sticky_by_cookie_and_passes_websockets_and_uploads() -> None:
    conf = _directives(compose_nginx_conf())
    assert "ip_hash" not in conf
    for directive in [
        "userid on;", "userid_name lab_sticky;", "userid_path /;", "userid_expires 1d;",
        "map $cookie_lab_replica $lab_pool {", "r1 lab_r1;", "r2 lab_r2;",
        "proxy_pass http://$lab_pool;",
        'add_header Set-Cookie "lab_replica=$lab_answered_by; Path=/; Max-Age=86400; HttpOnly; '
        'SameSite=Lax" always;',
        "server 172.30.80.11:8501 max_fails=1 fail_timeout=10s;",
        "server 172.30.80.12:8501 backup;",
        "proxy_next_upstream error timeout http_502 http_503;",
        "proxy_http_version 1.1;", "proxy_set_header Upgrade $http_upgrade;",
        "proxy_set_header Connection $connection_upgrade;",
        "proxy_set_header Host $http_host;",
        "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
        "proxy_set_header X-Forwarded-Proto $scheme;",
        "proxy_read_timeout 1h;", "proxy_send_timeout 1h;", "proxy_buffering off;",
        "client_max_body_size 60m;",
    ]:
        assert directive in conf, directive


def test_the_compose_nginx_config_is_the_template_filled_for_compose() -> None:
    # After changing the template: python -m labserve --write-compose-conf
    assert COMPOSE_CONF.read_text() == compose_nginx_conf()
    assert "{{" not in COMPOSE_CONF.read_text()


def test_the_launcher_config_keeps_everything_nginx_writes_in_its_directory(
        tmp_path: Path) -> None:
    conf = launcher_nginx_conf(tmp_path, ["127.0.0.1:9001"], "127.0.0.1:9000")
    assert "daemon off;" in conf
    assert "listen 127.0.0.1:9000;" in conf
    paths = re.findall(r'(?:pid|error_log|access_log|_temp_path) "([^"]+)"', conf)
    assert len(paths) == 8  # pid, error log, access log, 5 temporary paths
    assert all(Path(p).is_relative_to(tmp_path) for p in paths)


@pytest.mark.parametrize("bad", [[], ["a:1; evil"], ["a:1 b"], ["{x}"], ["replica1:8501"],
                                 ["127.0.0.1:1", "127.0.0.1:1"]])
def test_servers_that_would_break_the_config_are_refused(bad: list[str]) -> None:
    with pytest.raises(ValueError):
        render_nginx_conf(bad, "8501", main_context="", http_context="")


def test_the_compose_file_runs_named_replicas_with_the_same_secrets_behind_nginx() -> None:
    yaml = pytest.importorskip("yaml")
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    replicas = [name for name in services if name.startswith("replica")]
    assert replicas == list(COMPOSE_REPLICAS)
    for name, address in COMPOSE_REPLICAS.items():  # the addresses nginx names replicas by
        assert services[name]["networks"]["lab"]["ipv4_address"] == address
    environments = [services[name]["environment"] for name in replicas]
    assert all(env == environments[0] for env in environments)
    env = environments[0]
    assert env["LAB_TORCH_THREADS"] == "1"
    assert env["LAB_CACHE_URL"] == "redis://redis:6379/0"
    assert env["LAB_CACHE_SECRET"].startswith("${LAB_CACHE_SECRET")
    assert env["STREAMLIT_SERVER_COOKIE_SECRET"].startswith("${LAB_COOKIE_SECRET")
    redis = " ".join(services["redis"]["command"])
    assert "--maxmemory 256mb" in redis and "--maxmemory-policy allkeys-lru" in redis
    nginx = services["nginx"]
    assert nginx["image"].startswith("nginx:")
    assert "./deploy/nginx.compose.conf:/etc/nginx/nginx.conf:ro" in nginx["volumes"]


def test_the_image_checks_its_health_with_python_and_serves_on_all_addresses() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert dockerfile.startswith("#") and "FROM python:3.11-slim" in dockerfile
    assert "-r requirements-serve.txt" in dockerfile
    assert "EXPOSE 8501" in dockerfile
    assert re.search(r"HEALTHCHECK .*\n?.*urllib\.request\.urlopen\('http://127\.0\.0\.1:8501/"
                     r"_stcore/health'", dockerfile)
    assert '"--server.address", "0.0.0.0"' in dockerfile
    serve = (ROOT / "requirements-serve.txt").read_text().split()
    assert "-r" in serve and "requirements.txt" in serve and "redis>=5" in serve


def test_redis_is_bounded_least_recently_used_and_keeps_nothing_on_disk(tmp_path: Path) -> None:
    conf = redis_conf(6399, "pw_1", "256mb", tmp_path).splitlines()
    for line in ["bind 127.0.0.1", "port 6399", "requirepass pw_1", "maxmemory 256mb",
                 "maxmemory-policy allkeys-lru", 'save ""', "appendonly no"]:
        assert line in conf
    for bad in ["lots", "256mb\nslaveof evil 1", "0", ""]:
        with pytest.raises(ValueError):
            redis_conf(6399, "pw", bad, tmp_path)


def test_replicas_share_secrets_and_keep_xsrf_and_cors_on(tmp_path: Path) -> None:
    cluster = Cluster(tmp_path, replicas=3)
    envs = [cluster.replica_env() for _ in cluster.replicas]
    for name in ("LAB_CACHE_URL", "LAB_CACHE_SECRET", "STREAMLIT_SERVER_COOKIE_SECRET"):
        assert len({env[name] for env in envs}) == 1
        assert len(envs[0][name]) >= 32
    assert envs[0]["LAB_TORCH_THREADS"] == "1" and envs[0]["LAB_LOG_LEVEL"] == "INFO"
    assert len({r.port for r in cluster.replicas} | {cluster.port, cluster.redis_port}) == 5
    command = " ".join(cluster.replica_command(cluster.replicas[0]))
    assert "--server.enableCORS true" in command
    assert "--server.enableXsrfProtection true" in command
    assert "--server.headless true" in command
    assert "--server.address 127.0.0.1" in command
    assert envs[0]["STREAMLIT_SERVER_COOKIE_SECRET"] not in command  # not shown by `ps`
    assert Cluster(tmp_path).replica_env()["LAB_CACHE_SECRET"] != envs[0]["LAB_CACHE_SECRET"]


def test_access_log_lines_name_the_replica_that_answered_and_the_sticky_key() -> None:
    key = "lab_sticky=0100007FDB890F6B060900A202030303"
    text = "\n".join([
        f'2026-12-02T03:00:41+00:00 200 GET "/_stcore/health" upstream="127.0.0.1:9001" '
        f'key="-{key}" rt=0.001',
        f'2026-12-02T03:00:42+00:00 101 GET "/_stcore/stream" '
        f'upstream="127.0.0.1:9002, 127.0.0.1:9001" key="{key}-" rt=9.5',
        '2026-12-02T03:00:43+00:00 502 GET "/" upstream="-" key="--" rt=0.000',
        "something else",
    ])
    health, stream, failed = parse_access_log(text)
    assert (health.status, health.upstream, health.key) == (200, "127.0.0.1:9001", key)
    assert stream.tried == ("127.0.0.1:9002", "127.0.0.1:9001")
    assert stream.upstream == "127.0.0.1:9001"
    assert (failed.upstream, failed.key) == ("", "")


def test_a_cookie_value_maps_to_the_key_nginx_logs() -> None:
    assert uid_from_cookie("fwAAAWsPiduiAAkGAwMDAg==") == (
        "lab_sticky=0100007FDB890F6B060900A202030303")


def test_the_protocol_clients_cookie_jar_keeps_values_not_attributes() -> None:
    jar = CookieJar()
    jar.update(["lab_sticky=fwAAAQ==; expires=Thu, 03-Dec-26 03:00:43 GMT; path=/; httponly",
                "_streamlit_xsrf=2|ab|cd|1; Path=/; SameSite=Lax", "not a cookie"])
    assert jar.get("lab_sticky") == "fwAAAQ=="
    assert jar.header() == "lab_sticky=fwAAAQ==; _streamlit_xsrf=2|ab|cd|1"
    assert CookieJar().header() == ""


def test_labserve_imports_no_streamlit() -> None:
    code = ("import sys, labserve.cluster, labserve.__main__, labserve.protocol; "
            "sys.exit('streamlit' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0
