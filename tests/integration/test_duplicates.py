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


async def test_the_same_students_filed_by_two_counties_proceed_once(settings, db):
    async with running(settings, "intake", "intake", "verification", "verification") as (one, two, *_):
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
