"""The union tree and who may act where: an org acts only within its own subtree. Pure."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path


@dataclass(frozen=True)
class Org:
    code: str
    name: str
    parent: str | None


class OrgTree:
    def __init__(self, orgs: list[Org]) -> None:
        self.orgs = {o.code: o for o in orgs}
        unknown = [o.code for o in orgs if o.parent is not None and o.parent not in self.orgs]
        if unknown:
            raise ValueError(f"orgs with unknown parents: {unknown}")

    def ancestors(self, code: str) -> list[str]:
        """`code` and every org above it, nearest first."""
        chain, seen = [], set()
        while code in self.orgs and code not in seen:
            chain.append(code)
            seen.add(code)
            code = self.orgs[code].parent
        return chain

    def may_act(self, actor: str, target: str) -> bool:
        return actor in self.ancestors(target)

    def on_one_line(self, a: str, b: str) -> bool:
        """One org lies within the other's subtree (either way): a union above or below."""
        return self.may_act(a, b) or self.may_act(b, a)

    def child_toward(self, top: str, code: str) -> str | None:
        """The org directly below `top` on the way down to `code` (`top` itself for `top`; None
        outside its subtree): the row a level sees for what happened below it."""
        chain = self.ancestors(code)
        if top not in chain:
            return None
        i = chain.index(top)
        return chain[i - 1] if i > 0 else top

    def root_of(self, code: str) -> str:
        return self.ancestors(code)[-1]

    def name(self, code: str) -> str:
        org = self.orgs.get(code)
        return org.name if org else code


def parse_tree(text: str) -> OrgTree:
    return OrgTree([Org(o["code"], o["name"], o["parent"]) for o in json.loads(text)["orgs"]])


@cache
def load_tree(path: str | None = None) -> OrgTree:
    if path:
        return parse_tree(Path(path).read_text(encoding="utf-8"))
    return parse_tree((resources.files("services.shared") / "data" / "unions.json").read_text(encoding="utf-8"))


def serves_graduate(on_line, org: str, origin: str, destination: str | None) -> bool:
    """阳光就业: a graduate's file is kept by the origin union's line (生源地) and, once it accepted
    the handoff, the destination union's line (意向工作地); by nobody else."""
    return on_line(org, origin) or bool(destination and on_line(org, destination))
