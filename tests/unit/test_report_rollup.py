"""What each level sends up: its subtree rolled up to the unions directly below it."""

from services.reports.rollup import roll_up
from services.shared.orgs import load_tree


def test_a_city_sees_its_counties_and_the_province_its_cities():
    tree = load_tree()
    rows = [{"org_code": "341602", "category": "other", "applications": 2, "eligible": 1, "provincial_fen": 100,
             "other_fen": 0},
            {"org_code": "341621", "category": "other", "applications": 3, "eligible": 3, "provincial_fen": 0,
             "other_fen": 50},
            {"org_code": "341600", "category": "other", "applications": 1, "eligible": 1, "provincial_fen": 0,
             "other_fen": 7},
            {"org_code": "610200", "category": "other", "applications": 9, "eligible": 9, "provincial_fen": 9,
             "other_fen": 9}]
    city = roll_up("demand", rows, tree, "341600")
    assert [(r["org_code"], r["applications"]) for r in city] == [("341600", 1), ("341602", 2), ("341621", 3)]
    (bozhou,) = [r for r in roll_up("demand", rows, tree, "340000") if r["org_code"] == "341600"]
    assert (bozhou["applications"], bozhou["eligible"], bozhou["provincial_fen"], bozhou["other_fen"]) == (6, 5, 100, 57)
    assert all(r["org_code"] != "610200" for r in roll_up("demand", rows, tree, "340000"))
    assert tree.child_toward("340000", "341602") == "341600" and tree.child_toward("341602", "341602") == "341602"
    assert tree.child_toward("341602", "341600") is None


def _sheet(content: bytes, index: int = 0) -> list[tuple]:
    import io

    from openpyxl import load_workbook

    return list(load_workbook(io.BytesIO(content)).worksheets[index].iter_rows(values_only=True))


def test_the_employment_rate_counts_only_the_policy_cohort_and_each_union_shows_what_it_did():
    from services.reports.annexes import employment_statistics

    employment = [{"org_code": "341602", "status": "employed", "graduation_year": 2023, "graduates": 3},
                  {"org_code": "341602", "status": "job_seeking", "graduation_year": 2022, "graduates": 1},
                  {"org_code": "341602", "status": "grassroots", "graduation_year": 2021, "graduates": 1},
                  {"org_code": "341602", "status": "employed", "graduation_year": 2024, "graduates": 4}]
    services = [{"org_code": "341602", "handed_off": 2, "received": 0, "received_placed": 0, "fairs": 1, "posts": 30,
                 "recommendations": 5, "internships": 1, "trainings": 2, "supported": 1, "subsidies": 2,
                 "subsidy_fen": 250_050},
                {"org_code": "341621", "handed_off": 0, "received": 1, "received_placed": 1, "fairs": 0, "posts": 0,
                 "recommendations": 1, "internships": 0, "trainings": 0, "supported": 0, "subsidies": 0,
                 "subsidy_fen": 0}]
    sheet = _sheet(employment_statistics({"employment": employment, "services": services}, load_tree(), 2023,
                                         "341600", cohort=(2021, 2023)))
    header, county, receiving, total = sheet[2], sheet[3], sheet[4], sheet[-1]
    column = {name: i for i, name in enumerate(header)}
    assert sheet[0][0].startswith("附件9 2023年安徽省困难职工家庭") and sheet[1][0] == "填报单位：亳州市总工会"
    assert (county[column["登记毕业生"]], county[column["帮扶对象（2021-2023届）"]], county[column["其中落实去向"]],
            county[column["就业率"]]) == (9, 5, 4, 0.8)  # 2024 graduates: not in the rate; 基层项目 counts as placed
    assert (county[column["基层项目"]], county[column["转介至意向工作地"]], county[column["提供岗位（个）"]],
            county[column["就业补贴金额（元，央财帮扶资金）"]]) == (1, 2, 30, 2500.5)
    assert (receiving[0], receiving[column["登记毕业生"]], receiving[column["作为意向工作地接收"]],
            receiving[column["接收后落实去向"]]) == ("341621", 0, 1, 1)
    assert total[0] == "合计" and total[column["就业率"]] == 0.8 and total[column["岗位推荐（人次）"]] == 6


def test_the_stage_report_sums_both_halves_and_lists_what_the_unions_below_sent():
    from services.reports.annexes import stage_report

    rows = {"demand": [{"org_code": "341602", "category": "other", "applications": 4, "late": 1, "eligible": 3,
                        "provincial_fen": 0, "other_fen": 0}],
            "activity": [{"org_code": "341602", "category": "other", "fund_source": "provincial", "students": 3,
                          "amount_fen": 300_000, "settled": 2}],
            "employment": [{"org_code": "341602", "status": "contract", "graduation_year": 2023, "graduates": 2}],
            "services": []}
    deadlines = [{"org_code": "341602", "name": "活动阶段性情况报告报送市总帮扶中心", "due": "2023-08-29",
                  "status": "逾期", "submitted_on": None}]
    content = stage_report(rows, load_tree(), 2023, "341600", as_of="2023-08-30", deadlines=deadlines)
    main, sent = _sheet(content), _sheet(content, 1)
    assert main[0][0] == "2023年安徽省工会金秋助学和阳光就业活动阶段性情况报告（截至2023-08-30）"
    assert main[3][:10] == ("341602", "谯城区总工会", 4, 1, 3, 3, 3000.0, 2, 2, 2)
    assert sent[3] == ("341602", "谯城区总工会", "活动阶段性情况报告报送市总帮扶中心", "2023-08-29", "逾期", None)


def test_a_report_not_sent_by_its_due_date_is_overdue():
    import datetime as dt

    from services.reports.deadlines import OVERDUE, SENT, SENT_LATE, deadline_status
    from services.shared.policy import load_policy

    policy = load_policy("anhui-2023")
    sent = {("341602", "stage_report_1"): dt.date(2023, 8, 29), ("341621", "stage_report_1"): dt.date(2023, 8, 30)}
    rows = deadline_status(policy, ["341602", "341621", "341622"], sent, dt.date(2023, 8, 30))
    stage = {r["org_code"]: r["status"] for r in rows if r["deadline"] == "stage_report_1"}
    assert stage == {"341602": SENT, "341621": SENT_LATE, "341622": OVERDUE}
    final = {r["org_code"]: r["status"] for r in rows if r["deadline"] == "final_report"}
    assert set(final.values()) == {"未到期"}
    assert {r["status"] for r in deadline_status(policy, ["341622"], {}, dt.date(2023, 8, 29))
            if r["deadline"] == "stage_report_1"} == {"今日截止"}


def test_every_report_is_rolled_up_even_one_with_no_rows():
    from services.reports.rollup import ROLLED, roll_up_all

    tree = load_tree()
    rows = {"employment": [
        {"org_code": "610200", "status": "employed", "graduation_year": 2023, "graduates": 5},  # another province
        {"org_code": "341621", "status": "employed", "graduation_year": None, "graduates": 1},
        {"org_code": "341602", "status": "employed", "graduation_year": 2023, "graduates": 2},
        {"org_code": "341621", "status": "employed", "graduation_year": 2023, "graduates": 4}]}
    rolled = roll_up_all(rows, tree, "340000")
    assert set(rolled) == set(ROLLED) and rolled["demand"] == rolled["activity"] == rolled["services"] == []
    assert rolled["employment"] == [  # a year not given sorts after the years, not as an error
        {"org_code": "341600", "status": "employed", "graduation_year": 2023, "graduates": 6},
        {"org_code": "341600", "status": "employed", "graduation_year": None, "graduates": 1}]
    assert roll_up_all(rows, tree, "341600")["employment"] == [
        {"org_code": "341602", "status": "employed", "graduation_year": 2023, "graduates": 2},
        {"org_code": "341621", "status": "employed", "graduation_year": 2023, "graduates": 4},
        {"org_code": "341621", "status": "employed", "graduation_year": None, "graduates": 1}]


def test_each_deadline_row_names_the_report_its_due_date_and_when_it_was_sent():
    import datetime as dt

    from services.reports.deadlines import children, deadline_status
    from services.shared.policy import load_policy

    tree = load_tree()
    assert children(tree, "341600") == ["341602", "341621", "341622", "341623", "341671", "341672", "341699"]
    sent = {("341602", "stage_report_1"): dt.date(2023, 8, 29)}
    rows = deadline_status(load_policy("anhui-2023"), ["341602"], sent, dt.date(2023, 8, 30))
    assert rows == [
        {"org_code": "341602", "deadline": "archive_and_demand", "due": "2023-07-14", "status": "逾期",
         "name": "建立助学档案和就业援助实名制档案，上报金秋助学资金需求情况汇总表（附件7）", "submitted_on": None},
        {"org_code": "341602", "deadline": "stage_report_1", "name": "活动阶段性情况报告报送市总帮扶中心",
         "due": "2023-08-29", "status": "已报送", "submitted_on": "2023-08-29"},
        {"org_code": "341602", "deadline": "final_report", "name": "活动总结报送市总帮扶中心", "due": "2023-11-28",
         "status": "未到期", "submitted_on": None}]
