"""Who said it, and may they: API tokens for HTTP, signatures and the union tree for events."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from contracts.base import Event
from contracts.envelope import Envelope
from contracts.signing import sign, verify
from services.shared.errors import Refused
from services.shared.orgs import OrgTree, load_tree
from services.shared.settings import Settings


@dataclass(frozen=True)
class Principal:
    org: str
    user: str


def _json_setting(value: str | None) -> dict:
    if not value:
        return {}
    return json.loads(value if value.lstrip().startswith("{") else Path(value).read_text(encoding="utf-8"))


@dataclass
class Authority:
    tree: OrgTree
    tokens: dict[str, Principal] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Settings) -> Authority:
        tokens = {t: Principal(p["org"], p["user"]) for t, p in _json_setting(settings.api_tokens).items()}
        return cls(load_tree(settings.org_tree_file), tokens, _json_setting(settings.signing_keys))

    def principal(self, token: str | None) -> Principal:
        principal = self.tokens.get(token or "")
        if principal is None:
            raise Refused("unauthenticated", "未提供有效的访问令牌")
        return principal

    def require_scope(self, actor: str, target: str) -> None:
        if not self.tree.may_act(actor, target):
            raise Refused("org_out_of_scope",
                          f"{self.tree.name(actor)}({actor})无权处理{self.tree.name(target)}({target})的业务")

    def check_event(self, envelope: Envelope, event: Event) -> None:
        """Events that union levels publish must be signed (when keys are configured) by an org
        whose subtree holds the org they act on."""
        if event.ACTING_ORG_FIELD is None:
            return
        actor = envelope.orgcode
        if actor is None:
            raise Refused("org_missing", "事件未注明发布单位")
        if self.keys:
            key = self.keys.get(actor)
            if key is None or not verify(envelope, key):
                raise Refused("signature_invalid", f"{actor}的事件签名无效")
        self.require_scope(actor, getattr(event, event.ACTING_ORG_FIELD))

    def sign_as(self, envelope: Envelope) -> Envelope:
        key = self.keys.get(envelope.orgcode or "")
        return sign(envelope, key) if key else envelope
