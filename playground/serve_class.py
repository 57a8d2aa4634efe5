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
import ctypes
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
# A replica that failed this many requests within FAIL_TIMEOUT_SECONDS is left alone for that
# long (one failure, a request that happened to time out, should not move a live replica's students).
MAX_FAILS = 3
FAIL_TIMEOUT_SECONDS = 10
# Streamlit pings its websocket every 30 s: a proxied connection silent for 4 pings is dead.
WEBSOCKET_READ_TIMEOUT_SECONDS = 120
# Any other request (a page, a script, an image, a health check) is answered at once by a working replica.
READ_TIMEOUT_SECONDS = 30
# nginx's open files: each student's websocket is two (theirs and the replica's).
WORKER_CONNECTIONS = 4096
# The largest request nginx passes on, in megabytes: the app's own message cap (server.maxMessageSize).
MAX_BODY_MB = 20
START_SECONDS = 120  # a bound on a hung start, not a speed target
RESTART_BACKOFF_SECONDS = (1, 2, 5, 10, 30, 60)
STABLE_SECONDS = 60  # a replica that ran this long before it died starts again after the shortest pause
HEALTH_EVERY_SECONDS = 10
HEALTH_TIMEOUT_SECONDS = 10  # generous: a replica busy with 60 students still answers within a few seconds
HEALTH_FAILURES = 3
RELAY_SECONDS = 0.2
# One replica's memory with MNIST loaded and a class playing (bench/classroom.py --memory: 648 MB, +20-35 MB).
REPLICA_MB = 700  # how often a replica's console file is read for new lines
PR_SET_PDEATHSIG = 1  # prctl(2): the signal a process gets when its parent dies
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
    server = f"max_fails={MAX_FAILS} fail_timeout={FAIL_TIMEOUT_SECONDS}s"

    def pool(name: str, members: list[tuple[int, str]], primary: int | None = None) -> str:
        lines = [f"        server {address} {server}{'' if primary in (None, i) else ' backup'};"
                 for i, address in members]
        return "\n".join([f"    upstream {name} {{", f"        zone {name} 64k;", *lines, "    }"])

    # Answers from replica i (the last address nginx tried is the one that answered).
    served = "\n".join(f"        ~(^|\\s){_regex(address)}$ {i};" for i, address in numbered)
    unchanged = "\n".join(f'        "{i}:{i}" "";' for i, _ in numbered)
    routes = "\n".join(f"        {i} replica_{i};" for i, _ in numbered)
    pools = "\n\n".join([pool("replicas", numbered),
                         *(pool(f"replica_{i}", [(i, address), *((j, a) for j, a in numbered if j != i)], primary=i)
                           for i, address in numbered)])
    if run_dir is None:
        process = f"worker_processes 1;\nworker_rlimit_nofile {2 * WORKER_CONNECTIONS + 64};\nerror_log stderr warn;"
        files = "    access_log off;"
    else:
        process = "\n".join(["worker_processes 1;", f"worker_rlimit_nofile {2 * WORKER_CONNECTIONS + 64};",
                              "daemon off;", f"pid {run_dir}/nginx.pid;",
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
    worker_connections {WORKER_CONNECTIONS};
}}

http {{
{files}
    server_tokens off;
    client_max_body_size {MAX_BODY_MB}m;

    # Only a websocket is upgraded (Streamlit's /_stcore/stream); any other Upgrade is not passed on.
    map $http_upgrade $upgrade_to {{
        ~*^websocket$ websocket;
        default       "";
    }}

    map $upgrade_to $connection_upgrade {{
        websocket upgrade;
        default   close;
    }}

    # Which replica answered ($upstream_addr lists every replica tried; the last one answered).
    map $upstream_addr $replica_served {{
{served}
        default "";
    }}

    # An answer from another replica than the browser's cookie names (a first visit, a failover)
    # pins the browser to the one that answered; an answer from its own replica sets nothing.
    map "$cookie_{COOKIE}:$replica_served" $replica_cookie {{
{unchanged}
        "~:(?<answered>\\d+)$" "{COOKIE}=$answered; Path=/; HttpOnly; SameSite=Lax";
        default "";
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

        proxy_http_version 1.1;
        proxy_set_header Host $http_host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_set_header Upgrade $upgrade_to;
        proxy_set_header Connection $connection_upgrade;
        # A replica that is down refuses at once and the next is tried; one that does not accept is given 2 s.
        proxy_connect_timeout 2s;
        proxy_next_upstream error timeout http_502 http_503;
        add_header Set-Cookie $replica_cookie always;

        location / {{
            proxy_pass http://$replica_pool;
            proxy_read_timeout {READ_TIMEOUT_SECONDS}s;
            proxy_send_timeout {READ_TIMEOUT_SECONDS}s;
        }}

        # The page's websocket: open as long as the page is.
        location = /_stcore/stream {{
            proxy_pass http://$replica_pool;
            proxy_read_timeout {WEBSOCKET_READ_TIMEOUT_SECONDS}s;
            proxy_send_timeout {WEBSOCKET_READ_TIMEOUT_SECONDS}s;
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


def _healthy(url: str, timeout: float = 2) -> bool:
    with contextlib.suppress(OSError), urllib.request.urlopen(f"{url}/_stcore/health", timeout=timeout) as answer:
        return answer.status == 200
    return False


def end_process(process: subprocess.Popen, first: int = signal.SIGTERM, seconds: float = 10,
                group: bool = False) -> None:
    """Ask `process` to end with `first` (unless it has ended), then kill it if it has not after `seconds`;
    `group`: kill its whole process group (it leads one, `start_new_session`), so that no child of it
    (an nginx worker) outlives it holding its port."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(first)
        try:
            process.wait(seconds)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(seconds)
    if group:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)


def _find_prctl() -> Callable[..., int] | None:
    """Linux's prctl(2), from the C library this Python runs on (None elsewhere)."""
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


_PRCTL = _find_prctl()  # found here, not in the child: between fork and exec only a plain call is safe


def _die_with_parent() -> None:
    """In a child, before it runs: have Linux send it SIGTERM when the thread that started it ends,
    however its process ends (a kill -9, a closed terminal), so no replica or nginx is left behind.
    (So a ClassServer lives in one thread: the one that starts it also restarts its replicas.)"""
    if _PRCTL is not None:
        _PRCTL(PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class Replica:
    """One app process, on 127.0.0.1:`port`."""

    index: int
    port: int
    process: subprocess.Popen | None = None
    started: float = 0.0
    restarts: int = 0  # restarts since it last ran STABLE_SECONDS
    died: float | None = None  # when it was seen dead, until it is started again
    pause: float = 0.0  # how long after that it is started again
    unanswered: int = 0  # health checks in a row it did not answer

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
        local = _local(self.host)
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
        addresses = [replica.address for replica in self.members]
        config.write_text(nginx_config(addresses, listen_address(self.host, self.port), str(self.run_dir)))
        self.nginx = subprocess.Popen([binary, "-e", str(self.run_dir / "error.log"), "-p", str(self.run_dir),
                                       "-c", str(config)], start_new_session=True, preexec_fn=_die_with_parent,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while not _port_open(local, self.port):
            if self.nginx.poll() is not None:
                raise RuntimeError(f"nginx did not start: {self.nginx_errors() or 'no message'}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"nginx did not listen on {self.host}:{self.port} within {START_SECONDS} s")
            time.sleep(0.1)
        if self.restart:
            threading.Thread(target=self._check_health, daemon=True).start()

    def _launch(self, replica: Replica, now: float | None = None) -> None:
        flags = ["--server.port", str(replica.port), "--server.address", "127.0.0.1"]
        env = {**os.environ, "STREAMLIT_SERVER_COOKIE_SECRET": self._secret, **self.env}
        # The replica writes its console to a file, not a pipe: were this process killed, a pipe
        # would break, and a replica that cannot print could not stop either.
        log = self.run_dir / f"replica-{replica.index}.log"
        with log.open("ab") as console:
            offset = console.tell()
            replica.process = subprocess.Popen(serve_command(flags), env=env, start_new_session=True,
                                               preexec_fn=_die_with_parent, stdin=subprocess.DEVNULL,
                                               stdout=console, stderr=subprocess.STDOUT)
        replica.started = time.monotonic() if now is None else now
        threading.Thread(target=self._relay, args=(replica.index, replica.process, log, offset), daemon=True).start()

    def _relay(self, index: int, process: subprocess.Popen, log: Path, offset: int) -> None:
        """A replica's console, each line marked with its number (its startup banner, which names
        its private address, left out), until it ends."""
        with contextlib.suppress(OSError), log.open("rb") as console:
            console.seek(offset)
            while True:
                line = console.readline()
                if line.endswith(b"\n"):
                    text = line.decode(errors="replace").rstrip()
                    if text and not any(part in text for part in _BANNER):
                        self.say(f"[replica {index}] {text}")
                    continue
                console.seek(-len(line), os.SEEK_CUR)  # half a line: wait for the rest
                if process.poll() is not None and not line:
                    return
                time.sleep(RELAY_SECONDS)

    def watch(self, now: float | None = None) -> None:
        """Restart replicas that died, each after a pause that grows while it keeps dying soon after
        it started; raise if nginx died. `now`: time.monotonic() (a test's clock)."""
        if self.nginx is not None and self.nginx.poll() is not None and not self._stopping:
            raise RuntimeError(f"nginx stopped (exit code {self.nginx.poll()}): {self.nginx_errors() or 'no message'}")
        if not self.restart or self._stopping:
            return
        now = time.monotonic() if now is None else now
        for replica in self.members:
            if replica.process is None or replica.alive():
                continue
            if replica.died is None:  # just seen dead
                replica.died = now
                if now - replica.started > STABLE_SECONDS:  # it had been running: a fresh failure
                    replica.restarts = 0
                replica.pause = RESTART_BACKOFF_SECONDS[min(replica.restarts, len(RESTART_BACKOFF_SECONDS) - 1)]
                self.say(f"replica {replica.index} stopped (exit code {replica.process.returncode}): its students "
                         f"reconnect to another replica and lose their runs' progress. Starting it again in "
                         f"{replica.pause} s.")
            if now - replica.died >= replica.pause:
                replica.restarts += 1
                replica.died = None
                self._launch(replica, now)
                self.say(f"replica {replica.index} started again (pid {replica.process.pid}).")

    def _check_health(self) -> None:
        """Every HEALTH_EVERY_SECONDS, ask each running replica for its health; one that has not
        answered HEALTH_FAILURES times in a row (hung, not dead: nginx still reaches it) is
        killed, so that `watch` starts it again."""
        while not self._stopping:
            time.sleep(HEALTH_EVERY_SECONDS)
            for replica in list(self.members):
                process = replica.process
                if self._stopping or process is None or not replica.alive():
                    continue
                if time.monotonic() - replica.started < START_SECONDS or _healthy(replica.url, HEALTH_TIMEOUT_SECONDS):
                    replica.unanswered = 0
                    continue
                replica.unanswered += 1
                if replica.unanswered >= HEALTH_FAILURES and process is replica.process and not self._stopping:
                    replica.unanswered = 0
                    self.say(f"replica {replica.index} has not answered {HEALTH_FAILURES} health checks in a row: "
                             "stopping it.")
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        os.killpg(process.pid, signal.SIGKILL)

    def stop(self) -> None:
        """End nginx, then every replica, then remove the run folder; a second Ctrl-C meanwhile waits."""
        self._stopping = True
        held = _hold_signals()
        try:
            if self.nginx is not None:  # a fast stop: a graceful one would wait for every websocket to close
                end_process(self.nginx, signal.SIGTERM, 5, group=True)
            for replica in self.members:
                if replica.alive():
                    replica.process.send_signal(signal.SIGTERM)
            for replica in self.members:
                if replica.process is not None:
                    end_process(replica.process, group=True)
            if self.run_dir is not None:
                shutil.rmtree(self.run_dir, ignore_errors=True)
        finally:
            _release_signals(held)

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


_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def _hold_signals() -> dict[int, object]:
    """Ignore the stopping signals (in the main thread; elsewhere Python cannot change them)."""
    if threading.current_thread() is not threading.main_thread():
        return {}
    return {number: signal.signal(number, signal.SIG_IGN) for number in _STOP_SIGNALS}


def _release_signals(held: dict[int, object]) -> None:
    for number, handler in held.items():
        signal.signal(number, handler)


# ---------------------------------------------------------------- the command


def cores() -> int:
    """The cores this process may use: those it may run on (taskset), fewer if its cgroup's CPU
    quota (a container's `--cpus`) allows fewer."""
    try:
        count = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1
    with contextlib.suppress(OSError, ValueError):
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()
        if quota != "max":
            count = min(count, max(1, int(quota) // int(period)))
    return count


def available_mb() -> float | None:
    """Memory the machine can still give (MemAvailable), in MB; None where /proc/meminfo is not."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 1024
    return None


def listen_address(host: str, port: int) -> str:
    """nginx's `listen` for `host` and `port` (an IPv6 address in brackets; "" is every IPv4 interface)."""
    host = host or "0.0.0.0"
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


# A host that means every interface, and where this machine reaches a server listening on it.
LOOPBACK = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}


def _local(host: str) -> str:
    """Where this machine reaches a server listening on `host`."""
    return LOOPBACK.get(host, host)


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
    signal.signal(signal.SIGHUP, interrupt)  # the terminal closed: stop everything too
    free = available_mb()
    if free is not None and args.replicas * REPLICA_MB > free:
        print(f"Warning: {args.replicas} replicas may need {args.replicas * REPLICA_MB:,} MB once students open the "
              f"MNIST lab (about {REPLICA_MB} MB each), and this machine has {free:,.0f} MB available: "
              "consider fewer (--replicas, REPLICAS=).", flush=True)
    server = ClassServer(args.replicas, args.port, args.host, say=lambda line: print(line, flush=True))
    print(f"Starting {args.replicas} replica(s) and nginx ...", flush=True)
    try:
        with server:
            everywhere = args.host in LOOPBACK
            shown = (lan_address() or "localhost") if everywhere else f"[{args.host}]" if ":" in args.host else args.host
            print(f"Students open: http://{shown}:{args.port}/", flush=True)
            if shown != "localhost" and everywhere:
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
