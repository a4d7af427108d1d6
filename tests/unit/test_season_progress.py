"""The harnesses' watching of a season: its pace follows the cost of counting, within bounds."""

from services.season.progress import pause_after


def test_watching_slows_with_the_cost_of_counting_but_never_stops_for_long():
    assert pause_after(0.001) == 0.25  # cheap counts: four times a second
    assert pause_after(0.05) == 1.0  # twenty times what the count took
    assert pause_after(3.0) == 2.0  # a count that waited on a lock (migrations) does not stall the marks
