"""The console in a real browser (Debian's Chromium driven by Playwright) against intake,
verification and disbursement on the real broker and PostgreSQL. Screenshots of each page go
to out/screenshots/."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.async_api import Page, async_playwright

from contracts.applications import DocumentKind
from contracts.funds import DonationReceived, DonorIntent
from contracts.households import HardshipFileOpened, HardshipKind, HouseholdCheckAuthorizationSigned
from deploy.ports import free_port
from services.intake.spreadsheet import HEADER_NAME
from services.season.samples import form_cells
from services.system import IntakeHttp
from tests.factories import application, bank_card, form, id_number, worker_id
from tests.integration.services import running
from tests.integration.test_disbursement import allocation
from tests.integration.test_verification import tick
from tests.kafka_helpers import as_union, eventually, ledger_chained, publish_events

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = Path("out/screenshots")
COUNTY, OTHER_COUNTY, CITY = "341602", "341621", "341600"

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Chromium is not installed (.ci/run installs it)")


@contextlib.asynccontextmanager
async def console(settings, *others: str) -> AsyncIterator[tuple[str, object]]:
    async with running(settings, "intake", *(others or ("verification", "disbursement"))) as (intake, *_):
        http = IntakeHttp(intake, "127.0.0.1", free_port())
        await http.start()
        try:
            async with async_playwright() as pw:
                browser = await pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
                try:
                    yield http.url, browser
                finally:
                    await browser.close()
        finally:
            await http.stop()


async def signed_in(browser, url: str, org: str) -> Page:
    page = await (await browser.new_context(viewport={"width": 1366, "height": 768})).new_page()
    await page.goto(f"{url}/login")
    await page.fill("#user", f"staff-{org}")
    await page.fill("#token", f"token-{org}")
    await page.click("button[type=submit]")
    return page


async def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


async def fill_application(page: Page, i: int, student_id: str, relative: bool = False) -> None:
    await page.select_option("#category", "archived_family")
    await page.select_option("#program", "enrolment_aid")
    await page.fill("#household_id", f"hh-{i}")
    await page.fill("[id='worker.name']", "王强")
    await page.fill("[id='worker.id_number']", worker_id(i))
    await page.fill("#bank_card", bank_card(i))
    await page.fill("[id='student.name']", "王小明")
    await page.fill("[id='student.id_number']", student_id)
    await page.select_option("[id='student.stage']", "senior_secondary")
    await page.fill("[id='student.school']", "亳州一中")
    await page.fill("#tuition_yuan", "1500")
    if relative:
        await page.check("input[name=relative_of_staff]")
    for kind in (k.value for k in DocumentKind):
        await page.set_input_files(f"[id='doc.{kind}']", files=[{"name": f"{kind}.pdf", "mimeType": "application/pdf",
                                                                 "buffer": f"{kind}-{i}".encode()}])


def registry(i: int, org: str = COUNTY) -> list:
    events = [HardshipFileOpened(household_id=f"hh-{i}", org_code=org, kind=HardshipKind.WORKER,
                                 worker_id_number=worker_id(i), opened_on=dt.date(2022, 5, 1)),
              HouseholdCheckAuthorizationSigned(household_id=f"hh-{i}", org_code=org, signed_on=dt.date(2023, 7, 20),
                                                signatory_id_numbers=(worker_id(i),))]
    return [(e, as_union(e)) for e in events]


async def test_sign_in_file_review_notice_object_and_funds(settings, db):
    async with console(settings) as (url, browser):
        donation = DonationReceived(donation_id="don-1", donor="亳州某企业", org_code=CITY, amount_fen=100_000,
                                    intent=DonorIntent(stages=("undergraduate",), per_student_cap_fen=50_000))
        await publish_events(settings, registry(1) + registry(2) + tick(14) + [(a, as_union(a)) for a in
                                                                                [allocation(10_000_000), donation]])
        await eventually(lambda: db.fetchval("SELECT count(*) FROM verification.authorizations"), lambda n: n == 2)

        # sign-in: a wrong password is refused in Chinese; then in
        page = await (await browser.new_context()).new_page()
        await page.goto(f"{url}/review")
        assert page.url.endswith("/login")
        await page.fill("#user", f"staff-{COUNTY}")
        await page.fill("#token", "wrong")
        await page.click("button[type=submit]")
        assert "账号或口令不正确" in await page.inner_text("[role=alert]")
        await shot(page, "01-login")
        county = await signed_in(browser, url, COUNTY)
        assert "staff-341602" in await county.inner_text("header")

        # 申报: a bad ID number is named next to its field; corrected, it is filed
        await county.goto(f"{url}/apply")
        await fill_application(county, 1, id_number("341602", "20070301", 1)[:-1] + "X")
        await county.click("#submit")
        error = county.locator("[data-field='student.id_number']")
        assert "身份证" in await error.inner_text()
        await shot(county, "02-apply-error")
        await county.fill("[id='student.id_number']", id_number("341602", "20070301", 1))
        await county.click("#submit")
        assert "/applications/" in county.url
        first = county.url.split("/applications/")[1].split("?")[0]
        await eventually(lambda: _status(county, url, first), lambda s: s == "公示中")
        await shot(county, "03-case-in-notice")

        # a relative of staff: the filer sees no decide button; the city does
        await county.goto(f"{url}/apply")
        await fill_application(county, 2, id_number("341602", "20070302", 2), relative=True)
        await county.click("#submit")
        relative = county.url.split("/applications/")[1].split("?")[0]
        await eventually(lambda: _status(county, url, relative), lambda s: s == "待人工审核")
        assert await county.locator("#filer-note").count() == 1
        assert await county.locator("button:has-text('通过')").count() == 0
        city = await signed_in(browser, url, CITY)
        await city.goto(f"{url}/review")
        assert relative[:8] in await city.inner_text("#queue")
        await shot(city, "04-review-queue")
        await city.goto(f"{url}/applications/{relative}")
        await city.click("button:has-text('通过')")
        await eventually(lambda: _status(city, url, relative), lambda s: s == "公示中")

        # another county neither sees nor opens the case
        other = await signed_in(browser, url, OTHER_COUNTY)
        await other.goto(f"{url}/review")
        assert relative[:8] not in await other.content()
        response = await other.goto(f"{url}/applications/{first}")
        assert response.status == 403 and "无权" in await other.inner_text("[role=alert]")

        # 公示: masked, and an objection from the public board reaches the city's queue
        public = await (await browser.new_context()).new_page()
        await public.goto(f"{url}/notice/{CITY}")
        board = await public.inner_text("#notice")
        assert "王*明" in board and "341602********" in board and id_number("341602", "20070301", 1) not in board
        assert bank_card(1) not in await public.content()
        await shot(public, "05-notice-board")
        row = public.locator("tr", has_text="2007").first
        await public.locator(f"form:has(input[value='{first}']) input[name=summary]").fill("家庭收入情况不实")
        await public.locator(f"form:has(input[value='{first}']) button").click()
        assert "已登记" in await public.inner_text("[role=status]")
        assert row is not None
        await eventually(lambda: _queue(city, url), lambda text: first[:8] in text)
        await city.goto(f"{url}/applications/{first}")
        await city.click("button:has-text('异议不属实')")
        await publish_events(settings, tick(28))
        await eventually(lambda: _status(city, url, first), lambda s: s == "已发放")

        # 资金: the page's balances are the ledger's
        await ledger_chained(db)
        await eventually(lambda: db.fetchval("SELECT count(*) FROM intake.ledger_view"), lambda n: n >= 3)
        await city.goto(f"{url}/funds")
        await shot(city, "06-funds")
        shown = {await r.locator("td").first.inner_text(): int(await r.locator("td[data-fen]").get_attribute("data-fen"))
                 for r in await city.locator("#balances tr:has(td)").all()}
        ledger = {r["account"]: r["balance"] for r in await db.fetch(
            "SELECT account, credits_fen - debits_fen AS balance FROM disbursement.accounts WHERE account LIKE 'fund:%'")}
        assert shown == ledger and shown
        paid = {await r.locator("td").first.inner_text(): int(await r.locator("td[data-fen]").get_attribute("data-fen"))
                for r in await city.locator("#payments tr:has(td)").all()}
        live_grants = await db.fetchval(
            "SELECT sum(amount_fen) FROM disbursement.ledger_entries g WHERE kind = 'grant' AND NOT EXISTS "
            "(SELECT 1 FROM disbursement.ledger_entries r WHERE r.reverses = g.transfer_id)")
        assert sum(paid.values()) == live_grants > 0 and set(paid) <= {"已发放", "已到账", "已重新发放"}
        donations = await city.inner_text("#donations")
        assert "亳州某企业" in donations and "本科" in donations and "500.00" in donations
        await county.goto(f"{url}/funds")  # the city's donation is not a county's to see
        assert "don-1" not in await county.inner_text("#balances")
        assert (await county.goto(f"{url}/ledger?account=fund:donation:don-1")).status == 403
        await city.click("#balances a >> nth=0")
        assert "allocation" in await city.inner_text("#entries")
        await shot(city, "09-ledger-entries")
        await city.goto(f"{url}/reports")
        await shot(city, "10-reports")
        async with city.expect_download() as download:
            await city.click("a:has-text('附件8')")
        sheet = load_workbook(io.BytesIO(Path(await (await download.value).path()).read_bytes())).active
        rows = list(sheet.iter_rows(values_only=True))
        paid = await db.fetchval("SELECT count(*) FROM intake.applications WHERE status IN ('paid', 'settled')")
        assert rows[0][0].startswith("附件8") and rows[-1][0] == "合计" and rows[-1][4] == paid > 0
        await city.goto(f"{url}/calendar")
        assert "2023-08-28" in await city.inner_text("#today") and "受理中" not in await city.inner_text("#filing")
        assert "已过" in await city.inner_text("#deadlines") and "未到" in await city.inner_text("#deadlines")
        await shot(city, "14-calendar")
        await city.goto(f"{url}/employment")
        assert "阳光就业" in await city.inner_text("h1")
        await shot(city, "11-employment")
        await city.click("#logout")
        assert city.url.endswith("/login")
        await city.goto(f"{url}/funds")
        assert city.url.endswith("/login")


async def test_a_spreadsheet_with_bad_rows_and_a_workers_self_service_filing(settings, db, tmp_path):
    async with console(settings) as (url, browser):
        county = await signed_in(browser, url, COUNTY)
        sheet = tmp_path / "county.csv"
        sheet.write_bytes(county_sheet([form_cells(form(11)), {**form_cells(form(12)), "bank_card": "123"},
                                        form_cells(form(13))]))
        await county.goto(f"{url}/imports")
        await county.set_input_files("input[name=file]", str(sheet))
        await county.click("#upload")
        assert "退回1行" in await county.inner_text("#summary")
        assert "银行卡" in await county.inner_text("#row-errors")
        await shot(county, "07-import-errors")
        async with county.expect_download() as download:
            await county.click("#errors-xlsx")
        assert (await download.value).suggested_filename.endswith(".xlsx")

        worker = await (await browser.new_context(viewport={"width": 390, "height": 844})).new_page()
        await worker.goto(f"{url}/self")
        await worker.select_option("#org_code", COUNTY)
        await fill_application(worker, 7, id_number("341602", "20070307", 7))
        await worker.click("#submit")
        reference = await worker.inner_text("#reference")
        await shot(worker, "08-self-service-done")
        await worker.goto(f"{url}/self/status?reference={reference}&id_number={id_number('341602', '20070307', 7)}")
        assert "待核实" in await worker.inner_text("#result")
        await shot(worker, "12-self-service-status")
        await worker.goto(f"{url}/self/status?reference={reference}&id_number={id_number('341602', '20070308', 8)}")
        assert "不正确" in await worker.inner_text("#result")

        await county.goto(f"{url}/confirmations")
        assert reference in await county.inner_text("#pending")
        await shot(county, "13-confirmations")
        await county.locator("tr", has_text=reference).locator("button").click()
        assert "/applications/" in county.url
        await worker.goto(f"{url}/self/status?reference={reference}&id_number={id_number('341602', '20070307', 7)}")
        assert "已受理" in await worker.inner_text("#result")


def county_sheet(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([HEADER_NAME[f] for f in rows[0]])
    writer.writerows([list(r.values()) for r in rows])
    return out.getvalue().encode()


async def _status(page: Page, url: str, application_id: str) -> str:
    await page.goto(f"{url}/applications/{application_id}")
    return await page.inner_text("#status")


async def _queue(page: Page, url: str) -> str:
    await page.goto(f"{url}/review")
    return await page.inner_text("main")


async def test_a_destination_union_accepts_a_handoff_and_the_city_sees_a_late_report(settings, db):
    hefei = "340100"
    graduate = application(31, student={"stage": "undergraduate", "graduation_year": 2023, "school": "安徽大学"})
    async with console(settings, "employment") as (url, browser):
        await publish_events(settings, [*tick(27), (graduate, as_union(graduate))])
        await eventually(lambda: db.fetchval("SELECT count(*) FROM intake.graduates_view"), lambda n: n == 1)
        county = await signed_in(browser, url, COUNTY)
        handed = await county.request.post(f"{url}/v1/graduates/{graduate.student_key}/handoffs",
                                           data={"to_org": hefei}, headers={"Authorization": f"Bearer token-{COUNTY}"})
        assert handed.status == 201
        await eventually(lambda: db.fetchval("SELECT handoff_status FROM intake.graduates_view"), lambda s: s == "pending")
        destination = await signed_in(browser, url, hefei)
        await destination.goto(f"{url}/employment")
        assert "待接收" in await destination.inner_text("#graduates")
        await shot(destination, "15-handoff-offered")
        await destination.click("#graduates button:has-text('接收')")
        assert "已答复转介" in await destination.inner_text("#done")
        await eventually(lambda: db.fetchval("SELECT handoff_status FROM intake.graduates_view"),
                         lambda s: s == "accepted")
        await destination.goto(f"{url}/employment")
        assert "已接收" in await destination.inner_text("#graduates")
        await county.goto(f"{url}/calendar")
        await county.click("#deadlines tr:has-text('08-29') button")  # the county sends its stage report on 08-27
        await eventually(lambda: db.fetchval("SELECT count(*) FROM intake.report_submissions"), lambda n: n == 1)
        await publish_events(settings, tick(30))
        await eventually(lambda: db.fetchval("SELECT today::text FROM intake.campaign_clock"),
                         lambda d: d == "2023-08-30")
        city = await signed_in(browser, url, CITY)
        await city.goto(f"{url}/calendar")
        below = await city.inner_text("#below")
        assert "341602 谯城区总工会\t活动阶段性情况报告报送市总帮扶中心\t2023-08-29\t已报送\t2023-08-27" in below
        assert "341621 涡阳县总工会\t活动阶段性情况报告报送市总帮扶中心\t2023-08-29\t逾期" in below
        await shot(city, "16-calendar-overdue")
