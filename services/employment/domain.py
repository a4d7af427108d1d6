"""Who is tracked as a graduate, and the graduate's 实名制档案 as a fold of its stream: registered,
profiled, handed to a destination union, recommended, supported, subsidised, progressing. Each
act checks who may do it and in which state. Pure."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from contracts.applications import ApplicationSubmitted, SchoolStage
from contracts.base import Event
from contracts.employment import (
    EmploymentProgressRecorded,
    EmploymentStage,
    GraduateHandedOff,
    GraduateProfiled,
    GraduateRecommended,
    GraduateRecorded,
    GraduateRegistered,
    HandoffAnswered,
    Post,
    SubsidyApproved,
    SubsidyRequested,
    SupportArranged,
)
from services.shared.errors import Refused
from services.shared.orgs import serves_graduate

COLLEGE_STAGES = {SchoolStage.HIGHER_VOCATIONAL, SchoolStage.UNDERGRADUATE, SchoolStage.POSTGRADUATE}
S = EmploymentStage
RANK = {S.ENROLMENT: 0, S.TRAINING: 1, S.INTERNSHIP: 2, S.JOB_SEEKING: 3, S.UNEMPLOYED: 3, S.INTERVIEW: 4,
        S.CONTRACT: 5, S.EMPLOYED: 6, S.FURTHER_STUDY: 6, S.GRASSROOTS: 6}
PLACED = frozenset({S.CONTRACT, S.EMPLOYED, S.FURTHER_STUDY, S.GRASSROOTS})
"""落实去向: signed, employed, in further study or in a grassroots programme."""

OnLine = Callable[[str, str], bool]


def graduate_from(app: ApplicationSubmitted, cohort: tuple[int, int] | None) -> GraduateRegistered | None:
    """College students with a graduation year enter the real-name employment archive (实名制档案)
    from enrolment on, unless they graduated before the policy's cohort (the seed: 2021-2023);
    aid paid for their employment (subsidies) is for the cohort only."""
    year = app.student.graduation_year
    if app.student.stage not in COLLEGE_STAGES or year is None:
        return None
    if cohort is not None and year < cohort[0]:
        return None
    return GraduateRegistered(
        graduate_id=app.student_key, application_id=app.application_id, origin_org=app.org_code,
        graduation_year=year, campaign_year=app.campaign_year, school=app.student.school, school_stage=app.student.stage, category=app.category,
    )


def advance(current: EmploymentStage, reported: EmploymentStage) -> EmploymentStage:
    """The furthest stage reached; a late report of an earlier stage does not move it back, a
    report of the same rank (未就业 after 求职, 升学 after 就业) replaces it."""
    return reported if RANK[reported] >= RANK[current] else current


@dataclass(frozen=True)
class Handoff:
    handoff_id: str
    to_org: str
    status: str  # pending, accepted, returned


@dataclass(frozen=True)
class Graduate:
    """A graduate's 实名制档案 as its stream has it; `version` is the stream's length."""

    registered: GraduateRegistered
    version: int = 1
    stage: EmploymentStage = EmploymentStage.ENROLMENT
    employer: str | None = None
    program: str | None = None
    profile: dict = field(default_factory=dict)
    handoff: Handoff | None = None
    recommended: tuple[str, ...] = ()  # "fair/post"
    supports: tuple[str, ...] = ()  # kinds
    subsidies: dict = field(default_factory=dict)  # kind → subsidy id
    history: tuple[dict, ...] = ()

    @classmethod
    def fold(cls, events: Iterable[Event]) -> Graduate:
        stream = iter(events)
        graduate = cls(registered=next(stream))
        for event in stream:
            graduate = graduate.apply(event)
        return graduate

    @property
    def destination(self) -> str | None:
        """The destination union once it accepted the graduate."""
        return self.handoff.to_org if self.handoff and self.handoff.status == "accepted" else None

    def responsible(self, org: str, on_line: OnLine) -> bool:
        """The origin union's line, or the accepting destination union's line."""
        return serves_graduate(on_line, org, self.registered.origin_org, self.destination)

    def _require_responsible(self, org: str, on_line: OnLine) -> None:
        if not self.responsible(org, on_line):
            where = self.registered.origin_org + (f"、意向工作地为{self.destination}" if self.destination else "")
            raise Refused("org_out_of_scope", f"{org}不是该毕业生的生源地工会或已接收的意向工作地工会"
                                              f"（生源地为{where}），无权记录")

    # --- the acts: each checks, then returns the graduate with the event applied -----------------

    def record(self, event: Event, on_line: OnLine, post: Post | None = None, cap_fen: int | None = None,
               cohort: tuple[int, int] | None = None) -> Graduate:
        """Apply a union's act, refused with a stable code when it is not theirs to do or not now."""
        match event:
            case GraduateHandedOff():
                if not on_line(event.org_code, self.registered.origin_org):
                    raise Refused("org_out_of_scope", f"只有生源地工会可以转介该毕业生（生源地为{self.registered.origin_org}）")
                if on_line(event.to_org, self.registered.origin_org):
                    raise Refused("handoff_within_line", "意向工作地工会与生源地工会属同一条线，无需转介")
                if self.handoff and self.handoff.status in ("pending", "accepted"):
                    raise Refused("handoff_open", f"该毕业生已转介至{self.handoff.to_org}，请等待对方答复或先退回")
            case HandoffAnswered():
                if not self.handoff or self.handoff.handoff_id != event.handoff_id or self.handoff.status != "pending":
                    raise Refused("handoff_not_open", f"转介{event.handoff_id}不存在或已答复")
                if not on_line(event.org_code, self.handoff.to_org):
                    raise Refused("org_out_of_scope", f"只有意向工作地工会（{self.handoff.to_org}）可以接收或退回该转介")
            case GraduateRecommended():
                self._require_responsible(event.org_code, on_line)
                if post is None:
                    raise Refused("post_not_found", f"招聘会{event.fair_id}没有岗位{event.post_id}")
                if f"{event.fair_id}/{event.post_id}" in self.recommended:
                    raise Refused("already_recommended", "已向该岗位推荐过该毕业生")
            case SubsidyRequested():
                self._require_responsible(event.org_code, on_line)
                year = self.registered.graduation_year
                if cohort is not None and not cohort[0] <= year <= cohort[1]:
                    raise Refused("outside_cohort", f"{year}届毕业生不在本年度阳光就业帮扶范围（{cohort[0]}-{cohort[1]}届）")
                if cap_fen is None:
                    raise Refused("subsidy_not_in_policy", f"本年度政策未设{event.kind.value}类就业补贴")
                if event.amount_fen > cap_fen:
                    raise Refused("subsidy_over_cap", f"补贴{event.amount_fen / 100:.2f}元超过政策上限{cap_fen / 100:.2f}元")
                if event.kind.value in self.subsidies:
                    raise Refused("subsidy_already_granted", f"该毕业生已获{event.kind.value}类补贴，不重复发放")
            case GraduateProfiled() | SupportArranged() | EmploymentProgressRecorded():
                self._require_responsible(event.org_code, on_line)
            case _:
                raise Refused("unexpected_event", f"{event.NAME}不是毕业生档案的记录")
        return self.apply(event)

    def approval(self, request: SubsidyRequested) -> SubsidyApproved:
        """The payment order disbursement acts on: central assistance funds of the paying union."""
        r = self.registered
        return SubsidyApproved(
            subsidy_id=request.subsidy_id, graduate_id=r.graduate_id, application_id=r.application_id,
            org_code=request.org_code, kind=request.kind, amount_fen=request.amount_fen,
            stage=r.school_stage or SchoolStage.UNDERGRADUATE, bank_card=request.bank_card)

    # --- the fold -----------------------------------------------------------------------------

    def apply(self, event: Event) -> Graduate:
        g = replace(self, version=self.version + 1)
        entry: dict = {"event": event.NAME, "by": getattr(event, "org_code", None)}
        match event:
            case EmploymentProgressRecorded():
                entry |= {"stage": event.stage.value, "on": event.recorded_on.isoformat(), "employer": event.employer}
                g = replace(g, stage=advance(self.stage, event.stage), employer=event.employer or self.employer,
                            program=event.program.value if event.program else self.program)
            case GraduateProfiled():
                profile = event.model_dump(mode="json", exclude={"graduate_id", "org_code", "recorded_by_user"})
                g = replace(g, profile=profile)
            case GraduateHandedOff():
                entry |= {"handoff_id": event.handoff_id, "to": event.to_org}
                g = replace(g, handoff=Handoff(event.handoff_id, event.to_org, "pending"))
            case HandoffAnswered():
                entry |= {"handoff_id": event.handoff_id, "accepted": event.accepted}
                g = replace(g, handoff=replace(self.handoff, status="accepted" if event.accepted else "returned"))
            case GraduateRecommended():
                entry |= {"fair_id": event.fair_id, "post_id": event.post_id}
                g = replace(g, recommended=(*self.recommended, f"{event.fair_id}/{event.post_id}"))
            case SupportArranged():
                entry |= {"kind": event.kind.value, "partner": event.partner}
                g = replace(g, supports=(*self.supports, event.kind.value))
            case SubsidyRequested():
                entry |= {"kind": event.kind.value, "amount_fen": event.amount_fen, "subsidy_id": event.subsidy_id}
                g = replace(g, subsidies={**self.subsidies, event.kind.value: event.subsidy_id})
            case SubsidyApproved() | GraduateRecorded():
                return g  # the payment order, the file as published: in the stream, not acts of their own
        return replace(g, history=(*self.history, entry))

    def recorded(self) -> GraduateRecorded:
        """The file as it now stands, published after each act accepted."""
        r, h = self.registered, self.handoff
        return GraduateRecorded(
            graduate_id=r.graduate_id, version=self.version, origin_org=r.origin_org,
            graduation_year=r.graduation_year, stage=self.stage, employer=self.employer, program=self.program,
            handoff_id=h.handoff_id if h else None, handoff_to=h.to_org if h else None, handoff_status=h.status if h else None,
            recommended=self.recommended, supports=self.supports, subsidies=tuple(self.subsidies),
            act=self.history[-1] if self.history else {})

    def projection(self) -> dict:
        r = self.registered
        return {"graduate_id": r.graduate_id, "application_id": r.application_id, "origin_org": r.origin_org,
                "graduation_year": r.graduation_year, "status": self.stage.value, "employer": self.employer,
                "program": self.program, "profile": self.profile, "destination_org": self.destination,
                "handoff": self.handoff.__dict__ if self.handoff else None,
                "recommendations": len(self.recommended), "supports": list(self.supports),
                "subsidies": self.subsidies, "history": list(self.history)}
