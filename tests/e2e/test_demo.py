"""The whole system through its command line: `jinqiu demo`, then `jinqiu audit verify`."""

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from contracts.ledger_format import GENESIS_HASH
from services.demo.season import generate
from tests import service_logs

N, SEED = 150, 7
JINQIU = [str(Path(sys.executable).parent / "jinqiu")]  # the installed console script


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory, endpoints) -> Path:
    out = tmp_path_factory.mktemp("demo")
    env_endpoints = {**endpoints.settings_env(),
                     "DATABASE_URL": endpoints.database_url.rsplit("/", 1)[0] + "/postgres",
                     "JINQIU_NAMESPACE": "e2e."}
    import os

    done = subprocess.run([*JINQIU, "demo", "--applications", str(N), "--seed", str(SEED), "--out", str(out)],
                          env={**os.environ, **env_endpoints}, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr + service_logs.summary(out / "logs")
    assert "audit passed" in done.stdout
    return out


def test_every_application_gets_exactly_one_decision_row(demo_out):
    season = generate(N, SEED)
    with (demo_out / "decisions.csv").open(encoding="utf-8") as f:
        reader = csv.DictReader(f)
        rows = list(reader)
    assert reader.fieldnames[:5] == ["application_id", "decision", "amount_fen", "fund_source", "reasons"]
    assert len(rows) == len({r["application_id"] for r in rows}) == N + len(season.refiled_by_city)
    rejected = [r for r in rows if r["decision"] == "rejected"]
    assert len(rejected) == season.expected_rejections
    duplicates = [r for r in rows if r["reasons"] == "duplicate_of"]
    assert len(duplicates) == len(season.refiled_by_city)
    assert all(r["duplicate_of"] in {x["application_id"] for x in rows} for r in duplicates)
    assert all(r["reasons"] and r["amount_fen"] == "0" for r in rejected)
    paid = [r for r in rows if r["payment_status"] == "settled"]
    assert paid and all(r["fund_source"].startswith("fund:") and int(r["amount_fen"]) > 0 for r in paid)


def test_the_ledger_meets_the_published_format(demo_out):
    lines = (demo_out / "ledger.jsonl").read_text(encoding="utf-8").splitlines()
    events = [json.loads(line) for line in lines]
    assert events[0]["data"]["prev_hash"] == GENESIS_HASH
    assert [e["data"]["sequence"] for e in events] == list(range(1, len(events) + 1))
    for e in events:
        assert {"specversion", "id", "source", "type", "subject", "time", "datacontenttype", "data"} <= e.keys()
        assert e["specversion"] == "1.0" and e["type"] == "cn.jinqiu.ledger.transfer_posted.v1"
        assert isinstance(e["data"]["amount_fen"], int) and e["data"]["amount_fen"] > 0
        assert e["data"]["kind"] in {"allocation", "donation", "grant", "subsidy", "settlement", "reversal"}
        assert (e["data"]["application_id"] is None) == (e["data"]["kind"] in {"allocation", "donation"})
    assert all(e["data"]["credit_account"].startswith("recipient:") for e in events if e["data"]["kind"] == "grant")


def test_audit_verify_passes_the_export_and_fails_a_tampered_copy(demo_out, tmp_path):
    ok = subprocess.run([*JINQIU, "audit", "verify", str(demo_out / "ledger.jsonl")], capture_output=True, text=True)
    assert ok.returncode == 0 and "fund:central:341602" in ok.stdout
    lines = (demo_out / "ledger.jsonl").read_text(encoding="utf-8").splitlines()
    entry = json.loads(lines[5])
    entry["data"]["amount_fen"] += 1
    lines[5] = json.dumps(entry, ensure_ascii=False)
    (tmp_path / "tampered.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    bad = subprocess.run([*JINQIU, "audit", "verify", str(tmp_path / "tampered.jsonl")], capture_output=True, text=True)
    assert bad.returncode != 0 and "line 6" in bad.stdout


def test_logs_carry_correlation_ids_and_no_full_personal_numbers(demo_out):
    season = generate(N, SEED)
    logs = sorted((demo_out / "logs").glob("*.jsonl"))
    assert {p.stem for p in logs} >= {"jinqiu", "intake", "verification", "disbursement", "employment"}
    log = "".join(p.read_text(encoding="utf-8") for p in (demo_out / "logs").iterdir())  # .stderr too
    secrets = {f["student"]["id_number"] for f in season.applications + season.mistyped}
    secrets |= {f["worker"]["id_number"] for f in season.applications}
    secrets |= {f["bank_card"] for f in season.applications} | {f["phone"] for f in season.applications}
    assert not [s for s in secrets if s in log]
    assert season.mistyped and all(t["student"]["id_number"][:4] + "**********" in log for t in season.mistyped)
    lines = [json.loads(line) for p in logs if not p.name.endswith(".traces.jsonl")
             for line in p.read_text(encoding="utf-8").splitlines()]
    assert any(line.get("correlation_id") for line in lines if line["event"] == "Processed")


def test_one_application_can_be_followed_through_all_four_services_by_its_trace(demo_out):
    spans = [json.loads(line) for p in (demo_out / "logs").glob("*.traces.jsonl")
             for line in p.read_text(encoding="utf-8").splitlines()]
    services_of: dict[str, set[str]] = {}
    for span in spans:
        services_of.setdefault(span["trace_id"], set()).add(span["service"])
    everywhere = {t for t, s in services_of.items()
                  if s == {"jinqiu-intake", "jinqiu-verification", "jinqiu-employment", "jinqiu-disbursement"}}
    assert everywhere
    filing = next(s for s in spans if s["trace_id"] in everywhere and s["name"] == "POST /v1/applications")
    assert filing["attributes"]["jinqiu.correlation_id"]
    paid = [s for s in spans if s["name"] == "handle application.verified"]
    assert all(s["trace_id"] in services_of and "jinqiu-intake" in services_of[s["trace_id"]] for s in paid)


def test_each_service_exposes_prometheus_metrics(demo_out):
    for name in ("intake", "verification", "disbursement", "employment"):
        text = (demo_out / "logs" / f"{name}.metrics.txt").read_text(encoding="utf-8")
        handled = [line for line in text.splitlines()
                   if line.startswith(f'jinqiu_events_handled_total{{service="{name}"')]
        assert handled and sum(float(line.rsplit(" ", 1)[1]) for line in handled) > 0
        for metric in ("jinqiu_batch_seconds_count", "jinqiu_outbox_backlog", "jinqiu_consumer_lag",
                       "faststream_received_messages_total"):
            assert metric in text, (name, metric)
    sequencer = (demo_out / "logs" / "disbursement.metrics.txt").read_text(encoding="utf-8")
    assert 'jinqiu_leader_backlog{service="disbursement",task="sequencer"}' in sequencer


def _rows(path: Path) -> list[tuple]:
    from openpyxl import load_workbook

    return list(load_workbook(path).worksheets[0].iter_rows(values_only=True))


def test_reports_add_up_to_the_ledger_and_the_season(demo_out):
    from services.demo.season import DESTINATION, employment_plan

    for level in ("340000", "341600"):
        reports = sorted(p.name for p in (demo_out / "reports" / level).glob("附件*.xlsx"))
        assert [r[:3] for r in reports] == ["附件7", "附件8", "附件9"]
        assert (demo_out / "reports" / level / "阶段性情况报告.xlsx").exists()
    activity = _rows(demo_out / "reports" / "341600" / "附件8_金秋助学活动情况统计表.xlsx")
    assert activity[-1][0] == "合计" and {r[0] for r in activity[3:-1]} <= {"341602", "341621", "341622", "341623"}
    events = [json.loads(line)["data"] for line in (demo_out / "ledger.jsonl").read_text(encoding="utf-8").splitlines()]
    reversed_ = {e["reverses"] for e in events if e["kind"] == "reversal"}
    paid = sum(e["amount_fen"] for e in events if e["kind"] == "grant" and e["transfer_id"] not in reversed_)
    assert round(activity[-1][5] * 100) == paid
    subsidies = sum(e["amount_fen"] for e in events if e["kind"] == "subsidy" and e["transfer_id"] not in reversed_)
    # 附件9 for the province: Bozhou as the origin of every graduate, Hefei as the destination that accepted some
    season = generate(N, SEED)
    plan = employment_plan(season)
    employment = _rows(demo_out / "reports" / "340000" / "附件9_阳光就业暖心行动统计表.xlsx")
    column = {name: i for i, name in enumerate(employment[2])}
    rows = {r[0]: r for r in employment[3:]}
    assert rows["合计"][column["登记毕业生"]] == rows["341600"][column["登记毕业生"]] == len(season.graduate_ids)
    assert rows["341600"][column["转介至意向工作地"]] == sum(g.handed_off for g in plan.graduates) > 0
    assert rows[DESTINATION][column["作为意向工作地接收"]] == sum(g.accepted for g in plan.graduates) > 0
    assert round(rows["合计"][column["就业补贴金额（元，央财帮扶资金）"]] * 100) == subsidies == sum(
        fen for g in plan.graduates for _, _, fen in g.subsidies) > 0
    assert rows["合计"][column["举办招聘会（场）"]] == 2 and rows["合计"][column["落实去向人数"]] > 0
    # the city's stage report: 利辛县 did not send it by 08-29
    from openpyxl import load_workbook

    sent = list(load_workbook(demo_out / "reports" / "341600" / "阶段性情况报告.xlsx").worksheets[1]
                .iter_rows(values_only=True))
    stage_1 = {r[0]: r[4] for r in sent[3:] if r[3] == "2023-08-29"}
    assert stage_1["341623"] == "逾期" and stage_1["341602"] == "已报送"
    national = _rows(demo_out / "reports" / "341600" / "帮扶记录_341600.xlsx")
    assert len(national) - 3 == sum(1 for e in events if e["kind"] == "grant" and e["transfer_id"] not in reversed_)


def test_the_auditor_decides_every_grant_again_from_the_decisions_and_policies(demo_out, tmp_path):
    policies = str(Path(__file__).parents[2] / "services" / "verification" / "policies")
    evidence = ["--decisions", str(demo_out / "decisions.jsonl"), "--policies", policies,
                "--donations", str(demo_out / "donations.jsonl")]
    ok = subprocess.run([*JINQIU, "audit", "verify", str(demo_out / "ledger.jsonl"), *evidence],
                        capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout
    decisions = [json.loads(line) for line in (demo_out / "decisions.jsonl").read_text(encoding="utf-8").splitlines()]
    granted = {json.loads(line)["data"]["application_id"]
               for line in (demo_out / "ledger.jsonl").read_text(encoding="utf-8").splitlines()
               if json.loads(line)["data"]["kind"] == "grant"}
    capped = next(e for e in decisions if e["type"].endswith("verified.v2") and e["data"]["application_id"] in granted
                  and e["data"]["rule_id"].endswith("basic_education")  # tuition as invoiced, capped
                  and e["data"]["inputs"]["tuition_invoice_fen"] and e["data"]["amount_fen"])
    capped["data"]["inputs"]["tuition_invoice_fen"] = capped["data"]["amount_fen"] - 1  # the grant is now too large
    (tmp_path / "decisions.jsonl").write_text("\n".join(json.dumps(e, ensure_ascii=False) for e in decisions) + "\n",
                                              encoding="utf-8")
    evidence[1] = str(tmp_path / "decisions.jsonl")
    bad = subprocess.run([*JINQIU, "audit", "verify", str(demo_out / "ledger.jsonl"), *evidence],
                         capture_output=True, text=True)
    assert bad.returncode != 0 and "larger than its rule allows" in bad.stdout
