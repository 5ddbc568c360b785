"""A class server on one machine: Redis, N Streamlit replicas and nginx in front of them.

``python -m labserve`` (:mod:`labserve.__main__`) runs it for a class; the ``cluster`` tests
and the benchmarks use :func:`running_cluster`::

    with running_cluster(replicas=2) as cluster:
        cluster.url                  # the class URL: nginx, sticky by cookie
        cluster.replicas[0].url      # one replica, bypassing nginx
        cluster.trainings()          # configs trained so far, all replicas together
        cluster.kill_replica(0)      # a crash: its browsers fail over to another replica

What runs, all on 127.0.0.1 except nginx's listening address, in one temporary directory:

- ``redis-server`` from a generated config: a password, ``maxmemory`` with ``allkeys-lru``,
  no persistence. It is the class's results cache (:mod:`labui.cache.redis_store`).
- N × ``streamlit run app.py`` on free ports, each with one torch thread, the Redis URL, a
  cache secret and a cookie secret generated once per launch (the same for all), and its
  cache misses logged (``LAB_LOG_LEVEL=INFO``). XSRF and CORS protection stay on.
- ``nginx`` from ``deploy/nginx.conf.template``: sticky by a per-browser cookie, websockets
  passed through, failover to the other replicas when one dies (see the template).

Nothing here imports streamlit: every server runs in its own process.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import os
import re
import secrets
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO

from labserve.app_server import ROOT, free_port, healthy, stop, trainings_in

TEMPLATE = ROOT / "deploy" / "nginx.conf.template"
COMPOSE_CONF = ROOT / "deploy" / "nginx.compose.conf"
STICKY_COOKIE = "lab_sticky"  # a browser's random id (nginx's userid module), for the log
ROUTE_COOKIE = "lab_replica"  # the replica a browser is kept on: r1, r2, ...
FAIL_TIMEOUT_S = 10  # nginx skips a replica that failed for this long, then tries it again
# docker-compose.yml's replicas and their fixed addresses on its network: nginx names the
# replica that answered from its address ($upstream_addr), so the addresses must be known.
COMPOSE_REPLICAS = {"replica1": "172.30.80.11", "replica2": "172.30.80.12"}
COMPOSE_PORT = 8501
DEFAULT_MAXMEMORY = "256mb"
SHARED_CACHE_HIT = "shared cache: hit"
SHARED_CACHE_DOWN = "shared cache unavailable"
_MEMORY = re.compile(r"^[1-9][0-9]*(b|kb|k|mb|m|gb|g)?$", re.IGNORECASE)
_ACCESS = re.compile(r'^\S+ (\d{3}) (\S+) "([^"]*)" upstream="([^"]*)" key="([^"]*)"')


class ClusterStartError(RuntimeError):
    """A part of the class server did not start (the message has its log)."""


def missing_programs() -> list[str]:
    """What this machine lacks to run a class server (``nginx``, ``redis-server``, ``redis``)."""
    missing = [name for name in ("nginx", "redis-server") if shutil.which(name) is None]
    try:
        import redis  # noqa: F401  (the replicas' shared cache needs the package)
    except ImportError:
        missing.append("the Python package redis")
    return missing


# --- configuration files ----------------------------------------------------------------------

def replica_name(index: int) -> str:
    """The ``lab_replica`` cookie's value for the replica at ``index`` (0-based).

    Example:
        >>> replica_name(0), replica_name(1)
        ('r1', 'r2')
    """
    return f"r{index + 1}"


def render_nginx_conf(servers: Sequence[str], listen: str, *, main_context: str,
                      http_context: str, worker_processes: str = "1") -> str:
    """``deploy/nginx.conf.template`` with its placeholders filled.

    Args:
        servers: the replicas as ``ip:port`` (an address, not a host name: nginx names the
            replica that answered from ``$upstream_addr``, which holds the address).
        listen: nginx's ``listen`` argument, e.g. ``"127.0.0.1:8501"`` or ``"80"``.
        main_context: lines for nginx's main context (pid, error log, ``daemon off;``).
        http_context: lines for the ``http`` block (access log, temporary paths).
        worker_processes: ``"1"`` or ``"auto"``.

    Returns:
        The configuration's text.

    Raises:
        ValueError: no servers, or a value that would break out of its directive.
    """
    if not servers:
        raise ValueError("servers must name at least one replica. Got none.")
    for value in (*servers, listen, worker_processes):
        if not value or re.search(r"[\s;{}]", value):
            raise ValueError(f"nginx values must be single words without ';{{}}'. Got {value!r}.")
    for server in servers:
        if not re.fullmatch(r"\d{1,3}(\.\d{1,3}){3}:\d+", server):
            raise ValueError(f"servers must be IPv4 addresses with ports, e.g. 127.0.0.1:8502. "
                             f"Got {server!r}.")
    if len(set(servers)) != len(servers):
        raise ValueError(f"servers must differ. Got {list(servers)}.")
    upstream = "\n".join(f"        server {server} max_fails=1 fail_timeout={FAIL_TIMEOUT_S}s;"
                         for server in servers)
    names = [replica_name(i) for i in range(len(servers))]
    answered_by = "\n".join(f'        "~(^|[ ,]){re.escape(server)}$" {name};'
                            for server, name in zip(servers, names, strict=True))
    pools = "\n".join(f"        {name} lab_{name};" for name in names)
    pinned = "\n".join(
        f"    upstream lab_{name} {{\n"
        f"        server {server} max_fails=1 fail_timeout={FAIL_TIMEOUT_S}s;\n"
        + "".join(f"        server {other} backup;\n" for other in servers if other != server)
        + "    }"
        for server, name in zip(servers, names, strict=True))
    text = TEMPLATE.read_text()
    for name, value in {"main_context": main_context, "http_context": http_context,
                        "worker_processes": worker_processes, "servers": upstream,
                        "answered_by": answered_by, "pools_by_cookie": pools,
                        "pinned_upstreams": pinned, "listen": listen}.items():
        text = text.replace("{{" + name + "}}", value)
    return text


def _quoted(path: Path) -> str:
    text = str(path)
    if '"' in text or "\n" in text:
        raise ValueError(f"nginx paths cannot contain quotes or newlines. Got {text!r}.")
    return f'"{text}"'


def launcher_nginx_conf(workdir: Path, servers: Sequence[str], listen: str) -> str:
    """The configuration ``python -m labserve`` runs: everything nginx writes in ``workdir``.

    Runs without root: pid file, logs and the temporary paths Debian compiles in
    (``/var/lib/nginx/…``) are all moved to ``workdir``; ``daemon off`` keeps nginx in the
    foreground, a child of the launcher.
    """
    main_context = "\n".join([
        "daemon off;",
        f"pid {_quoted(workdir / 'nginx.pid')};",
        f"error_log {_quoted(workdir / 'nginx-error.log')} notice;",
    ])
    temp = workdir / "nginx-tmp"
    http_context = "\n".join(
        [f"    access_log {_quoted(workdir / 'nginx-access.log')} lab;"]
        + [f"    {kind}_temp_path {_quoted(temp / kind)};"
           for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")])
    return render_nginx_conf(servers, listen, main_context=main_context,
                             http_context=http_context)


def compose_nginx_conf() -> str:
    """The text of ``deploy/nginx.compose.conf``: the template for ``docker-compose.yml``.

    The official nginx image starts ``nginx -g "daemon off;"`` itself and keeps its temporary
    files in ``/var/cache/nginx``; logs go to the container's output.
    """
    header = ("# deploy/nginx.compose.conf: generated from deploy/nginx.conf.template by\n"
              "# `python -m labserve --write-compose-conf`; do not edit by hand. Another replica:\n"
              "# add it to labserve.cluster.COMPOSE_REPLICAS, regenerate, and add its service\n"
              "# to docker-compose.yml.\n")
    return header + render_nginx_conf(
        [f"{address}:{COMPOSE_PORT}" for address in COMPOSE_REPLICAS.values()], str(COMPOSE_PORT),
        main_context="user nginx;\npid /tmp/nginx.pid;\nerror_log /dev/stderr notice;",
        http_context="    access_log /dev/stdout lab;", worker_processes="auto")


def redis_conf(port: int, password: str, maxmemory: str, workdir: Path) -> str:
    """A ``redis-server`` config: 127.0.0.1 only, a password, LRU within ``maxmemory``, no disk.

    Raises:
        ValueError: ``maxmemory`` is not a size like ``256mb``.
    """
    if not _MEMORY.match(maxmemory):
        raise ValueError(f"maxmemory must be a size such as 256mb or 1gb. Got {maxmemory!r}.")
    if not re.fullmatch(r"[A-Za-z0-9_-]+", password):
        raise ValueError("password must be URL-safe characters only.")
    return "\n".join([
        "bind 127.0.0.1",
        "protected-mode yes",
        f"port {port}",
        f"requirepass {password}",
        f"maxmemory {maxmemory}",
        "maxmemory-policy allkeys-lru",
        'save ""',  # a results cache: nothing to persist
        "appendonly no",
        f"dir {_quoted(workdir)}",
        'logfile ""',
        "daemonize no",
        "",
    ])


def uid_from_cookie(value: str) -> str:
    """The routing key nginx logs (``$uid_got``) for a ``lab_sticky`` cookie's value.

    The cookie is 16 bytes in base64; nginx prints them as four little-endian 32-bit words.

    Example:
        >>> uid_from_cookie("fwAAAWsPiduiAAkGAwMDAg==")
        'lab_sticky=0100007FDB890F6B060900A202030303'
    """
    words = struct.unpack("<4I", base64.b64decode(value))
    return f"{STICKY_COOKIE}=" + "".join(f"{word:08X}" for word in words)


# --- the running parts ------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class AccessEntry:
    """One request in nginx's access log: who served it, routed by which sticky key."""

    status: int
    method: str
    uri: str
    upstream: str  # the replica that answered, ``127.0.0.1:PORT`` ("" when none did)
    tried: tuple[str, ...]  # every replica tried, in order (more than one after a failover)
    key: str  # ``lab_sticky=<hex>`` (see :func:`uid_from_cookie`); "" when there was none


def parse_access_log(text: str) -> list[AccessEntry]:
    """The entries of an access log written in the template's ``lab`` format."""
    entries = []
    for line in text.splitlines():
        match = _ACCESS.match(line)
        if match is None:
            continue
        status, method, uri, upstream, key = match.groups()
        # "A, B" when A failed and B answered; " : " separates internal redirects.
        tried = tuple(part for part in (p.strip() for p in re.split(r",| : ", upstream))
                      if part and part != "-")
        sticky = re.search(STICKY_COOKIE + r"=[0-9A-F]+", key)  # nginx logs "-" for unset
        entries.append(AccessEntry(int(status), method, uri, tried[-1] if tried else "",
                                   tried, sticky.group() if sticky else ""))
    return entries


@dataclasses.dataclass
class Replica:
    """One ``streamlit run app.py`` of the class: its port, process and log file."""

    index: int
    port: int
    log_path: Path
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        """The replica itself, bypassing nginx."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def address(self) -> str:
        """How nginx names it (``127.0.0.1:PORT``), as in :attr:`AccessEntry.upstream`."""
        return f"127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        """The replica's websocket, bypassing nginx."""
        return f"ws://127.0.0.1:{self.port}/_stcore/stream"

    @property
    def alive(self) -> bool:
        """Whether its process runs."""
        return self.process is not None and self.process.poll() is None

    def read_log(self) -> str:
        """Everything the replica wrote to stdout and stderr, across its restarts."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def trainings(self) -> int:
        """Configs this replica trained ("computing …" lines), across its restarts."""
        return trainings_in(self.read_log())

    def shared_cache_hits(self) -> int:
        """Results this replica loaded from Redis instead of training them."""
        return self.read_log().count(SHARED_CACHE_HIT)


def _kill_group(process: subprocess.Popen, sig: signal.Signals) -> None:
    """Send ``sig`` to the process's group (it leads its own session) and reap it."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=10)


def _redis_ping(port: int, password: str) -> bool:
    """Whether Redis on 127.0.0.1:``port`` accepts the password and answers PING."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(f"AUTH {password}\r\nPING\r\n".encode())
            reply = b""
            while b"PONG" not in reply and len(reply) < 256:
                chunk = sock.recv(256)
                if not chunk:
                    break
                reply += chunk
            return b"+PONG" in reply
    except OSError:
        return False


def _free_port_except(taken: set[int]) -> int:
    """A free port not in ``taken`` (which it joins): no two parts are given the same one."""
    while True:
        port = free_port()
        if port not in taken:
            taken.add(port)
            return port


class Cluster:
    """Redis, N replicas and nginx, started by :meth:`start` and stopped by :meth:`stop`.

    Args:
        workdir: where configs, logs and nginx's temporary files go.
        replicas: how many ``streamlit run app.py`` processes.
        port: nginx's port (the class URL's).
        host: nginx's listening address: ``127.0.0.1`` (this machine) or ``0.0.0.0`` (a class).
        redis_port: Redis's port on 127.0.0.1 (a free one when None).
        maxmemory: Redis's memory limit, e.g. ``"256mb"``; least recently used results go.
        extra_env: more environment variables for the replicas.
        timeout_s: how long each part may take to answer its health check.
    """

    def __init__(self, workdir: Path, *, replicas: int = 2, port: int | None = None,
                 host: str = "127.0.0.1", redis_port: int | None = None,
                 maxmemory: str = DEFAULT_MAXMEMORY, extra_env: dict[str, str] | None = None,
                 timeout_s: float = 120.0) -> None:
        if replicas < 1:
            raise ValueError(f"replicas must be at least 1. Got {replicas}.")
        self.workdir = workdir
        self.host = host
        taken = {p for p in (port, redis_port) if p}
        self.port = port or _free_port_except(taken)
        self.redis_port = redis_port or _free_port_except(taken)
        self.maxmemory = maxmemory
        self.extra_env = dict(extra_env or {})
        self.timeout_s = timeout_s
        self._redis_password = secrets.token_urlsafe(24)
        self._cache_secret = secrets.token_urlsafe(32)
        self._cookie_secret = secrets.token_urlsafe(32)
        self.replicas = [Replica(i, _free_port_except(taken), workdir / f"replica-{i + 1}.log")
                         for i in range(replicas)]
        self.redis_process: subprocess.Popen | None = None
        self.nginx_process: subprocess.Popen | None = None
        self.redis_log = workdir / "redis.log"
        self.nginx_conf = workdir / "nginx.conf"
        self.nginx_error_log = workdir / "nginx-error.log"
        self.nginx_access_log = workdir / "nginx-access.log"
        self._logs: list[BinaryIO] = []

    # -- addresses ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The class URL on this machine (nginx)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        """The websocket a browser opens, through nginx."""
        return f"ws://127.0.0.1:{self.port}/_stcore/stream"

    @property
    def redis_url(self) -> str:
        """``redis://:<password>@127.0.0.1:<port>/0``: what the replicas get as LAB_CACHE_URL."""
        return f"redis://:{self._redis_password}@127.0.0.1:{self.redis_port}/0"

    def replica_env(self) -> dict[str, str]:
        """The environment every replica runs with (the secrets are the same for all)."""
        return {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "LAB_TORCH_THREADS": "1",
            "LAB_LOG_LEVEL": "INFO",
            "LAB_CACHE_URL": self.redis_url,
            "LAB_CACHE_SECRET": self._cache_secret,
            # Streamlit reads server.cookieSecret from here as from --server.cookieSecret;
            # unlike a flag, the environment does not show in `ps`.
            "STREAMLIT_SERVER_COOKIE_SECRET": self._cookie_secret,
            **self.extra_env,
        }

    def replica_command(self, replica: Replica) -> list[str]:
        """``streamlit run app.py`` on the replica's port, with CORS and XSRF kept on."""
        return [sys.executable, "-m", "streamlit", "run", "app.py",
                "--server.port", str(replica.port), "--server.address", "127.0.0.1",
                "--server.headless", "true", "--server.enableCORS", "true",
                "--server.enableXsrfProtection", "true", "--browser.gatherUsageStats", "false"]

    # -- starting and stopping ---------------------------------------------------------------

    def start(self) -> None:
        """Start Redis, every replica (in parallel) and nginx; return when all answer.

        Raises:
            ClusterStartError: a part exited or did not answer within ``timeout_s``.
        """
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.start_redis()
        for replica in self.replicas:
            self._spawn_replica(replica)
        with ThreadPoolExecutor(len(self.replicas)) as pool:
            list(pool.map(self._wait_for_replica, self.replicas))
        self.start_nginx()

    def stop(self) -> None:
        """Stop nginx (no new requests), then the replicas, then Redis."""
        processes = [self.nginx_process, *(r.process for r in self.replicas), self.redis_process]
        for process in processes:
            if process is not None:
                stop(process)
        for log in self._logs:
            log.close()
        self._logs.clear()

    def _log_file(self, path: Path) -> BinaryIO:
        log = path.open("ab")
        self._logs.append(log)
        return log

    def start_redis(self) -> None:
        """Start ``redis-server`` (again) on its port; return once it answers PING."""
        conf = self.workdir / "redis.conf"
        conf.touch(mode=0o600)
        conf.chmod(0o600)  # it holds the password
        conf.write_text(redis_conf(self.redis_port, self._redis_password, self.maxmemory,
                                   self.workdir))
        log = self._log_file(self.redis_log)
        self.redis_process = subprocess.Popen(
            ["redis-server", str(conf)], cwd=self.workdir, stdout=log, stderr=log,
            start_new_session=True)
        self._wait(lambda: _redis_ping(self.redis_port, self._redis_password),
                   self.redis_process, "redis-server", self.redis_log)

    def kill_redis(self) -> None:
        """Kill Redis at once (SIGKILL): the replicas must carry on without it."""
        if self.redis_process is not None:
            _kill_group(self.redis_process, signal.SIGKILL)

    def _spawn_replica(self, replica: Replica) -> None:
        log = self._log_file(replica.log_path)
        replica.process = subprocess.Popen(
            self.replica_command(replica), cwd=ROOT, env=self.replica_env(), stdout=log,
            stderr=log, start_new_session=True)

    def _wait_for_replica(self, replica: Replica) -> None:
        assert replica.process is not None
        self._wait(lambda: healthy(replica.url), replica.process,
                   f"replica {replica.index + 1}", replica.log_path)

    def start_replica(self, index: int) -> None:
        """Start replica ``index`` (again) on its port; return once it is healthy."""
        replica = self.replicas[index]
        if replica.alive:
            return
        self._spawn_replica(replica)
        self._wait_for_replica(replica)

    def kill_replica(self, index: int) -> None:
        """Kill replica ``index`` at once (SIGKILL), as a crash would: no goodbye to clients."""
        process = self.replicas[index].process
        if process is not None:
            _kill_group(process, signal.SIGKILL)

    def start_nginx(self) -> None:
        """Write nginx's config, check it (``nginx -t``), start nginx; wait for the class URL.

        Raises:
            ClusterStartError: ``nginx -t`` rejected the config, or nginx did not answer.
        """
        listen = f"{self.host}:{self.port}"
        (self.workdir / "nginx-tmp").mkdir(mode=0o755, exist_ok=True)
        self.nginx_conf.write_text(launcher_nginx_conf(
            self.workdir, [r.address for r in self.replicas], listen))
        command = ["nginx", "-c", str(self.nginx_conf), "-p", f"{self.workdir}/",
                   "-e", str(self.nginx_error_log)]
        check = subprocess.run([*command, "-t", "-q"], capture_output=True, text=True)
        if check.returncode != 0:
            raise ClusterStartError(f"nginx -t rejected {self.nginx_conf}:\n{check.stderr}")
        log = self._log_file(self.workdir / "nginx.out")
        self.nginx_process = subprocess.Popen(command, cwd=self.workdir, stdout=log, stderr=log,
                                              start_new_session=True)
        self._wait(lambda: healthy(self.url), self.nginx_process, "nginx",
                   self.nginx_error_log)

    def _wait(self, ready: Callable[[], bool], process: subprocess.Popen, name: str,
              log: Path) -> None:
        deadline = time.monotonic() + self.timeout_s
        while not ready():
            if process.poll() is not None or time.monotonic() > deadline:
                text = log.read_text(errors="replace")[-4000:] if log.exists() else ""
                state = "exited" if process.poll() is not None else "did not answer in time"
                stop(process)  # not left behind when it hangs
                raise ClusterStartError(f"{name} {state}.\n{text}")
            time.sleep(0.2)

    def restart_dead(self) -> list[str]:
        """Start again whatever died (Redis, replicas); return their names.

        Raises:
            ClusterStartError: nginx died (the class URL is gone), or a restart failed.
        """
        if self.nginx_process is not None and self.nginx_process.poll() is not None:
            raise ClusterStartError(
                f"nginx exited.\n{self.nginx_error_log.read_text(errors='replace')[-4000:]}")
        restarted = []
        if self.redis_process is None or self.redis_process.poll() is not None:
            self.start_redis()
            restarted.append("redis-server")
        for replica in self.replicas:
            if not replica.alive:
                self.start_replica(replica.index)
                restarted.append(f"replica {replica.index + 1}")
        if any(name.startswith("replica") for name in restarted):
            self.reload_nginx()  # the restarted replicas take students at once
        return restarted

    def reload_nginx(self, timeout_s: float = 10.0) -> None:
        """Reload nginx (SIGHUP): new workers, which forget which replicas had failed.

        Without it a restarted replica gets no new students until ``fail_timeout`` has
        passed. Open websockets stay with the old workers until they close. Returns once the
        old workers stopped accepting connections.
        """
        if self.nginx_process is None or self.nginx_process.poll() is not None:
            return
        done = "gracefully shutting down"
        before = self.nginx_error_log.read_text(errors="replace").count(done)
        os.kill(self.nginx_process.pid, signal.SIGHUP)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.nginx_error_log.read_text(errors="replace").count(done) > before:
                return
            time.sleep(0.05)

    # -- what happened -----------------------------------------------------------------------

    def trainings(self) -> int:
        """Configs trained so far, all replicas together (cache misses of the whole class)."""
        return sum(replica.trainings() for replica in self.replicas)

    def access_log(self) -> list[AccessEntry]:
        """Every request nginx finished so far (a websocket is logged when it closes)."""
        if not self.nginx_access_log.exists():
            return []
        return parse_access_log(self.nginx_access_log.read_text(errors="replace"))

    def replica_at(self, address: str) -> Replica:
        """The replica nginx calls ``address`` (``127.0.0.1:PORT``)."""
        for replica in self.replicas:
            if replica.address == address:
                return replica
        raise KeyError(f"address must be one of {[r.address for r in self.replicas]}. "
                       f"Got {address!r}.")

    def replica_for(self, cookies: str, timeout_s: float = 10.0) -> Replica:
        """The replica nginx routes a browser with these cookies to now.

        Asks nginx: a health request carrying the browser's ``Cookie`` header (e.g.
        ``CookieJar.header()``), then its line in the access log.
        """
        probe = f"/_stcore/health?probe={uuid.uuid4().hex}"
        request = urllib.request.Request(self.url + probe, headers={"Cookie": cookies})
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for entry in self.access_log():
                if entry.uri == probe:
                    return self.replica_at(entry.upstream)
            time.sleep(0.1)
        raise TimeoutError(f"nginx did not log {probe} within {timeout_s:g} s.")


@contextlib.contextmanager
def running_cluster(replicas: int = 2, *, port: int | None = None, host: str = "127.0.0.1",
                    redis_port: int | None = None, maxmemory: str = DEFAULT_MAXMEMORY,
                    extra_env: dict[str, str] | None = None, timeout_s: float = 120.0,
                    workdir: Path | None = None) -> Iterator[Cluster]:
    """Redis, ``replicas`` × ``streamlit run app.py`` and nginx; yields them; stops them after.

    Args:
        replicas: how many Streamlit processes (one per core is the rule of thumb).
        port: the class URL's port (nginx); a free one when None.
        host: nginx's listening address (``0.0.0.0`` to serve other machines).
        redis_port: Redis's port on 127.0.0.1; a free one when None.
        maxmemory: Redis's memory limit.
        extra_env: more environment variables for the replicas.
        timeout_s: how long each part may take to start.
        workdir: keep configs and logs here; a temporary directory (removed after) when None.

    Raises:
        ClusterStartError: a part did not start (everything started is stopped again).
    """
    with contextlib.ExitStack() as stack:
        if workdir is None:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="labserve-")))
            # nginx's workers run as nobody when nginx is started by root; they use nginx-tmp/.
            workdir.chmod(0o755)
        cluster = Cluster(workdir, replicas=replicas, port=port, host=host,
                          redis_port=redis_port, maxmemory=maxmemory, extra_env=extra_env,
                          timeout_s=timeout_s)
        stack.callback(cluster.stop)
        cluster.start()
        yield cluster


def http_get(url: str, headers: dict[str, str] | None = None, timeout_s: float = 10.0
             ) -> tuple[int, dict[str, list[str]], bytes]:
    """GET ``url``: (status, headers by lower-case name, body); HTTP errors are returned too."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            status, message, body = response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        status, message, body = error.code, error.headers, error.read()
    found: dict[str, list[str]] = {}
    for name, value in message.items():
        found.setdefault(name.lower(), []).append(value)
    return status, found, body
