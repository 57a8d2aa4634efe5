"""`nn-playground serve-class`: replicas behind nginx, kept together by a cookie.

The configuration nginx gets (and deploy/'s copies of it, which nginx must accept), and the command
itself: it prints the address, restarts a replica that dies, and Ctrl-C stops every process it
started; and how a page knows it was reconnected. Browsers playing through it:
tests/browser/test_browser_replicas.py."""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from playground import serve_class
from playground.serve_class import COOKIE, ClassServer, deploy_configs, find_nginx, nginx_config
from playground.viewer import previous_session
from tests.serve import ROOT, free_port

NGINX = find_nginx()
WAIT_SECONDS = 120  # a bound on a replica's start on a busy machine, not a speed target


def _upstreams(config: str) -> dict[str, list[str]]:
    """Each upstream block's server lines (address, then flags)."""
    blocks = re.findall(r"upstream (\w+) \{(.*?)\}", config, re.S)
    return {name: re.findall(r"server (.+?);", body) for name, body in blocks}


def test_each_replica_has_its_own_pool_with_the_others_as_backups():
    config = nginx_config(["127.0.0.1:9001", "127.0.0.1:9002", "127.0.0.1:9003"], "127.0.0.1:9000")
    pools = _upstreams(config)
    assert [line.split()[0] for line in pools["replicas"]] == ["127.0.0.1:9001", "127.0.0.1:9002", "127.0.0.1:9003"]
    assert not any("backup" in line for line in pools["replicas"])  # a first visit: any replica, in turn
    second = pools["replica_2"]
    assert second[0].split()[0] == "127.0.0.1:9002" and "backup" not in second[0]
    assert sorted(line.split()[0] for line in second[1:]) == ["127.0.0.1:9001", "127.0.0.1:9003"]
    assert all(line.endswith("backup") for line in second[1:])
    assert all("max_fails=3" in line and "fail_timeout=10s" in line for lines in pools.values() for line in lines)
    # the cookie names a pool; anything else (no cookie, a made-up one) goes round robin
    routes = re.search(rf"map \$cookie_{COOKIE} \$replica_pool \{{(.*?)\}}", config, re.S).group(1)
    assert re.findall(r"(\d+) (replica_\d+);", routes) == [("1", "replica_1"), ("2", "replica_2"), ("3", "replica_3")]
    assert "default replicas;" in routes
    # the answer names the replica that gave it: the last address tried, matched literally and whole;
    # the cookie is set when it names another replica than the one that answered
    assert r"~(^|\s)127\.0\.0\.1:9003$ 3;" in config
    assert '"3:3" "";' in config and "add_header Set-Cookie $replica_cookie always;" in config
    # only a websocket is upgraded; only it may stay silent for two minutes
    assert "proxy_set_header Upgrade $upgrade_to;" in config and "~*^websocket$ websocket;" in config
    stream = re.search(r"location = /_stcore/stream \{(.*?)\}", config, re.S).group(1)
    rest = re.search(r"location / \{(.*?)\}", config, re.S).group(1)
    assert "proxy_read_timeout 120s;" in stream and "proxy_read_timeout 30s;" in rest
    assert "listen 127.0.0.1:9000;" in config


def test_deploy_configs_are_what_serve_class_writes_and_nginx_accepts_them(tmp_path):
    for name, text in deploy_configs().items():
        committed = (ROOT / "deploy" / name).read_text()
        assert committed == text, (f"deploy/{name} is out of date: run "
                                   "`.venv/bin/python -c 'import playground.serve_class as s; s.write_deploy_configs()'`")
        assert NGINX, "nginx is not installed (make test installs it)"
        checked = subprocess.run([NGINX, "-t", "-q", "-e", str(tmp_path / "error.log"), "-p", str(tmp_path),
                                  "-c", str(ROOT / "deploy" / name)], capture_output=True, text=True, timeout=30)
        assert checked.returncode == 0, checked.stderr


def test_a_machine_without_nginx_is_told_how_to_get_it(monkeypatch):
    monkeypatch.setattr(serve_class, "find_nginx", lambda: None)
    with pytest.raises(RuntimeError, match="apt-get install nginx"), ClassServer(1, free_port(), "127.0.0.1"):
        pass


def test_bad_arguments_exit_2_with_one_line(capsys):
    assert serve_class.main(["--replicas", "0"]) == 2
    assert serve_class.main(["--port", "70000"]) == 2
    assert capsys.readouterr().err.count("\n") == 2


def _lines(process: subprocess.Popen) -> queue.Queue[str]:
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        for line in process.stdout:
            lines.put(line.rstrip())

    threading.Thread(target=read, daemon=True).start()
    return lines


def _wait_for(lines: queue.Queue[str], pattern: str, seen: list[str]) -> re.Match[str]:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=1)
        except queue.Empty:
            continue
        seen.append(line)
        if found := re.search(pattern, line):
            return found
    raise AssertionError(f"no line matching {pattern!r} in:\n" + "\n".join(seen))


def _health(port: int) -> tuple[int, str]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=10) as answer:
        return answer.status, answer.headers.get_all("Set-Cookie") and " ".join(answer.headers.get_all("Set-Cookie"))


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"  # ended, not yet reaped by its parent


def test_the_command_serves_restarts_a_dead_replica_and_stops_everything_on_ctrl_c():
    port = free_port()
    command = subprocess.Popen([sys.executable, "-m", "playground", "serve-class", "--replicas", "1", "--port", str(port),
                                "--host", "127.0.0.1"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
    seen: list[str] = []
    try:
        lines = _lines(command)
        _wait_for(lines, rf"Students open: http://127\.0\.0\.1:{port}/", seen)
        pids = _wait_for(lines, r"replica 1: pid (\d+); nginx: pid (\d+)\. Ctrl-C stops everything", seen)
        replica, nginx = int(pids.group(1)), int(pids.group(2))
        status, cookies = _health(port)
        assert status == 200 and f"{COOKIE}=1;" in cookies
        assert not any("URL: http" in line for line in seen)  # the replicas' own addresses are not shown

        os.kill(replica, signal.SIGKILL)
        _wait_for(lines, r"replica 1 stopped \(exit code -9\): its students reconnect .* Starting it again in 1 s", seen)
        restarted = int(_wait_for(lines, r"replica 1 started again \(pid (\d+)\)", seen).group(1))
        deadline = time.monotonic() + WAIT_SECONDS
        while True:  # the new replica answers through nginx, on the same port
            try:
                if _health(port)[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "\n".join(seen)
            time.sleep(0.5)

        command.send_signal(signal.SIGINT)
        assert command.wait(60) == 0, "\n".join(seen)
        _wait_for(lines, r"^Stopped\.$", seen)
        assert _gone(nginx) and _gone(restarted)
        with pytest.raises(OSError):
            _health(port)
    finally:
        if command.poll() is None:
            command.kill()
            command.wait(30)


def test_a_port_in_use_is_refused_before_anything_starts():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        server = ClassServer(1, taken.getsockname()[1], "127.0.0.1")
        with pytest.raises(RuntimeError, match="already in use"), server:
            pass
        assert server.members == []  # no replica was started


@pytest.mark.parametrize(("host", "listen"), [("0.0.0.0", "0.0.0.0:8501"), ("", "0.0.0.0:8501"), ("::", "[::]:8501"),
                                              ("::1", "[::1]:8501"), ("127.0.0.1", "127.0.0.1:8501")])
def test_every_host_gives_a_listen_nginx_accepts(host, listen, tmp_path):
    assert serve_class.listen_address(host, 8501) == listen
    config = tmp_path / "nginx.conf"
    config.write_text(nginx_config(["127.0.0.1:8601"], listen, str(tmp_path)))
    checked = subprocess.run([NGINX, "-t", "-q", "-e", str(tmp_path / "error.log"), "-p", str(tmp_path), "-c", str(config)],
                             capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stderr


class _Ended:
    """A replica process that has exited."""

    pid, returncode = 0, 1

    def poll(self) -> int:
        return self.returncode


def test_a_replica_that_keeps_dying_waits_longer_each_time_and_a_fresh_failure_starts_over():
    said: list[str] = []
    server = ClassServer(1, 1, say=said.append)
    server.members = [replica := serve_class.Replica(1, 1, process=_Ended(), started=0.0)]
    launches: list[float] = []

    def launch(replica: serve_class.Replica, now: float | None = None) -> None:  # it dies at once, again
        launches.append(now)
        replica.process, replica.started = _Ended(), now

    server._launch = launch
    clock = 0.0
    while clock < 300:
        server.watch(now=clock)
        clock += 0.5
    # each time seen dead half a second (one watch) after it started, then started again after 1, 2, 5, ... s
    assert [b - a - 0.5 for a, b in zip(launches, launches[1:])][:6] == [2, 5, 10, 30, 60, 60]
    assert launches[0] == 1 and "Starting it again in 1 s." in said[0]
    replica.died, replica.started = None, clock - 2 * serve_class.STABLE_SECONDS  # this time it had run a while
    died = clock
    while clock < died + 5:
        server.watch(now=clock)
        clock += 0.5
    assert [moment for moment in launches if moment > died][0] == died + 1  # the shortest pause again


def test_a_browser_names_the_session_it_had_only_when_it_reconnects():
    # Streamlit's frontend: "streamlit", its XSRF token, then the session it had (none on a fresh open or reload)
    assert previous_session(None) is None and previous_session("") is None
    assert previous_session("streamlit") is None and previous_session("streamlit, 2|ab|cd|1") is None
    assert previous_session("streamlit, 2|ab|cd|1, ") is None
    assert previous_session("streamlit, 2|ab|cd|1, 5e1f-session") == "5e1f-session"
    assert previous_session("streamlit,,  5e1f-session ") == "5e1f-session"
