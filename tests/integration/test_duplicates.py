"""Two counties file the same 500 students at once, each through its own intake instance, with
two verification instances: exactly 500 proceed and 500 are duplicate_of the first in log order."""

import asyncio
from collections import defaultdict

from contracts.envelope import Envelope
from contracts.registry import decode
from contracts.topics import APPLICATIONS
from tests.factories import auth, form
from tests.integration.services import running
from tests.integration.test_authority_and_review import client_for
from tests.kafka_helpers import eventually, read_topic

STUDENTS = 500


async def file_all(client, org: str) -> list[str]:
    limit = asyncio.Semaphore(16)

    async def post(i: int) -> str:
        async with limit:
            response = await client.post("/v1/applications", headers=auth(org),
                                         json=form(i, org_code=org, submission_id=f"{org}-{i}"))
            assert response.status_code == 201, response.text
            return response.json()["application_id"]

    return await asyncio.gather(*(post(i) for i in range(STUDENTS)))


def city_registry(count: int) -> list:
    """Hardship files and authorizations the city keeps for every student's family (in scope for
    both counties), so that the first filing is live and holds the student's aid for the year."""
    from tests.factories import application
    from tests.integration.test_verification import registry_for
    from tests.kafka_helpers import as_union

    events = [e for i in range(count) for e, _ in registry_for(application(i))]
    in_city = [e.model_copy(update={"org_code": "341600"}) for e in events]
    return [(e, as_union(e)) for e in in_city]


async def test_the_same_students_filed_by_two_counties_proceed_once(settings, db):
    from tests.kafka_helpers import publish_events

    await publish_events(settings, city_registry(STUDENTS))
    async with running(settings, "intake", "intake", "verification", "verification") as (one, two, *_):
        await eventually(lambda: db.fetchval("SELECT count(*) FROM verification.authorizations"),
                         lambda n: n == STUDENTS, timeout=60)
        async with client_for(one) as county_a, client_for(two) as county_b:
            await asyncio.gather(file_all(county_a, "341602"), file_all(county_b, "341621"))
        await eventually(lambda: db.fetchval("SELECT count(*) FROM verification.reviews"),
                         lambda n: n == 2 * STUDENTS, timeout=60)
    rows = await db.fetch("SELECT application_id, reasons, duplicate_of FROM verification.decisions")
    duplicates = {r["application_id"]: r["duplicate_of"] for r in rows if r["reasons"] == ["duplicate_of"]}
    assert len(duplicates) == STUDENTS
    assert await db.fetchval("SELECT count(*) FROM verification.reviews") - len(duplicates) == STUDENTS

    by_student = defaultdict(list)  # in log order: one partition per student, by offset
    for record in sorted(await read_topic(settings, APPLICATIONS), key=lambda r: (r.partition, r.offset)):
        app = decode(Envelope.from_bytes(record.value))
        by_student[app.student_key].append(app.application_id)
    assert len(by_student) == STUDENTS and all(len(ids) == 2 for ids in by_student.values())
    for ids in by_student.values():
        first, second = ids
        assert first not in duplicates and duplicates[second] == first


async def test_one_student_gets_one_aid_a_year_across_programs_and_union_levels(settings, db):
    from tests.factories import application
    from tests.integration.test_verification import registry_for, reviews
    from tests.kafka_helpers import as_union, publish_events

    pupil = application(1, program="enrolment_aid")
    again = application(2, program="dream_plan", filed_by="341600",  # the city, another program
                        student=pupil.student.model_dump(include={"id_number"}))
    employment = application(3, program="sunshine_employment", category="graduate",
                             student={**pupil.student.model_dump(include={"id_number"}), "stage": "undergraduate",
                                      "graduation_year": 2023})
    assert pupil.key == again.key == employment.key
    async with running(settings, "verification"):
        await publish_events(settings, registry_for(pupil, again, employment))
        await eventually(lambda: db.fetchval("SELECT count(*) FROM verification.authorizations"), lambda n: n == 3)
        await publish_events(settings, [(a, as_union(a)) for a in (pupil, again, employment)])
        found = await eventually(lambda: reviews(db), lambda r: len(r) == 3)
    duplicate_of = await db.fetchval("SELECT duplicate_of FROM verification.decisions WHERE application_id = $1",
                                     again.application_id)
    assert duplicate_of == pupil.application_id
    assert found[pupil.application_id] == "in_notice" and found[employment.application_id] == "in_notice"


async def test_a_rejected_filing_can_be_corrected_by_a_new_one(settings, db):
    import datetime as dt

    from contracts.households import HouseholdCheckAuthorizationSigned
    from tests.factories import application, worker_id
    from tests.integration.test_verification import decisions, registry_for, reviews
    from tests.kafka_helpers import as_union, publish_events

    spouse = worker_id(500)
    first = application(1)
    corrected = application(2, student=first.student.model_dump(include={"id_number"}),
                            household_id=first.household_id, worker=first.worker.model_dump())
    registry = registry_for(first)
    opened = registry[0][0].model_copy(update={"member_id_numbers": (spouse,)})  # the spouse must sign too
    async with running(settings, "verification"):
        await publish_events(settings, [(opened, as_union(opened)), registry[1]])
        await eventually(lambda: db.fetchval("SELECT count(*) FROM verification.authorizations"), lambda n: n == 1)
        await eventually(lambda: db.fetchval("SELECT count(*) FROM verification.hardship_files"), lambda n: n == 1)
        await publish_events(settings, [(first, as_union(first))])
        assert (await eventually(lambda: decisions(db), lambda d: len(d) == 1)) == {first.application_id: "rejected"}
        signed = HouseholdCheckAuthorizationSigned(household_id=first.household_id, org_code=first.org_code,
                                                   signed_on=dt.date(2023, 7, 25),
                                                   signatory_id_numbers=(first.worker.id_number, spouse))
        await publish_events(settings, [(signed, as_union(signed))])
        await eventually(lambda: db.fetchval("SELECT signatory_ids FROM verification.authorizations"),
                         lambda ids: spouse in ids)
        await publish_events(settings, [(corrected, as_union(corrected))])
        found = await eventually(lambda: reviews(db), lambda r: corrected.application_id in r)
    assert found[corrected.application_id] == "in_notice"  # not duplicate_of the rejected one
    reasons = await db.fetchval("SELECT reasons FROM verification.decisions WHERE application_id = $1",
                                first.application_id)
    assert reasons == ["authorization_incomplete"]
