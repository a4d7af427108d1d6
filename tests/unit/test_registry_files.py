"""A union's fund and registry files: a bad amount is a row problem, never a crash."""

from services.season.registry_files import read_registry_file

HEADER = "拨款编号,资金来源,拨出单位,拨入单位,金额（元）,年度\n"


def test_a_non_numeric_or_absurd_amount_is_a_row_problem(tmp_path):
    (tmp_path / "funds.csv").write_text(HEADER + "a1,省总,340000,341602,1000.50,2023\n"
                                        "a2,省总,340000,341602,一千,2023\n"
                                        "a3,省总,340000,341602,NaN,2023\n"
                                        "a4,省总,340000,341602,1E+30,2023\n", encoding="utf-8")
    events, problems = read_registry_file(tmp_path / "funds.csv")
    assert [e.amount_fen for e in events] == [100_050]
    assert [(p.row, p.message.split(":")[0]) for p in problems] == [(3, "invalid_amount"), (4, "invalid_amount"),
                                                                    (5, "invalid_amount")]


def test_an_unreadable_file_is_one_problem(tmp_path):
    (tmp_path / "funds.xlsx").write_bytes(b"not a workbook")
    events, problems = read_registry_file(tmp_path / "funds.xlsx")
    assert events == [] and problems[0].message.startswith("unreadable_file")
