"""Serve a class from one machine: several app processes (replicas) behind one nginx.

    nn-playground serve-class                        # one replica per core; students open http://<this machine>:8501
    nn-playground serve-class --replicas 2 --port 8080

One Streamlit process uses about one core (it runs every session's script under one Python
interpreter), so a class served by one process leaves the machine's other cores idle. Here each
replica is a whole app (`nn-playground serve`) on a local port, and nginx, on the port the students
open, keeps each browser on one replica: a session's state, its websocket and its media files (the
MNIST page's images) live in one process.

Routing is by a cookie nginx sets (open-source nginx has no `sticky`, and `ip_hash` would send a
whole school network, which reaches the server from one address, to one replica):

- a browser without the cookie goes to the replicas in turn (round robin);
- every response says which replica answered: `Set-Cookie: playground_replica=<i>`;
- a browser with the cookie goes to replica i, or, while i is down (`max_fails`/`fail_timeout`),
  to another (the others are its backups), whose answers then move the cookie there, so the
  student stays on the replica that has their new session even when i comes back.

A replica that dies is restarted; its students' pages reconnect to a live replica, get their
settings back from the URL, and say that the training progress was lost (`viewer.reconnected`).
`nginx_config` writes the configuration; `deploy/nginx.conf` and `deploy/nginx.compose.conf` are
its output for two replicas (`tests/browser/test_browser_replicas.py` keeps them equal).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from playground.cli import DEFAULT_PORT, serve_command

COOKIE = "playground_replica"
# A replica that refuses connections is left alone for this long before nginx tries it again.
FAIL_TIMEOUT_SECONDS = 10
# Streamlit pings its websocket every 30 s: a proxied connection silent for 4 pings is dead.
WEBSOCKET_READ_TIMEOUT_SECONDS = 120
# The largest request nginx passes on, in megabytes: the app's own message cap (server.maxMessageSize).
MAX_BODY_MB = 20
START_SECONDS = 120  # a bound on a hung start, not a speed target
RESTART_BACKOFF_SECONDS = (1, 2, 5, 10, 30, 60)
NGINX = "nginx"
NGINX_PATHS = ("/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/local/nginx/sbin/nginx")
# Streamlit's own banner names each replica's private address: the class must not open those.
_BANNER = ("You can now view your Streamlit app", "URL: http", "Local URL:", "Network URL:", "External URL:")


# ---------------------------------------------------------------- the nginx configuration


def nginx_config(replicas: Sequence[str], listen: str, run_dir: str | None = None) -> str:
    """nginx.conf for `replicas` ("host:port" of each app process) behind `listen` ("address:port").

    With `run_dir` the configuration is for a foreground nginx started by an ordinary user
    (`serve-class`): its pid file, logs and temporary files go there. Without it, nginx's own
    defaults (a system or container nginx, as in deploy/compose.yaml)."""
    if not replicas:
        raise ValueError("nginx needs at least one replica")
    numbered = list(enumerate(replicas, start=1))
    server = f"max_fails=1 fail_timeout={FAIL_TIMEOUT_SECONDS}s"

    def pool(name: str, members: list[tuple[int, str]], primary: int | None = None) -> str:
        lines = [f"        server {address} {server}{'' if primary in (None, i) else ' backup'};"
                 for i, address in members]
        return "\n".join([f"    upstream {name} {{", f"        zone {name} 64k;", *lines, "    }"])

    # Answers from replica i (the last address nginx tried is the one that answered).
    served = "\n".join(f"        ~{_regex(address)}$ {i};" for i, address in numbered)
    routes = "\n".join(f"        {i} replica_{i};" for i, _ in numbered)
    pools = "\n\n".join([pool("replicas", numbered),
                         *(pool(f"replica_{i}", [(i, address), *((j, a) for j, a in numbered if j != i)], primary=i)
                           for i, address in numbered)])
    if run_dir is None:
        process = "worker_processes 1;\nerror_log stderr warn;"
        files = "    access_log off;"
    else:
        process = "\n".join(["worker_processes 1;", "daemon off;", f"pid {run_dir}/nginx.pid;",
                             f"error_log {run_dir}/error.log warn;"])
        files = "\n".join(["    access_log off;",
                           *(f"    {kind}_temp_path {run_dir}/{kind}_temp;"
                             for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))])
    return f"""\
# The neural-network playground: {len(replicas)} app replicas behind one nginx, each browser kept on one.
# Written by playground/serve_class.py (nginx_config), as `nn-playground serve-class` writes it: change that, not this.
{process}

events {{
    # Each student holds one websocket, which is two connections here (theirs and the replica's).
    worker_connections 4096;
}}

http {{
{files}
    server_tokens off;
    client_max_body_size {MAX_BODY_MB}m;

    map $http_upgrade $connection_upgrade {{
        default upgrade;
        ""      close;
    }}

    # Which replica answered ($upstream_addr lists every replica tried; the last one answered).
    map $upstream_addr $replica_served {{
{served}
        default "";
    }}

    # Every answer pins the browser to the replica that gave it (after a failover: the live one).
    map $replica_served $replica_cookie {{
        ""      "";
        default "{COOKIE}=$replica_served; Path=/; HttpOnly; SameSite=Lax";
    }}

    # A browser with the cookie goes to its replica, any other (a first visit, a cookie that
    # names no replica) to the replicas in turn.
    map $cookie_{COOKIE} $replica_pool {{
{routes}
        default replicas;
    }}

{pools}

    server {{
        listen {listen};

        location / {{
            proxy_pass http://$replica_pool;
            proxy_http_version 1.1;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            # A replica that is down refuses at once; one that hangs is given 2 s before the next is tried.
            proxy_connect_timeout 2s;
            proxy_next_upstream error timeout http_502 http_503;
            proxy_read_timeout {WEBSOCKET_READ_TIMEOUT_SECONDS}s;
            proxy_send_timeout {WEBSOCKET_READ_TIMEOUT_SECONDS}s;
            add_header Set-Cookie $replica_cookie always;
        }}
    }}
}}
"""


def _regex(address: str) -> str:
    """`address` as an nginx (PCRE) regular expression matching it literally."""
    return "".join("\\" + c if c in r".^$*+?()[]{}|\\" else c for c in address)


def find_nginx() -> str | None:
    """The nginx binary: on the PATH, or where Debian and source builds put it (often not on a user's PATH)."""
    found = shutil.which(NGINX)
    return found or next((path for path in NGINX_PATHS if os.access(path, os.X_OK)), None)


# ---------------------------------------------------------------- the processes


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _port_open(host: str, port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=1):
        return True
    return False


def _healthy(url: str) -> bool:
    with contextlib.suppress(OSError), urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
        return answer.status == 200
    return False


def end_process(process: subprocess.Popen, first: int = signal.SIGTERM, seconds: float = 10) -> None:
    """Ask `process` to end with `first` (unless it has ended), then kill it if it has not after `seconds`."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(first)
        try:
            process.wait(seconds)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(seconds)


@dataclass
class Replica:
    """One app process, on 127.0.0.1:`port`."""

    index: int
    port: int
    process: subprocess.Popen | None = None
    started: float = 0.0
    restarts: int = 0

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.address}"

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


@dataclass
class ClassServer:
    """`replicas` app processes and one nginx on `host`:`port` in front of them.

    `start()` returns once every replica answers its health check and nginx listens; `watch()`
    restarts a replica that died (`restart=True`); `stop()` ends everything. A context manager too.
    `env`: extra environment variables for the replicas. `say`: where progress lines go."""

    replicas: int
    port: int = DEFAULT_PORT
    host: str = "0.0.0.0"
    env: Mapping[str, str] = field(default_factory=dict)
    restart: bool = True
    say: Callable[[str], None] = print
    members: list[Replica] = field(init=False, default_factory=list)
    nginx: subprocess.Popen | None = field(init=False, default=None)
    run_dir: Path | None = field(init=False, default=None)
    _stopping: bool = field(init=False, default=False)

    # -------------------------------------------------------------- life

    def start(self) -> None:
        binary = find_nginx()
        if binary is None:
            raise RuntimeError("nginx is not installed: `sudo apt-get install nginx` (`make serve-class` does it)")
        if self.replicas < 1:
            raise ValueError("--replicas must be at least 1")
        local = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        if _port_open(local, self.port):
            raise RuntimeError(f"port {self.port} is already in use (another server, `make run`?): "
                               "stop it or choose another --port")
        self.run_dir = Path(tempfile.mkdtemp(prefix="nn-playground-class-"))
        self.run_dir.chmod(0o755)  # nginx's workers (user nobody when started as root) reach its temp files
        # One secret for every replica: a browser moved to another replica keeps a valid XSRF cookie.
        self._secret = secrets.token_hex(32)
        self.members = [Replica(i, free_port()) for i in range(1, self.replicas + 1)]
        for replica in self.members:
            self._launch(replica)
        deadline = time.monotonic() + START_SECONDS
        for replica in self.members:
            while not _healthy(replica.url):
                if not replica.alive():
                    raise RuntimeError(f"replica {replica.index} did not start (exit code {replica.process.poll()})")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"replica {replica.index} did not answer within {START_SECONDS} s")
                time.sleep(0.25)
        config = self.run_dir / "nginx.conf"
        config.write_text(nginx_config([r.address for r in self.members], f"{self.host}:{self.port}", str(self.run_dir)))
        self.nginx = subprocess.Popen([binary, "-e", str(self.run_dir / "error.log"), "-p", str(self.run_dir),
                                       "-c", str(config)], start_new_session=True,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while not _port_open(local, self.port):
            if self.nginx.poll() is not None:
                raise RuntimeError(f"nginx did not start: {self.nginx_errors() or 'no message'}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"nginx did not listen on {self.host}:{self.port} within {START_SECONDS} s")
            time.sleep(0.1)

    def _launch(self, replica: Replica) -> None:
        flags = ["--server.port", str(replica.port), "--server.address", "127.0.0.1"]
        env = {**os.environ, "STREAMLIT_SERVER_COOKIE_SECRET": self._secret, **self.env}
        replica.process = subprocess.Popen(serve_command(flags), env=env, start_new_session=True,
                                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                           stderr=subprocess.STDOUT, text=True, errors="replace")
        replica.started = time.monotonic()
        threading.Thread(target=self._relay, args=(replica.index, replica.process), daemon=True).start()

    def _relay(self, index: int, process: subprocess.Popen) -> None:
        """A replica's console, each line marked with its number (its startup banner, which names
        its private address, left out)."""
        for line in process.stdout:
            text = line.rstrip()
            if text and not any(part in text for part in _BANNER):
                self.say(f"[replica {index}] {text}")

    def watch(self) -> None:
        """Restart replicas that died (with growing pauses if one keeps dying); raise if nginx died."""
        if self.nginx is not None and self.nginx.poll() is not None and not self._stopping:
            raise RuntimeError(f"nginx stopped (exit code {self.nginx.poll()}): {self.nginx_errors() or 'no message'}")
        for replica in self.members:
            if self.restart and not self._stopping and replica.process is not None and not replica.alive():
                pause = RESTART_BACKOFF_SECONDS[min(replica.restarts, len(RESTART_BACKOFF_SECONDS) - 1)]
                died = replica.process.returncode
                if time.monotonic() - replica.started > 60:  # it ran a while: a fresh failure
                    replica.restarts, pause = 0, RESTART_BACKOFF_SECONDS[0]
                if time.monotonic() - replica.started < pause:
                    continue
                replica.restarts += 1
                self._launch(replica)
                self.say(f"replica {replica.index} stopped (exit code {died}); starting it again (pid "
                         f"{replica.process.pid}). Its students reconnect to another replica and lose their runs' progress.")

    def stop(self) -> None:
        self._stopping = True
        if self.nginx is not None:
            end_process(self.nginx, signal.SIGTERM, 5)  # a fast stop: a graceful one waits for every websocket to close
        for replica in self.members:
            if replica.process is not None and replica.alive():
                replica.process.send_signal(signal.SIGTERM)
        for replica in self.members:
            if replica.process is not None:
                end_process(replica.process)
        if self.run_dir is not None:
            shutil.rmtree(self.run_dir, ignore_errors=True)

    def nginx_errors(self) -> str:
        """The last thing nginx logged (its error log repeats a failed bind five times)."""
        log = self.run_dir / "error.log" if self.run_dir else None
        lines = log.read_text(errors="replace").strip().splitlines() if log and log.exists() else []
        return lines[-2] if len(lines) > 1 and "still could not" in lines[-1] else (lines[-1] if lines else "")

    def __enter__(self) -> ClassServer:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


# ---------------------------------------------------------------- the command


def cores() -> int:
    """The cores this process may run on (a container's or taskset's limit included)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def lan_address() -> str | None:
    """This machine's address on its network (the interface of its default route), if it has one."""
    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("192.0.2.1", 9))  # a documentation address: nothing is sent, a route is chosen
        address = probe.getsockname()[0]
        return None if address.startswith("127.") else address
    return None


def parser() -> argparse.ArgumentParser:
    result = argparse.ArgumentParser(
        prog="nn-playground serve-class",
        description="Serve a class: several app processes (replicas) behind nginx, each browser kept on one. "
                    "Needs nginx (Debian: apt-get install nginx). Ctrl-C stops everything.")
    result.add_argument("--replicas", type=int, default=cores(),
                        help=f"app processes, about one core each (default: this machine's cores, {cores()})")
    result.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"the port students open (default {DEFAULT_PORT})")
    result.add_argument("--host", default="0.0.0.0",
                        help="the address nginx listens on (default 0.0.0.0: every interface; 127.0.0.1: this machine only)")
    return result


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.replicas < 1 or not 0 < args.port < 65536:
        print("serve-class: --replicas must be at least 1 and --port between 1 and 65535", file=sys.stderr)
        return 2

    def interrupt(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    server = ClassServer(args.replicas, args.port, args.host, say=lambda line: print(line, flush=True))
    print(f"Starting {args.replicas} replica(s) and nginx ...", flush=True)
    try:
        with server:
            shown = args.host if args.host not in ("0.0.0.0", "::", "") else (lan_address() or "localhost")
            print(f"Students open: http://{shown}:{args.port}/", flush=True)
            if shown != "localhost" and args.host in ("0.0.0.0", "::", ""):
                print(f"(on this machine: http://localhost:{args.port}/)", flush=True)
            print(", ".join(f"replica {r.index}: pid {r.process.pid}" for r in server.members)
                  + f"; nginx: pid {server.nginx.pid}. Ctrl-C stops everything.", flush=True)
            while True:
                time.sleep(1)
                server.watch()
    except KeyboardInterrupt:
        print("Stopped.", flush=True)
        return 0
    except RuntimeError as error:
        print(f"serve-class: {error}", file=sys.stderr)
        return 1


# ---------------------------------------------------------------- deploy/'s two files


DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
# deploy/compose.yaml gives its replicas these addresses (nginx tells replicas apart by address).
COMPOSE_REPLICAS = ("172.28.0.11:8501", "172.28.0.12:8501")


def deploy_configs() -> dict[str, str]:
    """deploy/'s nginx configurations, file name -> text: for a system nginx in front of two replicas
    on this machine (nginx.conf), and for deploy/compose.yaml's nginx container (nginx.compose.conf)."""
    return {"nginx.conf": nginx_config(["127.0.0.1:8601", "127.0.0.1:8602"], f"{DEFAULT_PORT}"),
            "nginx.compose.conf": nginx_config(list(COMPOSE_REPLICAS), f"{DEFAULT_PORT}")}


def write_deploy_configs() -> None:
    """Write deploy/'s nginx configurations again (after a change to `nginx_config`)."""
    for name, text in deploy_configs().items():
        (DEPLOY / name).write_text(text)
