"""Serve a class from this machine: ``python -m labserve --replicas 2 [--port 8501]``.

Starts Redis (the class's shared results), ``--replicas`` Streamlit processes and nginx in
front of them (sticky by cookie), prints the class URL, restarts a replica or Redis that dies,
and stops everything on Ctrl-C or SIGTERM. Needs ``nginx`` and ``redis-server`` (Debian:
``apt-get install nginx redis-server``) and ``pip install -r requirements-serve.txt``.
See :mod:`labserve.cluster` and ``deploy/README.md``.
"""

from __future__ import annotations

import argparse
import signal
import socket
import sys
import time
from pathlib import Path
from types import FrameType

from labserve.cluster import (
    COMPOSE_CONF,
    DEFAULT_MAXMEMORY,
    ClusterStartError,
    compose_nginx_conf,
    missing_programs,
    running_cluster,
)

WATCH_EVERY_S = 2.0
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line (see ``python -m labserve --help``)."""
    parser = argparse.ArgumentParser(
        prog="python -m labserve",
        description="Serve Uncertainty Lab to a class: Redis, N Streamlit replicas, nginx.")
    parser.add_argument("--replicas", type=int, default=2,
                        help="Streamlit processes; one per core (default: 2)")
    parser.add_argument("--port", type=int, default=8501,
                        help="the class URL's port, nginx's (default: 8501)")
    parser.add_argument("--host", default="0.0.0.0",
                        help="nginx's listening address: 0.0.0.0 serves the network "
                             "(default), 127.0.0.1 only this machine")
    parser.add_argument("--redis-port", type=int, default=None,
                        help="Redis's port on 127.0.0.1 (default: a free port)")
    parser.add_argument("--maxmemory", default=DEFAULT_MAXMEMORY,
                        help=f"Redis's memory for results; least recently used go first "
                             f"(default: {DEFAULT_MAXMEMORY})")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="keep configs and logs here (default: a temporary directory, "
                             "removed on exit)")
    parser.add_argument("--write-compose-conf", action="store_true",
                        help="write deploy/nginx.compose.conf from deploy/nginx.conf.template "
                             "(after changing the template) and exit")
    args = parser.parse_args(argv)
    if args.replicas < 1:
        parser.error(f"--replicas must be at least 1. Got {args.replicas}.")
    return args


def class_urls(host: str, port: int) -> list[str]:
    """What students type: this machine's name when serving the network, else 127.0.0.1."""
    local = f"http://127.0.0.1:{port}"
    if host in ("127.0.0.1", "localhost"):
        return [local]
    name = host if host not in ("0.0.0.0", "::") else socket.gethostname()
    return [f"http://{name}:{port}", local]


def _stop(signum: int, frame: FrameType | None) -> None:
    """Ctrl-C or SIGTERM: unwind :func:`running_cluster`, which stops every process."""
    for sig in STOP_SIGNALS:  # a second Ctrl-C must not cut the stopping short
        signal.signal(sig, signal.SIG_IGN)
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """Run the class server until Ctrl-C or SIGTERM; the exit status."""
    args = parse_args(argv)
    if args.write_compose_conf:
        COMPOSE_CONF.write_text(compose_nginx_conf())
        print(f"Wrote {COMPOSE_CONF}")
        return 0
    missing = missing_programs()
    if missing:
        print(f"Cannot serve a class: missing {', '.join(missing)} "
              "(apt-get install nginx redis-server; pip install -r requirements-serve.txt).",
              file=sys.stderr)
        return 2
    for sig in STOP_SIGNALS:
        signal.signal(sig, _stop)
    print(f"Starting Redis, {args.replicas} replica(s) and nginx …", flush=True)
    try:
        with running_cluster(args.replicas, port=args.port, host=args.host,
                             redis_port=args.redis_port, maxmemory=args.maxmemory,
                             workdir=args.workdir) as cluster:
            urls = class_urls(args.host, cluster.port)
            print(f"Class URL: {urls[0]}", flush=True)
            for url in urls[1:]:
                print(f"  on this machine: {url}")
            for replica in cluster.replicas:
                print(f"  replica {replica.index + 1}: {replica.url}  log: {replica.log_path}")
            print(f"  redis: 127.0.0.1:{cluster.redis_port} (maxmemory {args.maxmemory})  "
                  f"nginx log: {cluster.nginx_access_log}")
            print("Press Ctrl-C to stop.", flush=True)
            while True:
                time.sleep(WATCH_EVERY_S)
                try:
                    restarted = cluster.restart_dead()
                except ClusterStartError as exc:
                    if cluster.nginx_process is None or cluster.nginx_process.poll() is not None:
                        raise  # the class URL is gone
                    print(f"{time.strftime('%H:%M:%S')} a restart failed (trying again): {exc}",
                          file=sys.stderr, flush=True)
                    continue
                for name in restarted:
                    print(f"{time.strftime('%H:%M:%S')} {name} had stopped; started again",
                          flush=True)
    except KeyboardInterrupt:
        print("Stopped.", flush=True)
        return 0
    except (ClusterStartError, ValueError) as exc:
        print(f"Cannot serve a class: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
