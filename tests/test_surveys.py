"""Surveys: numbered questions, coded options with profile effects; validation, roles, tenancy."""

from typing import Any

import pytest
from httpx import AsyncClient

from tests.builders import API, CampaignFixture, create_survey, door_script_survey


async def test_a_new_survey_numbers_its_questions_and_keeps_codes_and_effects(
    client: AsyncClient, camp: CampaignFixture
) -> None:
    created = await client.post(
        f"{API}/surveys", json=door_script_survey(), headers=camp.organizer.headers
    )
    assert created.status_code == 201, created.text
    survey = created.json()
    assert survey["name"] == "Door script"
    assert [q["number"] for q in survey["questions"]] == [1, 2, 3, 4, 5]
    support = survey["questions"][0]
    assert [o["code"] for o in support["options"]] == ["1", "2", "3", "4", "5"]
    assert support["options"][1]["effects"] == {
        "set": {"support_level": 2},
        "tags_add": [],
        "tags_remove": [],
    }
    assert survey["questions"][3]["profile_field"] == "custom:top_issue"
    assert survey["questions"][4]["options"] == []
    option_ids = [o["id"] for q in survey["questions"] for o in q["options"]]
    assert len(set(option_ids)) == len(option_ids) == 9


async def test_a_survey_reads_back_whole_and_is_listed_in_short(
    client: AsyncClient, camp: CampaignFixture
) -> None:
    survey = await create_survey(client, camp.organizer.headers)
    fetched = await client.get(f"{API}/surveys/{survey['id']}", headers=camp.admin.headers)
    assert fetched.json() == survey
    listed = (await client.get(f"{API}/surveys", headers=camp.organizer.headers)).json()
    assert listed["results"] == [
        {
            "id": survey["id"],
            "name": "Door script",
            "question_count": 5,
            "created_at": survey["created_at"],
        }
    ]


def question(**overrides: Any) -> dict[str, Any]:
    """A valid single-choice question, but for `overrides`."""
    base = {"prompt": "Q", "kind": "single_choice", "options": [{"label": "A", "code": "1"}]}
    return base | overrides


def one_option(**fields: Any) -> dict[str, Any]:
    """A survey of one question with one option "A" coded "1", but for `fields`."""
    return {"name": "x", "questions": [question(options=[{"label": "A", "code": "1", **fields}])]}


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        pytest.param({"name": "x", "questions": []}, "body.questions", id="no questions"),
        pytest.param({"name": "", "questions": [question()]}, "body.name", id="no name"),
        pytest.param(
            {"name": "x", "questions": [question(kind="essay")]},
            "body.questions[0].kind",
            id="unknown kind",
        ),
        pytest.param(
            {"name": "x", "questions": [question(options=[])]},
            "body.questions[0]",
            id="choice without options",
        ),
        pytest.param(
            {"name": "x", "questions": [question(kind="text")]},
            "body.questions[0]",
            id="text question with options",
        ),
        pytest.param(
            {
                "name": "x",
                "questions": [
                    question(options=[{"label": "A", "code": "y"}, {"label": "B", "code": "Y"}])
                ],
            },
            "body.questions[0]",
            id="codes equal but for case",
        ),
        pytest.param(
            {
                "name": "x",
                "questions": [question(options=[{"label": "A", "code": "too long code"}])],
            },
            "body.questions[0].options[0].code",
            id="code too long",
        ),
        pytest.param(
            one_option(effects={"set": {"support_level": 7}}),
            "body.questions[0].options[0].effects",
            id="support level out of range",
        ),
        pytest.param(
            one_option(effects={"set": {"password": "x"}}),
            "body.questions[0].options[0].effects",
            id="sets a field that is not a profile field",
        ),
        pytest.param(
            one_option(effects={"set": {"is_donor": "yes"}}),
            "body.questions[0].options[0].effects",
            id="sets a flag to a string",
        ),
        pytest.param(
            one_option(effects={"tags_add": ["a"], "tags_remove": ["a"]}),
            "body.questions[0].options[0].effects",
            id="adds and removes one tag",
        ),
        pytest.param(
            {"name": "x", "questions": [{"prompt": "Q", "kind": "text", "profile_field": "phone"}]},
            "body.questions[0].profile_field",
            id="text into a field answers may not write",
        ),
    ],
)
async def test_an_invalid_survey_is_422_naming_the_place(
    client: AsyncClient, camp: CampaignFixture, body: dict[str, Any], loc: str
) -> None:
    response = await client.post(f"{API}/surveys", json=body, headers=camp.organizer.headers)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert loc in {e["loc"] for e in response.json()["errors"]}, response.json()


async def test_only_staff_of_the_campaign_see_and_make_surveys(
    client: AsyncClient, camp: CampaignFixture, other: CampaignFixture
) -> None:
    survey = await create_survey(client, camp.admin.headers)
    for member in (camp.canvasser, camp.data_entry):
        assert (
            await client.post(f"{API}/surveys", json=door_script_survey(), headers=member.headers)
        ).status_code == 403
        assert (await client.get(f"{API}/surveys", headers=member.headers)).status_code == 403
    assert (
        await client.get(f"{API}/surveys/{survey['id']}", headers=other.admin.headers)
    ).status_code == 404
    assert (await client.get(f"{API}/surveys", headers=other.admin.headers)).json()["results"] == []
