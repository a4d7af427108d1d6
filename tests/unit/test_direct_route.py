"""POST /v1/applications is served by a DirectRoute (services/intake/direct_route.py): the same
principal, form and refusals as FastAPI's own argument solving gave, without it; and every body
has a ceiling (services/intake/body_limit.py). Intake's real API in process, its filing desk
replaced by one that records what reached it."""

import json

import httpx
import pytest
from fastapi import APIRouter, Request

from services.intake.api import create_api
from services.intake.body_limit import FORM_BYTES, UPLOAD_BYTES
from services.intake.deps import CurrentPrincipal
from services.intake.direct_route import DirectRoute
from services.intake.domain import ApplicationForm, application_id_for
from services.intake.handlers import Filed
from services.shared.authority import Authority
from services.shared.settings import Settings
from tests.factories import TEST_KEYS, TOKENS, auth, form


class RecordingDesk:
    def __init__(self) -> None:
        self.filings = []

    async def file(self, filing):
        self.filings.append(filing)
        return Filed(application_id_for(filing.form.org_code, filing.form.submission_id), created=True)


@pytest.fixture
def desk_and_client():
    settings = Settings(signing_keys=json.dumps(TEST_KEYS), api_tokens=json.dumps(TOKENS))
    api = create_api(lambda: None, Authority.from_settings(settings, identity="intake"))
    api.state.filing_desk = desk = RecordingDesk()
    return desk, httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url="http://intake")


async def test_a_form_reaches_the_desk_validated_with_the_tokens_principal(desk_and_client):
    desk, client = desk_and_client
    async with client:
        response = await client.post("/v1/applications", json=form(1), headers=auth("341602"))
    assert response.status_code == 201, response.text
    (filing,) = desk.filings
    assert isinstance(filing.form, ApplicationForm) and filing.form.submission_id == "sub-1"
    assert (filing.principal.org, filing.principal.user) == ("341602", "staff-341602")
    assert response.json()["application_id"] == application_id_for("341602", "sub-1")


@pytest.mark.parametrize(("body", "headers", "status", "code"), [
    (b"{not json", {"Authorization": "Bearer no-such-token"}, 401, "unauthenticated"),  # the token first
    (json.dumps(form(1)).encode(), {"Authorization": "Basic token-341602"}, 401, "unauthenticated"),
    (b"{not json", auth(), 422, "json_invalid"),
    (b"", auth(), 422, "json_invalid"),
    (json.dumps(form(1)).encode(), {**auth(), "content-type": "text/plain"}, 422, "model_type"),
    (json.dumps({**form(1), "extra": 1}).encode(), auth(), 422, "extra_forbidden"),
])
async def test_refusals_are_the_apis_own_and_nothing_is_filed(desk_and_client, body, headers, status, code):
    desk, client = desk_and_client
    async with client:
        response = await client.post("/v1/applications", content=body,
                                     headers={"content-type": "application/json", **headers})
    assert response.status_code == status, response.text
    (error, *_) = response.json()["errors"]
    assert error["code"] == code
    assert any("\u4e00" <= ch <= "\u9fff" for ch in error["message"]), error
    assert desk.filings == []


async def test_a_refusal_echoes_a_long_value_cut_short_and_masked(desk_and_client):
    desk, client = desk_and_client
    card = form(1)["bank_card"]
    school = f"{card} " + "学" * 5000
    async with client:
        response = await client.post("/v1/applications", json=form(1, student={"school": school}), headers=auth())
    assert response.status_code == 422, response.text
    (error,) = response.json()["errors"]
    assert (error["code"], error["field"]) == ("string_too_long", "student.school")
    assert error["input"].startswith(card[:4] + "*") and card not in error["input"]
    assert len(error["input"]) < 230 and error["input"].endswith(f"（共{len(school)}字）")


@pytest.mark.parametrize("declared", [True, False])
async def test_a_body_far_beyond_a_form_is_refused_with_413_before_it_is_read_whole(desk_and_client, declared):
    desk, client = desk_and_client
    huge = json.dumps({**form(1), "student": {**form(1)["student"], "school": "x" * 4 * FORM_BYTES}}).encode()
    read = []

    async def chunks():  # a streamed body has no Content-Length: counted as it arrives
        for start in range(0, len(huge), 65536):
            read.append(start)
            yield huge[start:start + 65536]

    async with client:
        response = await client.post("/v1/applications", content=huge if declared else chunks(),
                                     headers={**auth(), "content-type": "application/json"})
    assert response.status_code == 413, response.text
    (error,) = response.json()["errors"]
    assert error["code"] == "body_too_large" and "256KB" in error["message"]
    assert desk.filings == []
    assert response.headers["x-correlation-id"]
    if not declared:
        assert len(read) <= FORM_BYTES // 65536 + 1


async def test_a_streamed_body_past_the_ceiling_gets_the_same_413_where_fastapi_reads_it(desk_and_client):
    _, client = desk_and_client

    async def chunks():
        for _ in range(2 * FORM_BYTES // 65536):
            yield b'{"summary": "' + b"x" * 65536

    async with client:
        response = await client.post("/v1/applications/app-1/objections", content=chunks(),
                                     headers={**auth(), "content-type": "application/json"})
    assert response.status_code == 413, response.text
    assert response.json()["errors"][0]["code"] == "body_too_large"
    assert response.headers["x-correlation-id"]


async def test_an_upload_may_be_larger_than_a_form_but_not_without_end(desk_and_client):
    _, client = desk_and_client
    async with client:
        fits = await client.post("/v1/imports", files={"file": ("a.csv", b"x" * 2 * FORM_BYTES)},
                                 headers={"Authorization": "Bearer no-such-token"})
        beyond = await client.post("/v1/imports", files={"file": ("a.csv", b"x" * (UPLOAD_BYTES + 1))}, headers=auth())
    assert fits.status_code == 401  # past the ceiling of a form, refused for its token, not its size
    assert beyond.status_code == 413 and beyond.json()["errors"][0]["code"] == "body_too_large"


def test_a_route_that_needs_more_than_body_principal_and_request_is_refused_when_made():
    router = APIRouter(route_class=DirectRoute)

    async def with_a_query(form: ApplicationForm, principal: CurrentPrincipal, request: Request, page: int = 1):
        raise AssertionError("never served")

    async def with_a_dict(form: dict, principal: CurrentPrincipal, request: Request):
        raise AssertionError("never served")

    for endpoint in (with_a_query, with_a_dict):
        with pytest.raises(TypeError, match="direct route"):
            router.add_api_route("/v1/applications", endpoint, methods=["POST"])
