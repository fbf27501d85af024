"""Surveys: numbered questions, coded options with profile effects; validation, roles, tenancy."""

from typing import Any

from httpx import AsyncClient

from tests.conftest import CampaignFixture
from tests.helpers import API


def doorstep_survey() -> dict[str, Any]:
    support = [
        {"label": f"{n} - {label}", "code": str(n), "effects": {"set": {"support_level": n}}}
        for n, label in enumerate(
            ["Strong yes", "Lean yes", "Undecided", "Lean no", "Strong no"], 1
        )
    ]
    return {
        "name": "Door script",
        "questions": [
            {"prompt": "Will you support Jane?", "kind": "single_choice", "options": support},
            {"prompt": "Volunteer?", "kind": "single_choice", "options": [
                {"label": "Yes", "code": "Y", "effects": {"set": {"is_volunteer": True},
                                                          "tags_add": ["volunteer-lead"]}},
                {"label": "No", "code": "N", "effects": {"set": {"is_volunteer": False},
                                                         "tags_remove": ["volunteer-lead"]}},
            ]},
            {"prompt": "Issues?", "kind": "multiple_choice", "options": [
                {"label": "Housing", "code": "H", "effects": {"set": {"custom:housing": True}}},
                {"label": "Transit", "code": "T"},
            ]},
            {"prompt": "Top issue in your words", "kind": "text",
             "profile_field": "custom:top_issue"},
            {"prompt": "Years at this address", "kind": "number"},
        ],
    }  # fmt: skip


async def test_create_and_read_a_survey(client: AsyncClient, camp: CampaignFixture) -> None:
    created = await client.post(
        f"{API}/surveys", json=doorstep_survey(), headers=camp.organizer.headers
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


async def test_invalid_surveys_are_422_naming_the_place(
    client: AsyncClient, camp: CampaignFixture
) -> None:
    def question(**overrides: Any) -> dict[str, Any]:
        base = {"prompt": "Q", "kind": "single_choice", "options": [{"label": "A", "code": "1"}]}
        return {**base, **overrides}

    cases = [
        ({"name": "x", "questions": []}, "body.questions"),
        ({"name": "", "questions": [question()]}, "body.name"),
        ({"name": "x", "questions": [question(kind="essay")]}, "body.questions[0].kind"),
        ({"name": "x", "questions": [question(options=[])]}, "body.questions[0]"),
        ({"name": "x", "questions": [question(kind="text")]}, "body.questions[0]"),
        ({"name": "x", "questions": [question(options=[{"label": "A", "code": "y"},
                                                        {"label": "B", "code": "Y"}])]},
         "body.questions[0]"),
        ({"name": "x", "questions": [question(options=[{"label": "A", "code": "too long code"}])]},
         "body.questions[0].options[0].code"),
        ({"name": "x", "questions": [question(options=[
            {"label": "A", "code": "1", "effects": {"set": {"support_level": 7}}}])]},
         "body.questions[0].options[0].effects"),
        ({"name": "x", "questions": [question(options=[
            {"label": "A", "code": "1", "effects": {"set": {"password": "x"}}}])]},
         "body.questions[0].options[0].effects"),
        ({"name": "x", "questions": [question(options=[
            {"label": "A", "code": "1", "effects": {"set": {"is_donor": "yes"}}}])]},
         "body.questions[0].options[0].effects"),
        ({"name": "x", "questions": [question(options=[
            {"label": "A", "code": "1", "effects": {"tags_add": ["a"], "tags_remove": ["a"]}}])]},
         "body.questions[0].options[0].effects"),
        ({"name": "x", "questions": [{"prompt": "Q", "kind": "text", "profile_field": "phone"}]},
         "body.questions[0].profile_field"),
    ]  # fmt: skip
    for body, loc in cases:
        response = await client.post(f"{API}/surveys", json=body, headers=camp.organizer.headers)
        assert response.status_code == 422, body
        assert response.headers["content-type"] == "application/problem+json"
        assert loc in {e["loc"] for e in response.json()["errors"]}, (loc, response.json())


async def test_roles_and_tenancy(
    client: AsyncClient, camp: CampaignFixture, other: CampaignFixture
) -> None:
    survey = (
        await client.post(f"{API}/surveys", json=doorstep_survey(), headers=camp.admin.headers)
    ).json()
    for member in (camp.canvasser, camp.data_entry):
        assert (
            await client.post(f"{API}/surveys", json=doorstep_survey(), headers=member.headers)
        ).status_code == 403
        assert (await client.get(f"{API}/surveys", headers=member.headers)).status_code == 403
    assert (
        await client.get(f"{API}/surveys/{survey['id']}", headers=other.admin.headers)
    ).status_code == 404
    assert (await client.get(f"{API}/surveys", headers=other.admin.headers)).json()["results"] == []
