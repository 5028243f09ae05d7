"""Run the Streamlit app in a real server and drive its Predict page from Chromium.

Shared by the browser tests (`tests/test_browser*.py`, Playwright's sync API) and the load script
(`scripts/load.py`, its async API). Everything here is loopback only and uses Debian's
`/usr/bin/chromium`; Playwright never downloads a browser.

The page contract (widget keys from issue 4): `example`, `upload`, `mask`, `run`, `download`;
Streamlit marks a keyed widget's container with the class `st-key-<key>`.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]
LAUNCH = {"executable_path": CHROMIUM, "headless": True, "args": CHROMIUM_ARGS}  # for chromium.launch(**LAUNCH)

# DOM hooks. Streamlit's own e2e tests wait on the same data-test attributes.
UPLOAD_INPUT = ".st-key-upload input[type=file]"
RUN_BUTTON = ".st-key-run button"
DOWNLOAD_BUTTON = ".st-key-download button"
EXCEPTION = '[data-testid="stException"]'
ERROR = '[data-testid="stAlertContentError"]'
FRESH_ERROR = f'[data-testid="stElementContainer"]:not([data-stale="true"]) {ERROR}'
# The uploader's own refusals, before the app sees a byte: "File must be 10.0MB or smaller.",
# "application/json files are not allowed."
UPLOAD_REFUSED = re.compile(r"or smaller\.|files are not allowed\.")
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning'][data-test-connection-state='CONNECTED']"
# For page.wait_for_function: idle, and no element left over from the previous run.
SETTLED_JS = f"""() => document.querySelector("{IDLE}") !== null && !document.querySelector('[data-stale="true"]')"""
# For page.evaluate: the websocket message is in, now give React two frames to draw it.
DRAWN_JS = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(r, 150))))"


@dataclass
class Server:
    url: str  # http://127.0.0.1:<port>
    pid: int  # the streamlit process (its own process group)
    log: Path  # its stdout and stderr


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def healthy(url: str, timeout: float = 5.0) -> bool:
    """True when the server answers /_stcore/health with 'ok'."""
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=timeout) as r:
            return r.status == 200 and r.read().strip() == b"ok"
    except OSError:
        return False


@contextlib.contextmanager
def streamlit_server(*, app: Path = ROOT / "app.py", log: Path, extra_args=(), startup_s: float = 120):
    """`python -m streamlit run app` on a free loopback port; yields a `Server` once it is healthy.

    The server runs in its own process group, which is killed on exit (also when the body raises).
    It inherits the environment, so `KINVIZ_CHECKPOINT` passes through, and the caller's niceness.
    """
    port = free_port()
    cmd = [
        sys.executable, "-m", "streamlit", "run", str(app),
        "--server.headless", "true", "--server.port", str(port), "--server.address", "127.0.0.1",
        "--browser.gatherUsageStats", "false", *extra_args,
    ]
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=app.parent, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    server = Server(f"http://127.0.0.1:{port}", proc.pid, log)
    try:
        deadline = time.monotonic() + startup_s
        while not healthy(server.url, timeout=2):
            if proc.poll() is not None or time.monotonic() > deadline:
                tail = log.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"streamlit did not come up on {server.url} (exit {proc.poll()}):\n{tail}")
            time.sleep(0.3)
        yield server
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def rss_bytes(pid: int, field: str = "VmRSS") -> int:
    """Resident memory of one process in bytes (`VmHWM` gives its peak so far). Linux only."""
    try:
        import psutil

        if field == "VmRSS":
            return psutil.Process(pid).memory_info().rss
    except ImportError:
        pass
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {field} in /proc/{pid}/status")


def projectile_csv(n_frames: int = 24, *, dt: float = 0.05) -> str:
    """A ball thrown at 12 m/s, 50 degrees, under gravity: `time,x,y`, one row per frame."""
    vx, vy = 12 * math.cos(math.radians(50)), 12 * math.sin(math.radians(50))
    rows = ["time,x,y"]
    for i in range(n_frames):
        t = i * dt
        rows.append(f"{t:.2f},{vx * t:.4f},{vy * t - 4.905 * t * t:.4f}")
    return "\n".join(rows) + "\n"


def upload_payload(name: str, data: bytes | str) -> dict:
    """A file for Playwright's `set_input_files`, built in memory."""
    if isinstance(data, str):
        data = data.encode()
    return {"name": name, "mimeType": "text/csv", "buffer": data}


class RunCounter:
    """Follows the app's script runs by reading Streamlit's websocket messages.

    Each rerun request the page sends (a BackMsg `rerun_script`, carrying the widgets' values) starts
    a run that the server announces with `new_session` and ends with `script_finished`. Matching them
    tells "the run my click or upload caused is over" apart from "the page has not started rerunning
    yet", which the DOM alone cannot: replacing an upload, for one, first reruns with no file and
    then with the new one. Works with Playwright's sync and async pages alike (plain-function handlers).
    """

    def __init__(self, page):
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        self._back, self._forward = BackMsg, ForwardMsg
        self.requests = 0  # rerun requests sent so far
        self.done = 0  # the request whose run finished last
        self.files: list[str] = []  # names in the uploader, as of the latest request
        self._started = 0  # the request whose run started last
        page.on("websocket", self._socket)

    def idle_after(self, token: int, upload: str | None = None) -> bool:
        """True once a request made after `token` (= `requests` then) ran, and none is pending.

        With `upload`, the latest request must also carry that file (and only it) in the uploader.
        """
        settled = self.requests > token and self.done == self.requests
        return settled and (upload is None or self.files == [upload])

    def _socket(self, ws) -> None:
        ws.on("framesent", self._sent)
        ws.on("framereceived", self._received)

    def _sent(self, payload) -> None:
        msg = self._parse(self._back, payload)
        if msg is None or msg.WhichOneof("type") != "rerun_script":
            return
        self.requests += 1
        self.files = [
            f.name
            for w in msg.rerun_script.widget_states.widgets
            if w.WhichOneof("value") == "file_uploader_state_value"
            for f in w.file_uploader_state_value.uploaded_file_info
        ]

    def _received(self, payload) -> None:
        msg = self._parse(self._forward, payload)
        kind = msg.WhichOneof("type") if msg is not None else None
        if kind == "new_session":
            self._started = self.requests
        elif kind == "script_finished" and msg.script_finished != self._forward.FINISHED_EARLY_FOR_RERUN:
            self.done = self._started  # a run cut short for a rerun is followed by the rerun's own

    @staticmethod
    def _parse(cls, payload):
        if isinstance(payload, str):
            return None
        try:
            return cls.FromString(payload)
        except Exception:  # not one of Streamlit's messages: ignore it, never break the page
            return None
