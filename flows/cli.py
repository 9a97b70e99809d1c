"""The ``dechaff`` command: ``run``, ``serve``, ``compact``, ``verify``, ``repair`` and ``explain``."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
from pathlib import Path

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_LOCKED = 0, 1, 2, 3


def _prefect_env(verbose: bool, log_level: str | None = None) -> None:
    """Offline-friendly defaults for Prefect; the user's settings win. Runs log at INFO to Prefect (stored
    with each run), while the console shows warnings only, unless --verbose or --log-level."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "60")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "INFO")
    console = log_level or ("INFO" if verbose else "WARNING")
    os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", console.upper())


def _parser() -> argparse.ArgumentParser:
    from dechaff import __version__

    ap = argparse.ArgumentParser(
        prog="dechaff", description="Clean, deduplicated, audited text corpora.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="exit status: 0 done (also when some inputs were rejected: a warning names them); 1 none of the "
               "new inputs could be processed; 2 bad settings or values, a missing raw folder, an output "
               "folder that is damaged (see verify, repair) or not dechaff's; 3 another run holds the output")
    ap.add_argument("--version", action="version", version=f"dechaff {__version__}")
    sub = ap.add_subparsers(dest="cmd", required=True)

    r = sub.add_parser("run", help="one run: clean the new files under --raw into --out")
    r.add_argument("--raw", default="raw", help="raw input directory (default: raw/)")
    r.add_argument("--out", default="clean", help="output directory (default: clean/)")
    r.add_argument("--config", help="configuration file (default: ./dechaff.toml if present)")
    r.add_argument("--keep-comments", action="store_true", default=None,
                   help="keep reader comment threads (comment forms are always removed)")
    r.add_argument("--wait", type=float, default=None, metavar="SECONDS",
                   help="wait this long for another run on the same --out to finish (default: do not wait)")
    r.add_argument("--runner", choices=("threads", "processes", "dask"), default="threads",
                   help="Prefect task runner for the shard tasks (default: threads)")
    r.add_argument("--dask-address", help="with --runner dask: scheduler address of an existing cluster")
    r.add_argument("--verbose", action="store_true", help="show the run's log on the console (INFO)")
    r.add_argument("--log-level", choices=("DEBUG", "INFO", "WARNING", "ERROR"), type=str.upper,
                   help="console log level (default WARNING; the run's log is stored with Prefect at INFO)")
    r.add_argument("--json", action="store_true", help="print the run's summary as one JSON object (for scripts)")
    r.add_argument("--local", action="store_true",
                   help="run the same steps in this process, without Prefect (one-off runs: no server to start)")

    s = sub.add_parser("serve", help="scheduled ingestion through Prefect serve()")
    s.add_argument("--raw", default="raw")
    s.add_argument("--out", default="clean")
    s.add_argument("--config")
    g = s.add_mutually_exclusive_group(required=True)
    g.add_argument("--cron", help="cron expression, e.g. '*/15 * * * *'")
    g.add_argument("--interval", type=float, help="seconds between runs")
    s.add_argument("--name", default="dechaff-ingest", help="deployment name")
    s.add_argument("--log-level", choices=("DEBUG", "INFO", "WARNING", "ERROR"), type=str.upper, default="INFO",
                   help="console log level of the served runs (default INFO: one summary per run)")

    v = sub.add_parser("verify", help="check every committed file of --out against the manifest's checksums")
    v.add_argument("--out", default="clean")

    rp = sub.add_parser("repair", help="rebuild what can be rebuilt of a damaged --out, and say what is lost")
    rp.add_argument("--out", default="clean")
    rp.add_argument("--config", help="configuration file (its [dedup] settings shape the rebuilt index)")

    c = sub.add_parser("compact", help="merge each table's part files into parts of about --target-mb")
    c.add_argument("--out", default="clean")
    c.add_argument("--target-mb", type=float, default=256, help="size of a merged part (default: 256)")
    c.add_argument("--wait", type=float, default=0, metavar="SECONDS",
                   help="wait this long for a run on the same --out to finish (default: do not wait)")

    e = sub.add_parser("explain", help="show a document as read, with every removal in place")
    e.add_argument("doc_id")
    e.add_argument("--out", default="clean")

    ru = sub.add_parser("rules", help="list every rule dechaff decides by (its reason, flags and meaning)")
    ru.add_argument("--markdown", action="store_true", help="as the README's Markdown table")
    return ap


class _Stopped(KeyboardInterrupt):
    """SIGTERM (cron, systemd, timeout), raised as Ctrl-C is, so that everything unwinds the same way."""


def _on_sigterm(_signum, _frame) -> None:
    raise _Stopped


def main(argv: list[str] | None = None) -> int:
    """The command line; SIGINT and SIGTERM stop it with one line and exit 130 / 143 (the output is the
    last commit: a run is committed all at once or not at all)."""
    signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        return _main(argv)
    except KeyboardInterrupt as e:
        sig = "SIGTERM" if isinstance(e, _Stopped) else "SIGINT"
        print(f"dechaff: stopped ({sig}); the output folder holds the last committed run", file=sys.stderr)
        return 143 if isinstance(e, _Stopped) else 130


def _main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.cmd == "explain":
        return _explain(args)
    if args.cmd == "rules":
        return _rules(args)
    if args.cmd == "compact":
        return _compact(args)
    if args.cmd == "verify":
        return _verify(args)
    if args.cmd == "repair":
        return _repair(args)
    if not Path(args.raw).is_dir():
        print(f"dechaff: error: raw directory {args.raw} does not exist (or is not a directory)", file=sys.stderr)
        return EXIT_USAGE
    from dechaff.config import Config, ConfigError

    # every setting, and every value given here, is checked before Prefect starts
    over = ({"keep_comments": args.keep_comments, "lock_wait_seconds": args.wait} if args.cmd == "run" else {})
    try:
        Config.load(Path(args.config) if args.config else None, **over)
        if args.cmd == "serve":
            _check_schedule(args)
    except ConfigError as e:
        print(f"dechaff: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    _prefect_env(getattr(args, "verbose", False), getattr(args, "log_level", None))
    if args.cmd == "serve":
        return _serve(args)
    return _run(args)


def _check_schedule(args: argparse.Namespace) -> None:
    from dechaff.config import ConfigError

    if args.interval is not None and not args.interval > 0:
        raise ConfigError(f"--interval {args.interval:g}: the seconds between runs, more than 0")
    if args.cron is not None:
        from prefect._internal.schemas.validators import validate_cron_string  # (what serve() will check)

        try:
            validate_cron_string(args.cron)
        except ValueError:
            raise ConfigError(f"--cron {args.cron!r}: not a cron expression; e.g. '*/15 * * * *'") from None


def dask_runner_kwargs(address: str | None) -> dict:
    """The DaskTaskRunner's arguments: the given cluster, or a local one that listens on this machine
    only (its scheduler and dashboard would otherwise bind every interface, the dashboard on 8787)."""
    if address:
        return {"address": address}
    return {"cluster_kwargs": {"host": "127.0.0.1", "dashboard_address": "127.0.0.1:0"}}


_LOOPBACK = ("127.", "localhost", "::1", "[::1]")


def _host(url: str) -> str:
    """The host of ``tcp://host:8786`` or ``http://host:4200/api`` (lower case)."""
    from urllib.parse import urlsplit

    return (urlsplit(url if "://" in url else f"tcp://{url}").hostname or "").lower()


def remote_workers_note(dask_address: str | None, api_url: str | None) -> str | None:
    """What a run on a Dask cluster at ``dask_address`` should be told about its Prefect server, or None.
    The flow's Prefect settings travel with every task to the workers: with no ``PREFECT_API_URL`` each
    worker starts a temporary server of its own (8-14 s, and its task runs are recorded there, not with
    the run's), and a loopback address only reaches a worker on this machine."""
    if not dask_address:
        return None
    if not api_url:
        return ("PREFECT_API_URL is not set: each Dask worker will start a temporary Prefect server of its own "
                "(8-14 s before its first task; its task runs are not recorded with this run's). Start a "
                "server the workers reach (`prefect server start --host 0.0.0.0`) and set "
                "PREFECT_API_URL=http://HOST:4200/api here")
    if _host(api_url).startswith(_LOOPBACK) and not _host(dask_address).startswith(_LOOPBACK):
        return (f"PREFECT_API_URL={api_url} is this machine's loopback address: workers on other machines "
                "cannot reach it; use an address they reach (`prefect server start --host 0.0.0.0`)")
    return None


def _run(args: argparse.Namespace) -> int:
    from dechaff.store import OutputLocked, StateError

    try:
        summary = _run_local(args) if args.local else _run_flow(args)
    except OutputLocked as e:
        print(f"dechaff: {e}", file=sys.stderr)
        return EXIT_LOCKED
    except StateError as e:  # the output folder is not as its manifest says: the user must act
        print(f"dechaff: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    if summary is None:
        return EXIT_USAGE
    from dechaff.pipeline import RunSummary

    s = RunSummary(**summary)
    if args.json:
        print(json.dumps(s.to_dict(), sort_keys=True))
    else:
        for line in s.lines():
            print(line)
    if s.inputs_rejected or s.records_rejected:
        print(f"dechaff: warning: {s.inputs_rejected + s.records_rejected} inputs or records rejected; "
              f"see {args.out}/rejected/ (run {s.run_id})", file=sys.stderr)
    if s.inputs_new and s.documents_read == 0:
        print("dechaff: error: none of the new inputs could be processed", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def _run_local(args: argparse.Namespace) -> dict | None:
    from dechaff.config import Config
    from dechaff.pipeline import run_local

    if args.runner != "threads":
        print(f"dechaff: error: --local runs in this process; --runner {args.runner} needs Prefect", file=sys.stderr)
        return None
    cfg = Config.load(Path(args.config) if args.config else None, keep_comments=args.keep_comments,
                      lock_wait_seconds=args.wait)
    return run_local(Path(args.raw), Path(args.out), cfg).to_dict()


def _run_flow(args: argparse.Namespace) -> dict | None:
    from contextlib import nullcontext

    from dechaff_flows.ingest import cleanup_flow, one_server_for_all_processes

    flow = cleanup_flow
    if args.runner == "processes":
        from prefect.task_runners import ProcessPoolTaskRunner

        flow = cleanup_flow.with_options(task_runner=ProcessPoolTaskRunner())
    elif args.runner == "dask":
        try:
            from prefect_dask import DaskTaskRunner
        except ImportError:
            print("dechaff: error: --runner dask needs prefect-dask: pip install 'dechaff[dask]'", file=sys.stderr)
            return None
        from prefect.settings import PREFECT_API_URL

        note = remote_workers_note(args.dask_address, PREFECT_API_URL.value())
        if note:
            print(f"dechaff: note: {note}", file=sys.stderr)
        flow = cleanup_flow.with_options(task_runner=DaskTaskRunner(**dask_runner_kwargs(args.dask_address)))
    # worker processes on this machine share the flow's temporary server (a remote cluster needs a server
    # of its own: PREFECT_API_URL)
    local_workers = args.runner == "processes" or (args.runner == "dask" and not args.dask_address)
    with one_server_for_all_processes() if local_workers else nullcontext():
        return flow(raw_dir=args.raw, out_dir=args.out, config_path=args.config, keep_comments=args.keep_comments,
                    lock_wait_seconds=args.wait, progress=sys.stderr.isatty())


def _api_problem() -> str | None:
    """Why ``serve`` cannot work here (no long-lived Prefect server reachable), or None."""
    from prefect.settings import PREFECT_API_URL

    url = PREFECT_API_URL.value()
    if not url:
        return ("a schedule needs a long-lived Prefect server, and PREFECT_API_URL is not set: run `prefect server "
                "start` (or use yours), then `prefect config set PREFECT_API_URL=http://127.0.0.1:4200/api`")
    import httpx

    try:
        httpx.get(f"{url.rstrip('/')}/health", timeout=5).raise_for_status()
    except httpx.HTTPError as e:
        return f"no Prefect server answers at PREFECT_API_URL={url} ({e}); start it with `prefect server start`"
    return None


def _serve(args: argparse.Namespace) -> int:
    from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy

    from dechaff_flows.ingest import ingest_flow

    problem = _api_problem()
    if problem:
        print(f"dechaff: error: {problem}", file=sys.stderr)
        return EXIT_USAGE
    params = {"raw_dir": str(Path(args.raw).resolve()), "out_dir": str(Path(args.out).resolve()),
              "config_path": str(Path(args.config).resolve()) if args.config else None}
    kw: dict = {"cron": args.cron} if args.cron else {"interval": args.interval}
    print(f"dechaff: serving deployment {args.name!r} ({'cron ' + args.cron if args.cron else f'every {args.interval:g} s'}); "
          "Ctrl-C to stop", file=sys.stderr)
    # One ingest run at a time, whatever the schedule or restarts: a run due while another is running is
    # cancelled, not queued (the next one picks up its files). Stopping serve pauses the schedule, so no
    # late runs pile up while it is down; starting it again un-pauses it (paused=False).
    # Prefect 3.8's runner answers SIGTERM with a stop() coroutine it never awaits and sys.exit(0) (no pause,
    # tracebacks on stderr): SIGTERM takes the Ctrl-C path instead, which the runner handles cleanly
    from prefect.runner import Runner

    sigterm = []

    def stopping() -> None:
        # the interrupt lands in whatever asyncio callback runs: the runner's control channel then logs a
        # cancelled read with its traceback, noise on a stop that is on purpose
        logging.getLogger("asyncio").setLevel(logging.CRITICAL)

    def on_sigterm(_runner, *_args, **_kwargs) -> None:
        sigterm.append(True)
        stopping()
        raise KeyboardInterrupt

    def on_sigint(*_args) -> None:
        stopping()
        raise KeyboardInterrupt

    Runner.handle_sigterm = on_sigterm  # type: ignore[method-assign]
    signal.signal(signal.SIGINT, on_sigint)
    try:
        ingest_flow.serve(name=args.name, parameters=params, limit=1, paused=False, pause_on_shutdown=True,
                          global_limit=ConcurrencyLimitConfig(limit=1,
                                                              collision_strategy=ConcurrencyLimitStrategy.CANCEL_NEW),
                          **kw)
    except SystemExit:
        raise _Stopped from None
    finally:
        # the deployment kept scheduling runs that turned Late after a stop: pause it here, whatever ended
        # serve (and cancel the runs already scheduled)
        _pause_deployment(f"{ingest_flow.name}/{args.name}")
    # serve() returns only when a signal stopped it (it catches KeyboardInterrupt itself)
    raise _Stopped if sigterm else KeyboardInterrupt


def _pause_deployment(name: str) -> None:
    import asyncio

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        DeploymentFilter,
        DeploymentFilterId,
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType
    from prefect.states import Cancelled

    async def pause() -> int:
        async with get_client() as client:
            deployment = await client.read_deployment_by_name(name)
            await client.pause_deployment(deployment.id)
            # runs already scheduled (and those already late) would all start at the next serve: cancel
            # them; the schedule's next run after a restart picks up every file that arrived meanwhile
            waiting = await client.read_flow_runs(
                deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment.id])),
                flow_run_filter=FlowRunFilter(state=FlowRunFilterState(
                    type=FlowRunFilterStateType(any_=[StateType.SCHEDULED]))))
            for run in waiting:
                await client.set_flow_run_state(run.id, Cancelled(message="dechaff serve stopped"), force=True)
            return len(waiting)

    try:
        n = asyncio.run(pause())
        print(f"dechaff: paused the schedule of {name} and cancelled {n} waiting runs; `dechaff serve` again "
              "resumes it", file=sys.stderr)
    except Exception as e:  # noqa: BLE001 - the server may be gone too: say so, do not hide the stop
        print(f"dechaff: warning: could not pause {name} ({e}); pause it in the Prefect UI", file=sys.stderr)


def _maintain(action) -> int:
    """Run a maintenance ``action`` (no Prefect) that returns something with ``lines()``: print them, and
    map a locked output to exit 3, a bad configuration or output folder to exit 2."""
    from dechaff.config import ConfigError
    from dechaff.store import OutputLocked, StateError

    try:
        result = action()
    except OutputLocked as e:
        print(f"dechaff: {e}", file=sys.stderr)
        return EXIT_LOCKED
    except (ConfigError, StateError) as e:
        print(f"dechaff: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    for line in result.lines():
        print(line)
    return EXIT_OK


def _compact(args: argparse.Namespace) -> int:
    from dechaff.pipeline.compact import compact

    if args.target_mb <= 0:
        print(f"dechaff: error: --target-mb must be positive, not {args.target_mb:g}", file=sys.stderr)
        return EXIT_USAGE
    return _maintain(lambda: compact(Path(args.out), args.target_mb, args.wait))


def _verify(args: argparse.Namespace) -> int:
    from dechaff.store import OutputDir, StateError

    out = OutputDir(Path(args.out))
    if not out.manifest_path.exists():
        print(f"dechaff: error: {args.out} holds no dechaff output (no {out.manifest_path.name})", file=sys.stderr)
        return EXIT_USAGE
    try:
        problems = out.check(checksums=True)
        n = len(out.read_manifest().files)
    except StateError as e:
        print(f"dechaff: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    for p in problems:
        print(f"dechaff: {args.out}/{p}", file=sys.stderr)
    if problems:
        print(f"{len(problems)} of {n} committed files missing or damaged", file=sys.stderr)
        return EXIT_USAGE
    print(f"{n} committed files checked: all present with their committed checksums")
    return EXIT_OK


def _repair(args: argparse.Namespace) -> int:
    from dechaff.config import Config
    from dechaff.pipeline.repair import repair

    return _maintain(lambda: repair(Path(args.out), Config.load(Path(args.config) if args.config else None)))


def _explain(args: argparse.Namespace) -> int:
    from dechaff.explain import explain
    from dechaff.store import StateError

    try:
        print(explain(Path(args.out), args.doc_id))
    except (KeyError, StateError) as e:
        msg = e.args[0] if e.args else str(e)
        print(f"dechaff: error: {msg}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK


def _rules(args: argparse.Namespace) -> int:
    from dechaff import rules

    if args.markdown:
        sys.stdout.write(rules.markdown_table())
        return EXIT_OK
    for r in sorted(rules.REGISTRY.values(), key=lambda r: (r.engine, r.id)):
        flags = f" [{', '.join(sorted(r.flags))}]" if r.flags else ""
        print(f"{r.id:28} {r.reason or '(keeps)':19} {r.description}{flags}")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
