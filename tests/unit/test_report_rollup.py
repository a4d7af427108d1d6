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


def test_the_employment_rate_counts_only_the_policy_cohort():
    import io

    from openpyxl import load_workbook

    from services.reports.annexes import employment_statistics

    rows = [{"org_code": "341602", "status": "employed", "graduation_year": 2023, "graduates": 3},
            {"org_code": "341602", "status": "job_seeking", "graduation_year": 2022, "graduates": 1},
            {"org_code": "341602", "status": "employed", "graduation_year": 2024, "graduates": 4}]
    sheet = list(load_workbook(io.BytesIO(employment_statistics(rows, load_tree(), 2023, "341600", (2021, 2023))))
                 .active.iter_rows(values_only=True))
    header, county, total = sheet[2], sheet[3], sheet[-1]
    assert header[-3] == "帮扶对象（2021-2023届）" and sheet[0][0].startswith("附件9 2023年安徽省困难职工家庭")
    assert (county[2], county[-3], county[-2], county[-1]) == (8, 4, 3, 0.75)  # 2024 graduates: not in the rate
    assert total[0] == "合计" and total[-1] == 0.75 and sheet[1][0] == "填报单位：亳州市总工会"
