"""Who said it, and may they: API tokens for HTTP; for events, the signer's key, the producers
allowed for the event's type (contracts/access.py) and the union tree."""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field

from contracts.access import PRODUCERS, UNION
from contracts.base import Event
from contracts.envelope import Envelope
from contracts.signing import sign, verify
from services.shared.errors import Refused
from services.shared.orgs import OrgTree, load_tree
from services.shared.settings import Settings, json_setting


class MisconfiguredAuthority(RuntimeError):
    """A service may not run without the keys (and, in production, the tokens) it needs."""


ROLES = {"clerk": "经办人", "reviewer": "审核人", "finance": "财务", "auditor": "审计"}


@dataclass(frozen=True)
class Principal:
    org: str
    user: str
    name: str = ""  # display name in the console
    role: str = "clerk"  # shown in the console; what a principal may do is decided by scope and the rules


@dataclass
class Authority:
    tree: OrgTree
    keys: dict[str, str]
    tokens: dict[str, Principal] = field(default_factory=dict)
    identity: str | None = None
    """The principal this process signs its own events as (a service's name)."""

    @classmethod
    def from_settings(cls, settings: Settings, identity: str | None = None, signs_as: tuple[str, ...] = ()) -> Authority:
        """Refuses to build without signing keys, or without a key for `identity` and each of
        `signs_as`; in production mode also without API tokens and broker credentials."""
        keys = json_setting(settings.signing_keys)
        if not keys:
            raise MisconfiguredAuthority("JINQIU_SIGNING_KEYS is not set: events could not be authenticated")
        missing = [name for name in (*([identity] if identity else []), *signs_as) if name not in keys]
        if missing:
            raise MisconfiguredAuthority(f"JINQIU_SIGNING_KEYS has no key for {', '.join(missing)}")
        tokens = {t: Principal(p["org"], p["user"], p.get("name", p["user"]), p.get("role", "clerk"))
                  for t, p in json_setting(settings.api_tokens).items()}
        if settings.production and not (tokens and settings.kafka_credentials):
            raise MisconfiguredAuthority("production mode needs JINQIU_API_TOKENS and JINQIU_KAFKA_CREDENTIALS")
        return cls(load_tree(settings.org_tree_file), keys, tokens, identity)

    def principal(self, token: str | None) -> Principal:
        principal = self.tokens.get(token or "")
        if principal is None:
            raise Refused("unauthenticated", "未提供有效的访问令牌")
        return principal

    def sign_in(self, user: str, token: str) -> Principal:
        """The console's sign-in: the staff account's user name and its API token as password."""
        found = next((p for t, p in self.tokens.items() if hmac.compare_digest(t.encode(), token.encode())), None)
        if found is None or found.user != user:
            raise Refused("sign_in_failed", "账号或口令不正确")
        return found

    def require_scope(self, actor: str, target: str) -> None:
        if not self.tree.may_act(actor, target):
            raise Refused("org_out_of_scope",
                          f"{self.tree.name(actor)}({actor})无权处理{self.tree.name(target)}({target})的业务")

    def seal(self, envelope: Envelope, signer: str | None = None) -> Envelope:
        """The envelope signed with `signer`'s key (by default this process's own identity)."""
        signer = signer or self.identity
        if signer is None:
            raise MisconfiguredAuthority("no identity to sign as")
        return sign(envelope, signer, self.keys[signer])

    def check_event(self, envelope: Envelope, event: Event) -> None:
        """Signed by a known principal, who may produce this type; a union signs only for itself
        and acts only within its subtree."""
        signer = envelope.signer or ""
        key = self.keys.get(signer)
        if key is None or not verify(envelope, key):
            raise Refused("signature_invalid", f"事件签名无效（签名方：{signer or '无'}）")
        allowed = PRODUCERS.get(type(event), frozenset())
        is_union = signer in self.tree.orgs
        if (UNION not in allowed) if is_union else (signer not in allowed):
            raise Refused("producer_not_allowed", f"{signer}无权发布{event.NAME}事件")
        if is_union and envelope.orgcode != signer:
            raise Refused("signature_invalid", f"{signer}不能以{envelope.orgcode}的名义发布事件")
        if event.ACTING_ORG_FIELD is not None:
            if envelope.orgcode is None:
                raise Refused("org_missing", "事件未注明发布单位")
            self.require_scope(envelope.orgcode, getattr(event, event.ACTING_ORG_FIELD))
