"""Shared helpers for the tests in tests/aws/: start tests/fake_aws.py with a
script, run the C driver aws_call_cli (tests/unit/aws_call_cli.c) against it,
read what the fake logged.

$AWS_CALL_CLI and $FAKE_AWS come from tests/aws/meson.build; the defaults
fit a build in ./build.
"""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_ROOT = os.environ.get("AUTHLOG_SOURCE_ROOT") or os.path.dirname(os.path.dirname(HERE))
CLI = os.environ.get("AWS_CALL_CLI") or os.path.join(SOURCE_ROOT, "build", "tests", "aws", "aws_call_cli")
FAKE = os.environ.get("FAKE_AWS") or os.path.join(SOURCE_ROOT, "tests", "fake_aws.py")
FAKE_EKS = os.environ.get("FAKE_EKS") or os.path.join(SOURCE_ROOT, "tests", "fake_eks.py")

AKID = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
TOKEN = "IQoJb3JpZ2luX2VjEXAMPLE//////////wEaCXVzLWVhc3QtMSJHMEUCIQDtestSESSIONtokenVALUE0123456789"
TARGET = "Logs_20140328.StartQuery"
BODY = '{"logGroupName":"/aws/eks/demo/cluster","startTime":1672000000,"endTime":1672003600,"queryString":"fields @message"}'

SANITIZER_RE = re.compile(r"ERROR: (Address|Leak|Memory|Thread|UndefinedBehavior)Sanitizer|runtime error: ")

EX_OK, EX_DATAERR, EX_NOINPUT, EX_UNAVAILABLE, EX_NOPERM, EX_CONFIG = 0, 65, 66, 69, 77, 78


def clean_env(**extra):
    """The environment for the driver: no AWS_* or proxy settings from outside."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("AWS_") and "proxy" not in k.lower()}
    env["NO_PROXY"] = "127.0.0.1,localhost"
    env.update({k: v for k, v in extra.items() if v is not None})
    return env


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start_fake(args, env, port_file, timeout=15):
    """Starts a fake (args: its command line, which writes its port to
    port_file once it listens); returns (process, port)."""
    proc = subprocess.Popen(args, env=env)
    deadline = time.time() + timeout
    while not os.path.exists(port_file):
        if proc.poll() is not None or time.time() > deadline:
            stop(proc)
            raise RuntimeError("%s did not start" % os.path.basename(args[1]))
        time.sleep(0.02)
    with open(port_file) as f:
        return proc, int(f.read().strip())


def stop(proc):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def read_log(path):
    """The JSON lines a fake logged, one request each."""
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def wait_port(port, proc, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.1)
    return False


def start_moto():
    """moto_server on a free loopback port: (process, url, its log file)."""
    port = free_port()
    logf = tempfile.TemporaryFile()
    proc = subprocess.Popen([shutil.which("moto_server"), "-H", "127.0.0.1", "-p", str(port)],
                            stdout=logf, stderr=subprocess.STDOUT, env=clean_env())
    if not wait_port(port, proc):
        stop(proc)
        logf.close()
        raise RuntimeError("moto_server did not start")
    return proc, "http://127.0.0.1:%d" % port, logf


class FakeAws:
    """with FakeAws(rules, verify=[...]) as fake: ... fake.url ... fake.log()"""

    def __init__(self, rules=None, verify=None, clock_offset=None, tls=None):
        self.rules = rules or []
        self.tls = tls  # (cert, key) to serve HTTPS
        self.verify = verify or []
        self.clock_offset = clock_offset
        self.proc = None

    def __enter__(self):
        self.dir = tempfile.TemporaryDirectory(prefix="fake_aws.")
        d = self.dir.name
        self.script = os.path.join(d, "script.json")
        self.log_path = os.path.join(d, "log.jsonl")
        self.port_file = os.path.join(d, "port")
        with open(self.script, "w") as f:
            json.dump(self.rules, f)
        args = [sys.executable, FAKE, "--port-file", self.port_file, "--script", self.script,
                "--log", self.log_path]
        env = dict(os.environ)
        if self.verify:
            # through the environment, not argv (ps would show the secret)
            env["FAKE_AWS_VERIFY_SIGV4"] = ",".join(self.verify)
        if self.clock_offset is not None:
            args += ["--clock-offset", str(self.clock_offset)]
        if self.tls:
            args += ["--tls-cert", self.tls[0], "--tls-key", self.tls[1]]
        self.proc, self.port = start_fake(args, env, self.port_file)
        self.url = "%s://127.0.0.1:%d" % ("https" if self.tls else "http", self.port)
        return self

    def __exit__(self, *exc):
        if self.proc:
            stop(self.proc)
        self.dir.cleanup()
        return False

    def log(self):
        return read_log(self.log_path)


class FakeEks:
    """with FakeEks(data, verify=["AKID:SECRET", ...]) as fake: ... fake.url ... fake.log()
    (tests/fake_eks.py serving data; every signature checked for one of the keys)"""

    def __init__(self, data, verify):
        self.data, self.verify = data, verify

    def __enter__(self):
        self.dir = tempfile.TemporaryDirectory(prefix="fake_eks.")
        d = self.dir.name
        self.log_path = os.path.join(d, "log.jsonl")
        port_file = os.path.join(d, "port")
        with open(os.path.join(d, "data.json"), "w") as f:
            json.dump(self.data, f)
        env = clean_env(FAKE_AWS_VERIFY_SIGV4=",".join(self.verify))
        self.proc, port = start_fake([sys.executable, FAKE_EKS, "--port-file", port_file, "--data",
                                      os.path.join(d, "data.json"), "--log", self.log_path], env, port_file)
        self.url = "http://127.0.0.1:%d" % port
        return self

    def __exit__(self, *exc):
        stop(self.proc)
        self.dir.cleanup()
        return False

    def log(self):
        return read_log(self.log_path)

    def mark(self):
        return len(self.log())

    def since(self, n):
        return self.log()[n:]


def header(entry, name):
    for n, v in entry["headers"]:
        if n.lower() == name.lower():
            return v
    return None


class Result:
    def __init__(self, rc, stdout, stderr):
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr
        self.calls = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]

    @property
    def call(self):
        return self.calls[-1]


def run_cli(url, *args, creds=True, token=None, env=None, timeout=120):
    """Runs aws_call_cli against url; returns a Result.  Fails the test on
    sanitizer reports."""
    e = clean_env(**(env or {}))
    if creds:
        e["AWS_ACCESS_KEY_ID"] = AKID
        e["AWS_SECRET_ACCESS_KEY"] = SECRET
    if token:
        e["AWS_SESSION_TOKEN"] = token
    argv = [CLI, "--endpoint", url] + list(args)
    p = subprocess.run(argv, env=e, capture_output=True, text=True, timeout=timeout)
    if SANITIZER_RE.search(p.stderr):
        raise AssertionError("sanitizer report:\n" + p.stderr)
    return Result(p.returncode, p.stdout, p.stderr)


def err(status, code, message="m", **kw):
    r = {"status": status, "error": code, "message": message}
    r.update(kw)
    return r


def ok_json(obj, **kw):
    r = {"status": 200, "json": obj}
    r.update(kw)
    return r
