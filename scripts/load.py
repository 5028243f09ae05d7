"""Load test (issue 5): N concurrent browser sessions upload a CSV and run predictions on one server.

    python scripts/load.py                      # starts `streamlit run app.py` itself
    python scripts/load.py --url http://host:8501 --pid 1234   # a running server (pid: for memory)
    python scripts/load.py --sessions 10 --runs 2 --time-limit 900 --json artifacts/load.json

One Chromium (Debian's /usr/bin/chromium), one context per session, all driven from one asyncio
loop. Each session opens /predict?mask=..., uploads its own CSV (distinct content, so no session
reads another's cached parse), and presses Run `--runs` times. Time to results is from the click to
the page showing the finished run with its download button. Errors: a session that fails, times
out, or shows an exception or st.error. Server memory (RSS) is sampled: at start, after a warm-up
run that loads the model (the baseline), at peak, and after the sessions close and `--settle`
seconds pass. Target: no errors, and memory back within 20% of the baseline.

The server this script starts gets `--server.disconnectedSessionTTL` = `--session-ttl` (default 10 s;
Streamlit's default is 120 s) so closed sessions are cleaned up within the settle time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from appserver import (  # noqa: E402
    CHROMIUM, DOWNLOAD_BUTTON, DRAWN_JS, EXCEPTION, FRESH_ERROR, LAUNCH, ROOT, RUN_BUTTON, SETTLED_JS, UPLOAD_INPUT,
    RunCounter, healthy, projectile_csv, rss_bytes, streamlit_server, upload_payload,
)

MB = 1024 * 1024


async def settle(page, token: int, timeout_s: float, upload: str | None = None) -> None:
    """Async twin of the browser test's `settle`: the run requested after `token` is over and drawn."""
    deadline = time.monotonic() + timeout_s
    while not page.runs.idle_after(token, upload):
        if time.monotonic() > deadline:
            raise TimeoutError(f"no run finished within {timeout_s:.0f} s")
        await page.wait_for_timeout(50)
    await page.evaluate(DRAWN_JS)
    await page.wait_for_function(SETTLED_JS, timeout=timeout_s * 1000)


async def problem_on_page(page) -> str | None:
    for selector in (EXCEPTION, FRESH_ERROR):
        shown = page.locator(selector)
        if await shown.count():
            return (await shown.first.inner_text())[:200]
    return None


async def session(browser, url: str, index: int, *, runs: int, n_frames: int, mask: str, run_s: float) -> dict:
    """One person: open Predict, upload, run `runs` times. Returns their timings and errors."""
    out = {"session": index, "times_s": [], "errors": []}
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = await context.new_page()
        page.set_default_timeout(run_s * 1000)
        page.runs = RunCounter(page)
        token = page.runs.requests
        await page.goto(f"{url}/predict?mask={mask}")
        await settle(page, token, run_s)

        # Its own file: the same throw, shifted, so the app's parse cache cannot share it.
        name = f"session-{index:02d}.csv"
        lines = projectile_csv(n_frames).splitlines()
        lines[1] = f"0.00,{index * 1e-3:.4f},0.0000"  # header, then frame 0
        token = page.runs.requests
        await page.set_input_files(UPLOAD_INPUT, upload_payload(name, "\n".join(lines) + "\n"))
        await settle(page, token, run_s, upload=name)
        if (problem := await problem_on_page(page)) is not None:
            raise RuntimeError(f"after the upload: {problem}")

        for _ in range(runs):
            token = page.runs.requests
            start = time.perf_counter()
            await page.click(RUN_BUTTON)
            await settle(page, token, run_s)
            await page.locator(DOWNLOAD_BUTTON).wait_for(state="visible")
            out["times_s"].append(time.perf_counter() - start)
            if (problem := await problem_on_page(page)) is not None:
                out["errors"].append(f"after Run: {problem}")
    except Exception as e:  # a session's failure is a finding, not a crash of the load test
        out["errors"].append(f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"[:300])
    finally:
        with contextlib.suppress(Exception):
            await context.close()
    return out


def cpu_seconds(pid: int | None = None) -> float | None:
    """CPU seconds used so far: by one process (user + system, /proc/PID/stat), or by the whole
    machine (every core's busy time, /proc/stat) with no pid."""
    tick = os.sysconf("SC_CLK_TCK")
    try:
        if pid is None:
            fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
            busy = sum(int(v) for v in fields) - int(fields[3]) - int(fields[4])  # all but idle and iowait
            return busy / tick
        return _process_times(Path(f"/proc/{pid}"))[1]
    except (OSError, IndexError, ValueError):
        return None


def _process_times(proc: Path) -> tuple[int, float, float]:
    """(parent pid, its own CPU seconds (user + system), its reaped children's) from /proc/PID/stat."""
    fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / tick, (int(fields[13]) + int(fields[14])) / tick


def cpu_by_role(server_pid: int | None) -> dict[str, float]:
    """CPU seconds used so far by the browsers (every Chromium process, with the closed sessions'
    renderers that it has reaped) and by this load test itself (this script and Playwright's driver,
    its child), read from /proc; the machine's and the server's come from `cpu_seconds`."""
    out = {"browsers": 0.0, "harness": 0.0}
    me = os.getpid()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            comm = (entry / "comm").read_text().strip()
            parent, used, reaped = _process_times(entry)
        except (OSError, IndexError, ValueError):
            continue
        pid = int(entry.name)
        if comm.startswith("chrom"):
            out["browsers"] += used + reaped
        elif pid == me or (parent == me and pid != server_pid):
            out["harness"] += used
    return out


def renice_chromium(nice: int) -> int:
    """Lower the CPU priority of every running Chromium process (the browser, its zygotes, which
    fork the renderers, and helpers), so that the browsers sharing this machine with the server
    take only the CPU it leaves, as browsers on their users' own machines would. Returns how many."""
    count = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip().startswith("chrom"):
                os.setpriority(os.PRIO_PROCESS, int(entry.name), nice)
                count += 1
        except OSError:
            continue
    return count


class MemorySampler:
    """Samples a process's RSS every `every_s` seconds in the background; keeps the peak."""

    def __init__(self, pid: int | None, every_s: float = 0.5):
        self.pid, self.every_s, self.peak = pid, every_s, 0
        self._task = None

    def now(self) -> int | None:
        if self.pid is None:
            return None
        value = rss_bytes(self.pid)
        self.peak = max(self.peak, value)
        return value

    async def _loop(self):
        while True:
            self.now()
            await asyncio.sleep(self.every_s)

    def __enter__(self):
        self.peak = self.now() or 0
        self._task = asyncio.get_running_loop().create_task(self._loop())
        return self

    def __exit__(self, *exc):
        self._task.cancel()


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(-(-q * len(ordered) // 100)) - 1))]


async def load(url: str, pid: int | None, args) -> dict:
    from playwright.async_api import async_playwright

    common = {"runs": args.runs, "n_frames": args.frames, "mask": args.mask, "run_s": args.run_timeout}
    memory = MemorySampler(pid)
    report = {"url": url, "sessions": args.sessions, "runs_per_session": args.runs, "frames": args.frames,
              "mask": args.mask, "checkpoint": str(args.checkpoint_note)}
    async with async_playwright() as p:
        browser = await p.chromium.launch(**LAUNCH)
        if args.browser_nice:
            report["browser_nice"] = renice_chromium(args.browser_nice)
        report["rss_start_mb"] = (memory.now() or 0) / MB if pid else None

        # Warm-up: one run loads the model, so the baseline holds it as every later moment does.
        print("warm-up session (loads the model)...", flush=True)
        warm = await session(browser, url, 0, **{**common, "runs": 1})
        report["warmup_s"] = warm["times_s"][0] if warm["times_s"] else None
        report["warmup_errors"] = warm["errors"]
        await asyncio.sleep(args.settle)
        report["rss_baseline_mb"] = (memory.now() or 0) / MB if pid else None

        print(f"{args.sessions} sessions x {args.runs} runs...", flush=True)
        start = time.monotonic()
        cpu0 = cpu_seconds(pid), cpu_seconds(), cpu_by_role(pid)
        with memory:
            tasks = [asyncio.ensure_future(session(browser, url, i + 1, **common)) for i in range(args.sessions)]
            done, pending = await asyncio.wait(tasks, timeout=args.time_limit)
            for t in pending:
                t.cancel()
            results = [t.result() for t in done]
            results += [{"session": -1, "times_s": [], "errors": ["cut off by --time-limit"]} for _ in pending]
            report["wall_s"] = time.monotonic() - start
            report["rss_peak_mb"] = memory.peak / MB if pid else None
        cpu1 = cpu_seconds(pid), cpu_seconds(), cpu_by_role(pid)
        # Where the sessions' CPU went: the server (model, page scripts) against everything else on
        # the machine (the browsers, this script), which shares the same cores.
        report["cpu_server_s"] = cpu1[0] - cpu0[0] if pid and None not in (cpu0[0], cpu1[0]) else None
        report["cpu_machine_s"] = cpu1[1] - cpu0[1] if None not in (cpu0[1], cpu1[1]) else None
        report.update({f"cpu_{role}_s": cpu1[2][role] - cpu0[2][role] for role in cpu1[2]})
        await browser.close()

    print(f"sessions closed; waiting {args.settle:.0f} s for the server to clean up...", flush=True)
    await asyncio.sleep(args.settle)
    times = [t for r in results for t in r["times_s"]]
    errors = [f"session {r['session']}: {e}" for r in results for e in r["errors"]]
    report.update({
        "runs_done": len(times),
        "runs_expected": args.sessions * args.runs,
        "time_to_results_s": {"median": statistics.median(times) if times else None, "p95": percentile(times, 95),
                              "min": min(times, default=None), "max": max(times, default=None)},
        "errors": errors,
        "server_healthy_after": healthy(url),
        "rss_after_mb": rss_bytes(pid) / MB if pid else None,
        "per_session": results,
    })
    if pid:
        report["rss_after_vs_baseline"] = report["rss_after_mb"] / report["rss_baseline_mb"] - 1
        report["memory_target_met"] = report["rss_after_vs_baseline"] <= 0.20
    return report


def print_table(r: dict) -> None:
    def f(v, fmt="{:.1f}"):
        return "-" if v is None else fmt.format(v)

    t = r["time_to_results_s"]
    rows = [
        ("sessions x runs", f"{r['sessions']} x {r['runs_per_session']} ({r['runs_done']}/{r['runs_expected']} done)"),
        ("time to results, median", f(t["median"], "{:.2f} s")),
        ("time to results, p95", f(t["p95"], "{:.2f} s")),
        ("time to results, min / max", f"{f(t['min'], '{:.2f}')} / {f(t['max'], '{:.2f}')} s"),
        ("wall time", f(r["wall_s"], "{:.1f} s")),
        ("server's own time per run, median / p95", f"{f((r.get('server_run_s') or {}).get('median'), '{:.2f}')} / "
                                                     f"{f((r.get('server_run_s') or {}).get('p95'), '{:.2f}')} s"),
        ("CPU: server / browsers / load test / machine",
         " / ".join(f(r.get(f"cpu_{k}_s"), "{:.0f}") for k in ("server", "browsers", "harness", "machine")) + " s"),
        ("errors", str(len(r["errors"]))),
        ("server healthy after", str(r["server_healthy_after"])),
        ("RSS at start", f(r["rss_start_mb"], "{:.0f} MB")),
        ("RSS baseline (model loaded)", f(r["rss_baseline_mb"], "{:.0f} MB")),
        ("RSS peak", f(r["rss_peak_mb"], "{:.0f} MB")),
        ("RSS after close + settle", f(r["rss_after_mb"], "{:.0f} MB")),
        ("after vs baseline", f(r.get("rss_after_vs_baseline"), "{:+.1%}")),
    ]
    width = max(len(k) for k, _ in rows)
    for k, v in rows:
        print(f"  {k:<{width}}  {v}")
    for e in r["errors"][:20]:
        print(f"  ! {e}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", help="a running server; default: start `streamlit run app.py` here")
    ap.add_argument("--pid", type=int, help="with --url: the server's pid, to measure its memory")
    ap.add_argument("--sessions", type=int, default=10)
    ap.add_argument("--runs", type=int, default=2, help="predictions per session")
    ap.add_argument("--frames", type=int, default=48, help="frames in each uploaded CSV")
    ap.add_argument("--mask", default="16-31", help="frames to hide (the CLI's SPEC)")
    ap.add_argument("--time-limit", type=float, default=900, help="seconds for all sessions together")
    ap.add_argument("--run-timeout", type=float, default=600, help="seconds for one page load, upload or run")
    ap.add_argument("--settle", type=float, default=20, help="seconds to wait after closing before measuring")
    ap.add_argument("--session-ttl", type=float, default=10, help="disconnectedSessionTTL of the server we start")
    ap.add_argument("--json", type=Path, help="write the full report here")
    ap.add_argument("--browser-nice", type=int, default=0,
                    help="run the browsers at this nice value (e.g. 10): they then take only the CPU the server leaves")
    ap.add_argument("--arenas", default="2", help="MALLOC_ARENA_MAX for the server we start, as scripts/app.sh sets it; 'default' leaves glibc's")
    args = ap.parse_args(argv)
    if not Path(CHROMIUM).exists():
        ap.error(f"needs Debian's chromium at {CHROMIUM}")

    args.checkpoint_note = os.environ.get("KINVIZ_CHECKPOINT", "shipped checkpoint")
    if args.url:
        report = asyncio.run(load(args.url.rstrip("/"), args.pid, args))
    else:
        log = ROOT / "artifacts" / "load" / "server.log"
        extra = ["--server.disconnectedSessionTTL", str(args.session_ttl)]
        if args.arenas == "default":  # the server inherits the setting: glibc reads it at start-up
            os.environ.pop("MALLOC_ARENA_MAX", None)
        else:
            os.environ["MALLOC_ARENA_MAX"] = args.arenas
        with streamlit_server(log=log, extra_args=extra) as server:
            print(f"server {server.url} (pid {server.pid}, log {log})", flush=True)
            report = asyncio.run(load(server.url, server.pid, args))
            text = log.read_text(errors="replace")
            report["server_log_tracebacks"] = text.count("Traceback")
            # The page logs each run's time on the server, from Run to results built (without the
            # browser's drawing); the warm-up's run is the first.
            server_runs = [float(v) for v in re.findall(r"run done in ([\d.]+) s", text)][1:]
            report["server_run_s"] = {"median": statistics.median(server_runs) if server_runs else None,
                                      "p95": percentile(server_runs, 95), "n": len(server_runs)}
    report["malloc_arena_max"] = "external server" if args.url else os.environ.get("MALLOC_ARENA_MAX", "default")
    print_table(report)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2))
        print(f"  report: {args.json}")
    return 0 if not report["errors"] and report["server_healthy_after"] else 1


if __name__ == "__main__":
    sys.exit(main())
