"""`jinqiu`: demo, audit, up, service. Arguments are parsed here; the work lives elsewhere."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import gc
import json
import math
import os
import signal
import sys
import time
from pathlib import Path

import structlog
import uvloop
from rich.console import Console
from rich.table import Table

from deploy.local import infrastructure
from services.shared.logging import configure_logging
from services.shared.settings import Settings, ledger_secret

console = Console()


def _yuan(fen: int) -> str:
    return f"{fen / 100:,.2f}"


def _print_audit(report) -> None:
    table = Table(title="基金余额 Fund balances (yuan)")
    table.add_column("fund account")
    table.add_column("balance", justify="right")
    for account, balance in report.fund_balances().items():
        table.add_row(account, _yuan(balance))
    console.print(table)
    console.print(f"entries {report.entries}, grants {report.grants}, employment subsidies {report.subsidies}, "
                  f"reversals {report.reversals}")
    for violation in report.violations[:50]:
        console.print(f"[red]VIOLATION[/red] {violation}")
    console.print("[green]审计通过 audit passed[/green]" if report.passed
                  else f"[red]审计未通过 audit failed: {len(report.violations)} violation(s)[/red]")


def _settings(endpoints, base: Settings | None = None) -> Settings:
    """Settings that reach `endpoints`, with their broker credentials and signing keys."""
    return (base or Settings()).model_copy(update={
        "kafka_bootstrap_servers": endpoints.kafka_bootstrap_servers, "database_url": endpoints.database_url,
        "kafka_credentials": endpoints.kafka_credentials, "signing_keys": endpoints.signing_keys,
        "idempotent_producer": endpoints.origin != "local-tansu"})


def _durability(endpoints) -> str:
    if endpoints.postgres is None:
        return "PostgreSQL as configured"
    if endpoints.postgres.unsafe:
        return "[red]PostgreSQL UNSAFE FAST (JINQIU_UNSAFE_FAST_DB: fsync and synchronous commit off)[/red]"
    return "PostgreSQL durable: fsync and synchronous commit on"


def cmd_demo(args: argparse.Namespace) -> int:
    from services.demo.run import play
    from services.demo.season import generate

    out = Path(args.out)
    (out / "logs").mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with (out / "logs" / "jinqiu.jsonl").open("w", encoding="utf-8") as log_file:
        configure_logging(Settings().log_level, stream=log_file)
        season = generate(args.applications, args.seed)
        with infrastructure() as endpoints:
            console.print(f"基础设施 infrastructure: {endpoints.origin} "
                          f"(Kafka {endpoints.kafka_bootstrap_servers}; {_durability(endpoints)})")
            try:
                outcome = uvloop.run(play(_settings(endpoints), season, out, console, crash=args.crash,
                                           serve=args.serve))
            except KeyboardInterrupt:
                return 0
    p = outcome.progress
    table = Table(title=f"金秋助学 demo season: {args.applications} applications")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for label, value in [
        ("refused at intake 退回修改 (HTTP 422)", outcome.refused), ("decided 已审核", p.decided), ("approved 通过", p.approved), ("rejected 不通过", outcome.rejected),
        ("settled 已到账", p.settled), ("refused by bank → reversed, card corrected, re-issued 退回重发", outcome.reissued),
        ("awaiting funds 待拨款", p.awaiting_funds), ("ledger entries 账目", outcome.ledger_lines),
        ("graduates tracked 毕业生", p.graduates),
        ("阳光就业 cohort served 帮扶对象", outcome.employment["graduates"]),
        ("handed to Hefei 转介 (accepted 接收)", f"{outcome.employment['handed_off']} ({outcome.employment['accepted']})"),
        ("employment subsidies paid 就业补贴", p.subsidies_paid), ("wall time (s)", f"{time.monotonic() - started:.1f}"),
    ]:
        table.add_row(label, str(value))
    console.print(table)
    _print_audit(outcome.audit)
    head = json.loads((out / "ledger.head.json").read_text(encoding="utf-8"))
    console.print(f"reports: {out / 'reports'}/340000 (province: cities as rows), {out / 'reports'}/341600 "
                  "(city: counties as rows), 附件7/8/9, 阶段性情况报告, 帮扶记录 for 工会帮扶工作管理系统")
    console.print(f"outputs: {out / 'decisions.csv'}, {out / 'ledger.jsonl'}, {out / 'ledger.head.json'} "
                  f"(head {head['sequence']} signed by ledger key {head.get('public_key', '?')[:16]}…)")
    console.print(f"audit again: jinqiu audit verify {out / 'ledger.jsonl'} --decisions {out / 'decisions.jsonl'} "
                  f"--policies services/verification/policies --donations {out / 'donations.jsonl'} "
                  f"--head {out / 'ledger.head.json'} --public-key {head.get('public_key', '')}")
    return 0 if outcome.audit.passed else 1


def cmd_bench(args: argparse.Namespace) -> int:
    from services.bench.run import run_bench

    out = Path(args.out)
    (out / "logs").mkdir(parents=True, exist_ok=True)
    # the services trace a share of filings, as in production (deploy/k8s); the demo traces all
    os.environ |= {"OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": str(args.trace_sample)}
    with (out / "logs" / "jinqiu.jsonl").open("w", encoding="utf-8") as log_file:
        configure_logging(Settings().log_level, stream=log_file)
        with infrastructure() as endpoints:
            console.print(f"基础设施 infrastructure: {endpoints.origin} ({_durability(endpoints)})")
            uvloop.run(run_bench(_settings(endpoints), args.applications, out, Console(width=130), args.rate))
    return 0


def cmd_audit_verify(args: argparse.Namespace) -> int:
    from contracts.checkpoint import head_problem
    from services.audit.verify import load_evidence, verify_lines

    if bool(args.decisions) != bool(args.policies):
        console.print("[red]--decisions and --policies go together (error code: evidence_incomplete)[/red]")
        return 2
    evidence = load_evidence(args.decisions, args.policies, args.donations) if args.decisions else None
    head, published = None, None
    if args.head and Path(args.head).is_file():
        published = json.loads(Path(args.head).read_text(encoding="utf-8"))
        head = (published["sequence"], published["hash"])
    elif args.head:
        sequence, _, hash_ = args.head.partition(":")
        if not sequence.isdigit() or len(hash_) != 64:
            console.print("[red]--head is ledger.head.json or SEQUENCE:HASH (error code: head_invalid)[/red]")
            return 2
        head = (int(sequence), hash_)
    if args.public_key and published is None:
        console.print("[red]--public-key checks a signed head: give --head ledger.head.json "
                      "(error code: head_invalid)[/red]")
        return 2
    with open(args.file, "rb") as f:
        report = verify_lines(f, evidence, args.as_of, head)
    if args.public_key and (problem := head_problem(published, args.public_key)):
        report.violations.append(problem)
    _print_audit(report)
    return 0 if report.passed else 1


def cmd_audit_public_key(_: argparse.Namespace) -> int:
    from contracts.checkpoint import public_key_hex

    secret = ledger_secret(Settings().signing_keys)
    if secret is None:
        console.print("[red]JINQIU_SIGNING_KEYS has no disbursement key (error code: signing_keys_missing)[/red]")
        return 2
    console.print(public_key_hex(secret))
    return 0


def cmd_audit_export(args: argparse.Namespace) -> int:
    import asyncpg

    from services.reports.outputs import write_ledger

    settings = Settings()
    if not settings.database_url:
        console.print("[red]DATABASE_URL is not set (error code: database_url_missing)[/red]")
        return 2

    async def export() -> int:
        conn = await asyncpg.connect(settings.database_url)
        try:
            return await write_ledger(conn, Path(args.out), ledger_secret(settings.signing_keys))
        finally:
            await conn.close()

    console.print(f"exported {asyncio.run(export())} entries to {args.out}")
    return 0


REPORTS = {"附件7": "demand", "附件8": "activity", "附件9": "employment", "stage": "stage"}


def _intake_db(settings: Settings):
    """A connection to intake's projections (DATABASE_URL), or None after saying why not."""
    import asyncpg

    from services.shared.db import init_connection

    async def connect():
        conn = await asyncpg.connect(settings.database_url, server_settings={"search_path": "intake"})
        await init_connection(conn)
        return conn
    return connect


def _report_target(args: argparse.Namespace):
    from services.shared.orgs import load_tree

    settings = Settings()
    tree = load_tree(settings.org_tree_file)
    if not settings.database_url:
        console.print("[red]DATABASE_URL is not set (error code: database_url_missing)[/red]")
        return None
    if args.org not in tree.orgs:
        console.print(f"[red]没有工会代码 {args.org}（error code: org_not_found）[/red]")
        return None
    return settings, tree


def cmd_report(args: argparse.Namespace) -> int:
    """附件7/8/9 or the stage report of one union, from intake's projections of events
    (DATABASE_URL): the unions directly below it as rows, and a 合计; live, or `--as-of` a
    campaign day (as intake kept it when the clock moved past that day)."""
    from services.intake.reports import report_workbook
    from services.shared.policy import load_book

    target = _report_target(args)
    if target is None:
        return 2
    settings, tree = target
    as_of = dt.date.fromisoformat(args.as_of) if args.as_of else None

    async def workbook() -> bytes:
        conn = await _intake_db(settings)()
        try:
            return await report_workbook(conn, tree, load_book(settings.policy_files), REPORTS[args.report],
                                         args.org, args.year, as_of)
        finally:
            await conn.close()

    Path(args.out).write_bytes(asyncio.run(workbook()))
    console.print(f"{args.report} {tree.name(args.org)}{f' as of {as_of}' if as_of else ''} → {args.out}")
    return 0


def cmd_export_national(args: argparse.Namespace) -> int:
    """Aid paid to filed households of a union's subtree, for 工会帮扶工作管理系统
    (docs/national-export.md)."""
    from services.intake.national_export import national_workbook, paid_records

    target = _report_target(args)
    if target is None:
        return 2
    settings, tree = target

    async def records() -> list[dict]:
        conn = await _intake_db(settings)()
        try:
            return await paid_records(conn, [c for c in tree.orgs if tree.may_act(args.org, c)])
        finally:
            await conn.close()

    found = asyncio.run(records())
    Path(args.out).write_bytes(national_workbook(found, tree, args.org, args.year))
    console.print(f"{len(found)} records of {tree.name(args.org)} → {args.out}")
    return 0


def cmd_replay(args: argparse.Namespace) -> int:
    """Rebuild a service's projections from its events and compare digests with the live tables."""
    import asyncpg

    from services.ops.replay import REPLAYS
    from services.shared.db import init_connection

    settings = Settings()
    if not settings.database_url:
        console.print("[red]DATABASE_URL is not set (error code: database_url_missing)[/red]")
        return 2

    async def replay() -> list:
        conn = await asyncpg.connect(settings.database_url)
        try:
            await init_connection(conn)
            return await REPLAYS[args.service](conn, write=args.write)
        finally:
            await conn.close()

    comparisons = asyncio.run(replay())
    table = Table("table", "rows", "live digest", "replayed digest", "")
    for c in comparisons:
        table.add_row(c.table, str(c.rows), c.live[:16], c.replayed[:16],
                      "[green]equal[/green]" if c.equal else "[red]DIFFERENT[/red]")
    console.print(table)
    different = [c.table for c in comparisons if not c.equal]
    if different and not args.write:
        console.print(f"[red]projections differ from their events: {', '.join(different)} "
                      "(error code: projection_drift); `--write` rebuilds them[/red]")
        return 1
    return 0


async def _serve(settings: Settings, names: list[str]) -> None:
    from services.system import IntakeHttp, start_services, stop_services

    if not settings.api_tokens and "intake" in names:
        console.print("[yellow]JINQIU_API_TOKENS is not set: intake will answer 401 to every request[/yellow]")
    runtimes = await start_services(settings, names)
    http = IntakeHttp(runtimes["intake"], settings.intake_host, settings.intake_port) if "intake" in runtimes else None
    if http:
        await http.start()
        console.print(f"intake HTTP on {http.url} (OpenAPI: {http.url}/docs)")
    # Everything made so far (modules, models, policies, pools) lives as long as the process: frozen
    # out of the collector's sight, a full collection no longer rescans it (verification's full
    # collections took 60-200 ms each under load and freed next to nothing: README, Speed).
    gc.freeze()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    console.print(f"running {', '.join(runtimes)}; Ctrl-C stops")
    await stop.wait()
    if http:
        await http.stop()
    await stop_services(runtimes)


def _run_services(names: list[str]) -> int:
    base = Settings()
    log_file = open(base.log_file, "a", encoding="utf-8", buffering=1) if base.log_file else None  # noqa: SIM115
    configure_logging(base.log_level, stream=log_file)
    from services.shared import metrics, tracing

    tracing.configure("+".join(names), base.traces_file)
    metrics.serve(base.metrics_port)
    with infrastructure() as endpoints:
        settings = _settings(endpoints, base)
        if endpoints.origin != "environment":
            console.print("\n".join(f"{k}={v}" for k, v in endpoints.settings_env().items()))
        try:
            uvloop.run(_serve(settings, names))
        except KeyboardInterrupt:
            pass
        except Exception:  # the traceback goes through the masking logger, not raw to stderr
            structlog.get_logger("jinqiu.service").exception("service_crashed", services=names)
            return 1
    return 0


def cmd_up(_: argparse.Namespace) -> int:
    from services.system import SERVICES

    return _run_services(list(SERVICES))


def cmd_service(args: argparse.Namespace) -> int:
    if not Settings().kafka_bootstrap_servers or not Settings().database_url:
        console.print("[red]jinqiu service needs KAFKA_BOOTSTRAP_SERVERS and DATABASE_URL "
                      "(error code: endpoints_missing)[/red]")
        return 2
    return _run_services([args.name])


def cmd_season_run(args: argparse.Namespace) -> int:
    import datetime as dt

    from services.season.run import run_season

    out, input_dir = Path(args.out), Path(args.input)
    if not input_dir.is_dir():
        console.print(f"[red]输入目录不存在 input directory not found: {input_dir} (error code: input_not_found)[/red]")
        return 2
    (out / "logs").mkdir(parents=True, exist_ok=True)
    with (out / "logs" / "jinqiu.jsonl").open("w", encoding="utf-8") as log_file:
        configure_logging(Settings().log_level, stream=log_file)
        with infrastructure() as endpoints:
            outcome = uvloop.run(run_season(_settings(endpoints), input_dir, out, args.org,
                                             dt.date.fromisoformat(args.today), args.close_notice, console))
    p = outcome.progress
    table = Table(title=f"season run: {input_dir}")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for label, value in [
        ("rows 行数", outcome.rows), ("refused rows 退回修改", outcome.refused), ("filed 已受理", outcome.accepted),
        ("registry rows refused 登记表错误", len(outcome.registry_problems)),
        ("阳光就业 rows accepted / refused 就业记录", f"{outcome.employment['accepted']} / {outcome.employment['refused']}"),
        ("decided 已审核", p.decided), ("in notice 公示中", p.in_notice), ("manual review 待人工审核", p.manual_reviews),
        ("approved 通过", p.approved), ("awaiting funds 待拨款", p.awaiting_funds),
        ("ledger entries 账目", outcome.ledger_lines),
        ("import seconds 导入耗时", f"{outcome.import_seconds:.1f}"),
        ("import → last decision seconds", f"{outcome.import_to_last_decision:.1f}"),
        ("rows per second 行/秒", f"{outcome.rows / outcome.import_to_last_decision:.0f}"),
    ]:
        table.add_row(label, str(value))
    console.print(table)
    console.print(f"outputs in {out}: decisions.csv, ledger.jsonl, import_report.json, errors-*.xlsx")
    return 0


def cmd_season_sample(args: argparse.Namespace) -> int:
    from services.demo.season import generate
    from services.season.samples import write_sample

    bad = write_sample(generate(args.rows, args.seed), Path(args.out), args.bad_share, args.seed)
    console.print(f"wrote {args.rows} applications ({len(bad)} with mistakes) and registry files to {args.out}")
    return 0


def cmd_secrets(args: argparse.Namespace) -> int:
    """Fresh secrets for a deployment: broker passwords, signing keys, one API token per union."""
    from deploy.local import write_secrets

    for path in write_secrets(Path(args.out)):
        console.print(f"written {path}")
    return 0


def cmd_broker_setup(_: argparse.Namespace) -> int:
    """As the broker's admin (JINQIU_KAFKA_CREDENTIALS with an `admin` entry): topics and ACLs."""
    from services.system import prepare_broker

    settings = Settings()
    if not settings.kafka_bootstrap_servers:
        console.print("[red]KAFKA_BOOTSTRAP_SERVERS is not set (error code: endpoints_missing)[/red]")
        return 2
    asyncio.run(prepare_broker(settings))
    console.print(f"topics and ACLs in place on {settings.kafka_bootstrap_servers}")
    return 0


def cmd_status(_: argparse.Namespace) -> int:
    from services.ops.status import collect

    settings = Settings()
    if not settings.kafka_bootstrap_servers or not settings.database_url:
        console.print("[red]jinqiu status needs KAFKA_BOOTSTRAP_SERVERS and DATABASE_URL "
                      "(error code: endpoints_missing)[/red]")
        return 2
    services, lags, dead = asyncio.run(collect(settings))
    table = Table(title="jinqiu status")
    for column in ("service", "events handled", "last minute", "outbox backlog", "oldest unsent (s)",
                   "ledger postings not chained"):
        table.add_column(column, justify="left" if column == "service" else "right")
    for s in services:
        oldest = f"{s.oldest_unsent_seconds:.1f}" if s.oldest_unsent_seconds is not None else "-"
        table.add_row(s.name, str(s.handled), str(s.handled_last_minute), str(s.outbox_backlog), oldest,
                      "-" if s.unchained is None else str(s.unchained))
    console.print(table)
    lag_table = Table(title="consumer lag")
    lag_table.add_column("group")
    lag_table.add_column("lag", justify="right")
    for lag in lags:
        lag_table.add_row(lag.group, str(lag.lag))
    console.print(lag_table)
    console.print(f"dead letters (jinqiu.deadletter): {dead}")
    return 0


def cmd_asyncapi(args: argparse.Namespace) -> int:
    import json

    from contracts.asyncapi import asyncapi_document

    Path(args.out).write_text(json.dumps(asyncapi_document(), ensure_ascii=False, indent=2), encoding="utf-8")
    console.print(f"AsyncAPI document written to {args.out}")
    return 0


def _per_second(text: str) -> float:
    """A rate for `--rate`: a number above zero."""
    try:
        rate = float(text)
    except ValueError:
        rate = math.nan
    if not (math.isfinite(rate) and rate > 0):
        raise argparse.ArgumentTypeError(f"{text!r}: give filings per second, a number above zero")
    return rate


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="jinqiu", description="金秋助学 / 阳光就业 platform")
    sub = p.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="play a synthetic Bozhou season end to end")
    demo.add_argument("--applications", type=int, default=2000)
    demo.add_argument("--seed", type=int, default=2023)
    demo.add_argument("--out", required=True)
    demo.add_argument("--crash", action="store_true",
                      help="kill verification and disbursement mid-flight (SIGKILL) and restart them")
    demo.add_argument("--serve", action="store_true",
                      help="at the end, keep the web console running with the season's data (Ctrl-C stops)")
    demo.set_defaults(func=cmd_demo)
    bench = sub.add_parser("bench", help="baselines of the bare broker and database, then a season through the "
                                         "services on them: rates, ratios, latency, peak RSS, audit rate")
    bench.add_argument("--applications", type=int, default=2000)
    bench.add_argument("--out", default="out/bench")
    bench.add_argument("--rate", type=_per_second, default=None, metavar="PER_SECOND",
                       help="offer filings at this steady rate (open load) instead of 24 clerks as fast as answered")
    bench.add_argument("--trace-sample", type=float, default=0.01,
                       help="share of filings whose spans are recorded (default 0.01, as deploy/k8s; 1 as the demo)")
    bench.set_defaults(func=cmd_bench)
    audit = sub.add_parser("audit", help="auditor tools").add_subparsers(dest="audit_command", required=True)
    verify = audit.add_parser("verify", help="replay a ledger.jsonl export")
    verify.add_argument("file")
    verify.add_argument("--decisions", help="decisions.jsonl: decide every grant again from its recorded inputs")
    verify.add_argument("--policies", help="the folder of policy files the decisions name by version")
    verify.add_argument("--donations", help="donations.jsonl: the donors' intents")
    verify.add_argument("--as-of", help="replay only entries up to this date or time (ISO)")
    verify.add_argument("--public-key", help="the ledger's published Ed25519 key (`jinqiu audit public-key`): "
                                             "the head must be signed with it")
    verify.add_argument("--head", help="the published ledger head, ledger.head.json or SEQUENCE:HASH: "
                                       "proves the ledger is not cut short or rewritten up to it")
    verify.set_defaults(func=cmd_audit_verify)
    public_key = audit.add_parser("public-key", help="print the ledger's Ed25519 public key, to publish to auditors")
    public_key.set_defaults(func=cmd_audit_public_key)
    export = audit.add_parser("export", help="export the live ledger (DATABASE_URL) as ledger.jsonl")
    export.add_argument("--out", required=True)
    export.set_defaults(func=cmd_audit_export)
    season = sub.add_parser("season", help="a union's own season").add_subparsers(dest="season_command",
                                                                                    required=True)
    run = season.add_parser("run", help="run the pipeline on a directory of input files (README: Input files)")
    run.add_argument("--input", required=True)
    run.add_argument("--out", required=True)
    run.add_argument("--org", default="340000", help="the org the operator acts for (default: 340000)")
    run.add_argument("--today", default="2023-08-14", help="campaign date, within the policy's filing window: "
                                                       "public notice starts then")
    run.add_argument("--close-notice", action="store_true", help="then move the clock past the notice period")
    run.set_defaults(func=cmd_season_run)
    sample = season.add_parser("sample", help="write sample input files (a county spreadsheet with mistakes)")
    sample.add_argument("--rows", type=int, default=10000)
    sample.add_argument("--bad-share", type=float, default=0.05)
    sample.add_argument("--seed", type=int, default=2023)
    sample.add_argument("--out", required=True)
    sample.set_defaults(func=cmd_season_sample)
    asyncapi = sub.add_parser("asyncapi", help="write the AsyncAPI document of topics and events")
    asyncapi.add_argument("--out", required=True)
    asyncapi.set_defaults(func=cmd_asyncapi)
    sub.add_parser("up", help="run the whole system until Ctrl-C").set_defaults(func=cmd_up)
    secrets = sub.add_parser("secrets", help="write fresh broker passwords, signing keys and API tokens")
    secrets.add_argument("--out", required=True, help="directory for the JSON files (keep it private)")
    secrets.set_defaults(func=cmd_secrets)
    broker = sub.add_parser("broker", help="broker administration").add_subparsers(dest="broker_command",
                                                                                    required=True)
    broker.add_parser("setup", help="create the topics and grant each principal its ACLs").set_defaults(
        func=cmd_broker_setup)
    sub.add_parser("status", help="throughput, outbox backlog, consumer lag, dead letters").set_defaults(
        func=cmd_status)
    report = sub.add_parser("report", help="附件7/8/9 or the stage report of a union (DATABASE_URL): rows per union "
                                           "below it, 合计; live or --as-of a campaign day")
    report.add_argument("report", choices=list(REPORTS))
    report.add_argument("--org", required=True, help="the reporting union, e.g. 341600 (its counties as rows)")
    report.add_argument("--year", type=int, default=2023)
    report.add_argument("--as-of", help="campaign date YYYY-MM-DD: the report as it stood at the end of that day")
    report.add_argument("--out", required=True, help="FILE.xlsx")
    report.set_defaults(func=cmd_report)
    export_cmd = sub.add_parser("export", help="exports for other systems").add_subparsers(dest="export_command",
                                                                                            required=True)
    national = export_cmd.add_parser("national", help="aid paid to filed households, for 工会帮扶工作管理系统")
    national.add_argument("--org", required=True)
    national.add_argument("--year", type=int, default=2023)
    national.add_argument("--out", required=True, help="FILE.xlsx")
    national.set_defaults(func=cmd_export_national)
    replay = sub.add_parser("replay", help="rebuild a service's projections from its events (DATABASE_URL) "
                                           "and compare digests with the live tables")
    replay.add_argument("service", choices=["verification", "disbursement", "employment"])
    replay.add_argument("--write", action="store_true", help="write the rebuilt rows over the live ones")
    replay.set_defaults(func=cmd_replay)
    service = sub.add_parser("service", help="run one service (for several copies)")
    service.add_argument("name", choices=["intake", "verification", "disbursement", "employment"])
    service.set_defaults(func=cmd_service)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
