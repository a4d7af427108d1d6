"""Generates a seeded synthetic season: funds, hardship files, authorizations, applications,
bank outcomes and graduates' progress. Pure and deterministic for a given seed."""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from collections import defaultdict
from dataclasses import dataclass, field

from stdnum import luhn
from stdnum.cn import ric

from contracts.applications import Category, DocumentKind, Program, SchoolStage
from contracts.base import Event
from contracts.funds import DonationReceived, DonorIntent, FundAllocated, FundSource
from contracts.households import (
    GigWorkerRegistered,
    HardshipFileClosed,
    HardshipFileOpened,
    HardshipKind,
    HouseholdCheckAuthorizationSigned,
    WarmthVisitRecorded,
    WorkerKind,
)
from services.intake.personal_data import student_key

PROVINCE, CITY = "340000", "341600"
COUNTIES = {"341602": "谯城区", "341621": "涡阳县", "341622": "蒙城县", "341623": "利辛县"}
# Parents were born before these codes existed (2000): their IDs carry the old 阜阳地区 codes.
BIRTH_REGION_BEFORE_2000 = {"341602": "342126", "341621": "342124", "341622": "342125", "341623": "342123"}
SHORT_COUNTY = "341623"  # 利辛县 is allocated less than it needs: some grants wait for funds
YEAR = 2023
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红娥玲芬燕彬鑫宇浩然子涵梓萱一诺欣怡"
BASIC = [SchoolStage.PRIMARY, SchoolStage.JUNIOR_SECONDARY, SchoolStage.SENIOR_SECONDARY,
         SchoolStage.SECONDARY_VOCATIONAL, SchoolStage.PRESCHOOL]
COLLEGE = [SchoolStage.HIGHER_VOCATIONAL, SchoolStage.UNDERGRADUATE]
BIRTH_YEAR = {SchoolStage.PRESCHOOL: 2018, SchoolStage.PRIMARY: 2013, SchoolStage.JUNIOR_SECONDARY: 2009,
              SchoolStage.SENIOR_SECONDARY: 2006, SchoolStage.SECONDARY_VOCATIONAL: 2006,
              SchoolStage.HIGHER_VOCATIONAL: 2003, SchoolStage.UNDERGRADUATE: 2003,
              SchoolStage.SPECIAL_EDUCATION: 2010}


@dataclass
class Season:
    registry: list[Event] = field(default_factory=list)
    funds: list[Event] = field(default_factory=list)
    applications: list[dict] = field(default_factory=list)
    mistyped: list[dict] = field(default_factory=list)  # forms intake must refuse (HTTP 422)
    refiled_by_city: list[dict] = field(default_factory=list)  # the same students again: duplicate_of
    relatives: dict[str, str] = field(default_factory=dict)  # submission id → the city's review outcome
    objections: dict[str, str] = field(default_factory=dict)  # submission id → objection outcome
    failing_cards: set[str] = field(default_factory=set)
    expected_rejections: int = 0
    graduates: dict[str, tuple[str, int, str]] = field(default_factory=dict)
    """graduate id → (origin county, graduation year, the student's ID number)"""

    @property
    def graduate_ids(self) -> list[str]:
        return list(self.graduates)


class _People:
    def __init__(self, rng: random.Random) -> None:
        self.rng, self.serial = rng, 0
        self.issued: set[str] = set()

    def name(self) -> str:
        return self.rng.choice(SURNAMES) + "".join(self.rng.choices(GIVEN, k=self.rng.choice((1, 2))))

    def id_number(self, region: str, birth_year: int) -> str:
        """A valid number not issued before in this season (a large season would otherwise give
        two people one number, and the second student would be a duplicate)."""
        while True:
            self.serial += 1
            born = dt.date(birth_year, 1, 1) + dt.timedelta(days=self.rng.randrange(365))
            body = f"{region}{born:%Y%m%d}{self.serial % 1000:03d}"
            number = body + ric.calc_check_digit(body + "0")  # stdnum expects a placeholder check digit
            if number not in self.issued:
                self.issued.add(number)
                return number

    def bank_card(self) -> str:
        body = "622848" + "".join(self.rng.choices("0123456789", k=12))
        return body + luhn.calc_check_digit(body)

    def phone(self) -> str:
        return "1" + self.rng.choice("3578") + "".join(self.rng.choices("0123456789", k=9))


def generate(n: int, seed: int = 2023) -> Season:
    rng = random.Random(seed)
    people, season = _People(rng), Season()
    need: dict[tuple[str, str], int] = defaultdict(int)
    for i in range(n):
        org = rng.choice(list(COUNTIES))
        roll = rng.random()
        household = f"{org}-{YEAR}-{i:05d}"
        worker_id = people.id_number(BIRTH_REGION_BEFORE_2000[org], rng.randint(1970, 1985))
        category, stage, tuition = Category.ARCHIVED_FAMILY, rng.choice(BASIC), rng.randrange(60_000, 350_001, 100)
        opened, authorized, closed, rejected = True, True, False, False
        program = None
        if roll < 0.02:  # a 2021-2023 graduate of a hardship family, for 阳光就业
            category, stage, opened, program = Category.GRADUATE, rng.choice(COLLEGE), False, Program.SUNSHINE_EMPLOYMENT
        elif roll < 0.25:
            stage = rng.choice(COLLEGE)
        elif roll < 0.35:
            category, stage, opened = rng.choice([Category.GIG_OR_MIGRANT, Category.WARMTH_VISITED]), rng.choice(COLLEGE), False
        elif roll < 0.37:
            category, stage = Category.OTHER, SchoolStage.SPECIAL_EDUCATION
        elif roll < 0.42:
            opened, rejected = False, True  # filed as archived, but no hardship file anywhere
        elif roll < 0.45:
            closed, rejected = True, True  # the family left hardship (脱困) before applying
        elif roll < 0.50:
            authorized, rejected = False, True  # 附件5 never signed
        elif roll < 0.51:
            tuition, rejected = 0, True  # no tuition invoice for a basic-education grant
        new_entrant = rng.random() < 0.4
        student = {
            "name": people.name(), "id_number": people.id_number(org, BIRTH_YEAR[stage]),
            "stage": stage.value, "school": rng.choice(["亳州一中", "蒙城二中", "亳州职业技术学院", "安徽大学", "合肥工业大学"]),
            "new_entrant": new_entrant,
            "graduation_year": (YEAR - rng.randint(0, 2) if program else YEAR + rng.randint(0, 3))
            if stage in COLLEGE else None,
        }
        card = people.bank_card()
        app = {
            "submission_id": f"{org}-{i:06d}", "org_code": org, "campaign_year": YEAR,
            "household_id": household, "category": category.value,
            "program": (program or (Program.DREAM_PLAN if stage in COLLEGE and not new_entrant
                                    else Program.ENROLMENT_AID)).value,
            "worker": {"name": people.name(), "id_number": worker_id}, "student": student,
            "tuition_invoice_fen": tuition, "bank_card": card, "phone": people.phone(),
            "documents": _documents(app_no=i), "relative_of_staff": False,
        }
        season.applications.append(app)
        if category == Category.WARMTH_VISITED:
            season.registry.append(WarmthVisitRecorded(household_id=household, org_code=org,
                                                       visited_on=dt.date(YEAR, 1, 15), worker_id_number=worker_id))
        if category == Category.GIG_OR_MIGRANT:
            season.registry.append(GigWorkerRegistered(household_id=household, org_code=org,
                                                       registered_on=dt.date(2022, 11, 1), worker_id_number=worker_id,
                                                       worker_kind=rng.choice(list(WorkerKind))))
        if rng.random() < 0.01:
            season.refiled_by_city.append({**app, "submission_id": f"{CITY}-refile-{i:06d}"})
            season.expected_rejections += 1
        if not rejected and program is None and rng.random() < 0.006:
            app["relative_of_staff"] = True
            outcome = "approve" if len(season.relatives) % 2 == 0 else "reject"
            season.relatives[app["submission_id"]] = outcome
            rejected = outcome == "reject"
        elif not rejected and program is None and len(season.objections) < 2 and rng.random() < 0.05:
            outcome = "upheld" if not season.objections else "dismissed"
            season.objections[app["submission_id"]] = outcome
            rejected = outcome == "upheld"
        if rng.random() < 0.01:
            typo = student["id_number"][:-1] + ("0" if student["id_number"][-1] != "0" else "1")
            season.mistyped.append({**app, "submission_id": app["submission_id"] + "-typo",
                                    "student": {**student, "id_number": typo}})
        kind = rng.choice(list(HardshipKind))
        if opened:
            season.registry.append(HardshipFileOpened(household_id=household, org_code=org, kind=kind,
                                                      worker_id_number=worker_id, opened_on=dt.date(2022, rng.randint(1, 12), 1)))
        if closed:
            season.registry.append(HardshipFileClosed(household_id=household, org_code=org,
                                                      closed_on=dt.date(YEAR, 6, 30), reason="脱困"))
        if authorized:
            season.registry.append(HouseholdCheckAuthorizationSigned(
                household_id=household, org_code=org, signed_on=dt.date(YEAR, 7, rng.randint(14, 31)),
                signatory_id_numbers=(worker_id, student["id_number"])))
        season.expected_rejections += rejected
        if not rejected and program is None:
            if rng.random() < 0.01:
                season.failing_cards.add(card)
            source = "provincial" if category != Category.ARCHIVED_FAMILY else "central"
            amount = min(tuition, 200_000) if stage in BASIC else (300_000 if new_entrant else 200_000)
            if stage == SchoolStage.SPECIAL_EDUCATION or source == "provincial":
                amount = 200_000
            need[(org, source)] += amount
        if student["graduation_year"] is not None:
            season.graduates[student_key(student["id_number"])] = (org, student["graduation_year"], student["id_number"])
    season.funds = _funding(need, employment_plan(season).subsidy_funds())
    return season


def replacement_card(application_id: str) -> str:
    """A working card (Luhn-valid, not among the closed ones) for a refused payment."""
    body = "621700" + str(int(hashlib.sha256(application_id.encode()).hexdigest(), 16))[:12]
    return body + luhn.calc_check_digit(body)


def _documents(app_no: int) -> list[dict]:
    """The seeds' documents checklist, each with a storage reference and a content hash."""
    return [{"kind": kind.value, "ref": f"s3://jinqiu-docs/2023/{app_no:06d}/{kind.value}.pdf",
             "sha256": hashlib.sha256(f"{app_no}:{kind.value}".encode()).hexdigest()} for kind in DocumentKind]


def _funding(need: dict[tuple[str, str], int], for_subsidies: dict[str, int]) -> list[Event]:
    """Province → city → counties for provincial funds; central funds straight to counties, 利辛县
    short; central funds for the 阳光就业 subsidies to the unions that pay them."""
    events: list[Event] = []
    provincial = {org: amt for (org, src), amt in need.items() if src == "provincial"}
    total = sum(provincial.values())
    if total:
        events.append(FundAllocated(allocation_id="alloc-prov-city", fund_source=FundSource.PROVINCIAL,
                                    from_org=PROVINCE, to_org=CITY, amount_fen=total, campaign_year=YEAR))
    for org, amount in sorted(provincial.items()):
        events.append(FundAllocated(allocation_id=f"alloc-prov-{org}", fund_source=FundSource.PROVINCIAL,
                                    from_org=CITY, to_org=org, amount_fen=amount, campaign_year=YEAR))
    for (org, src), amount in sorted(need.items()):
        if src != "central":
            continue
        central = amount * 85 // 100 if org == SHORT_COUNTY else amount
        events.append(FundAllocated(allocation_id=f"alloc-central-{org}", fund_source=FundSource.CENTRAL,
                                    from_org=PROVINCE, to_org=org, amount_fen=central, campaign_year=YEAR))
        if org == SHORT_COUNTY:
            local = amount * 5 // 100
            events.append(FundAllocated(allocation_id=f"alloc-local-{org}", fund_source=FundSource.LOCAL,
                                        from_org=org, to_org=org, amount_fen=local, campaign_year=YEAR))
    for org, amount in sorted(for_subsidies.items()):
        events.append(FundAllocated(allocation_id=f"alloc-central-jobs-{org}", fund_source=FundSource.CENTRAL,
                                    from_org=PROVINCE, to_org=org, amount_fen=amount, campaign_year=YEAR))
    events.append(DonationReceived(donation_id="don-2023-001", donor="亳州市爱心企业联合会", org_code=CITY,
                                   amount_fen=5_000_000, intent=DonorIntent(org_codes=(SHORT_COUNTY,),
                                   stages=("senior_secondary", "secondary_vocational"), per_student_cap_fen=200_000)))
    return events


DESTINATION = "340100"  # 合肥市总工会: where some graduates intend to work
COHORT = (YEAR - 2, YEAR)
TRAINING_FEN, PLACEMENT_FEN = 120_000, 50_000


@dataclass(frozen=True)
class GraduatePlan:
    """What the unions do for one graduate of the cohort in the demo's 阳光就业 season."""

    graduate_id: str
    origin: str
    n: int

    @property
    def handed_off(self) -> bool:
        return self.n % 3 == 0

    @property
    def accepted(self) -> bool:  # Hefei accepts every other graduate handed to it, returns the rest
        return self.handed_off and self.n % 6 == 0

    @property
    def keeper(self) -> str:
        """Who records progress: Hefei once it accepted, else the origin county."""
        return DESTINATION if self.accepted else self.origin

    @property
    def subsidies(self) -> list[tuple[str, str, int]]:
        """(kind, paying union, fen): the keeper pays from its central assistance fund; 利辛县,
        short of central funds, has the city's job fair but no subsidies of its own."""
        if self.keeper == SHORT_COUNTY:
            return []
        paid = [("training", self.keeper, TRAINING_FEN)] if self.n % 4 == 1 else []
        return paid + ([("placement", self.keeper, PLACEMENT_FEN)] if self.n % 4 == 0 else [])


@dataclass(frozen=True)
class EmploymentPlan:
    graduates: tuple[GraduatePlan, ...]

    def subsidy_funds(self) -> dict[str, int]:
        funds: dict[str, int] = defaultdict(int)
        for g in self.graduates:
            for _, org, fen in g.subsidies:
                funds[org] += fen
        return dict(funds)


def employment_plan(season: Season) -> EmploymentPlan:
    cohort = sorted(g for g, (_, year, _) in season.graduates.items() if COHORT[0] <= year <= COHORT[1])
    return EmploymentPlan(tuple(GraduatePlan(g, season.graduates[g][0], n) for n, g in enumerate(cohort)))
