"""What each level sends up: the rows of its own subtree rolled up to the unions directly below
it (a city sees its counties, the province its cities). Pure."""

from __future__ import annotations

from collections.abc import Sequence

from services.shared.orgs import OrgTree

SERVICE_SUMS = ("handed_off", "received", "received_placed", "fairs", "posts", "recommendations", "internships",
                "trainings", "supported", "subsidies", "subsidy_fen")
ROLLED = {"demand": (("category",), ("applications", "late", "eligible", "provincial_fen", "other_fen")),
          "activity": (("category", "fund_source"), ("students", "amount_fen", "settled")),
          "employment": (("status", "graduation_year"), ("graduates",)),
          "services": ((), SERVICE_SUMS)}


def roll_up(name: str, rows: Sequence[dict], tree: OrgTree, top: str) -> list[dict]:
    """Rows of report `name`, each org replaced by the union below `top` it belongs to, summed."""
    keys, sums = ROLLED[name]
    totals: dict[tuple, dict] = {}
    for row in rows:
        org = tree.child_toward(top, row["org_code"])
        if org is None:
            continue
        key = (org, *(row[k] for k in keys))
        into = totals.setdefault(key, {"org_code": org, **{k: row[k] for k in keys}, **dict.fromkeys(sums, 0)})
        for field in sums:
            into[field] += row.get(field) or 0
    return [totals[k] for k in sorted(totals, key=lambda k: tuple(str(v) for v in k))]


def roll_up_all(rows: dict[str, Sequence[dict]], tree: OrgTree, top: str) -> dict[str, list[dict]]:
    return {name: roll_up(name, rows.get(name, []), tree, top) for name in ROLLED}
