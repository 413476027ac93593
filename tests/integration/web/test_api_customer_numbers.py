"""A customer's phone numbers over the API: stored in E.164, or refused naming which one and
why, without repeating it (issue 14: a number may later be dialled)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from tests.integration.web.conftest import User
from tests.web_site import AGENT

Login = Callable[[str, str], Awaitable[User]]


@pytest.mark.parametrize(
    ("bad", "why"),
    [
        ("123,U(evil)", "phones[1]: not a phone number: character 4 (',') is not a digit"),
        ("030 555&PJSIP/9", "phones[1]: not a phone number: character 8 ('&') is not a digit"),
        ("110", "phones[1]: not a valid phone number for its country"),
    ],
)
async def test_given_a_phone_that_is_no_number_when_creating_a_customer_then_422_names_it(
    login: Login, bad: str, why: str
) -> None:
    agent = await login(*AGENT)
    body = await agent.json(
        "POST",
        "/api/customers",
        422,
        json={"name": "Eve", "account": "9100", "phones": ["030 5550199", bad]},
    )

    assert body["error"]["code"] == "invalid_request"
    assert body["error"]["message"].startswith(why)
    assert bad not in body["error"]["message"]
    assert await agent.json("GET", "/api/customers?account=9100") == []
    # The same on an edit, and the customer keeps the numbers they had.
    created = await agent.json(
        "POST", "/api/customers", 201, json={"name": "Eve", "account": "9100", "phones": []}
    )
    body = await agent.json(
        "PATCH", f"/api/customers/{created['id']}", 422, json={"phones": ["030 5550199", bad]}
    )
    assert body["error"]["message"].startswith(why)
    assert (await agent.json("GET", "/api/customers?account=9100"))[0]["phones"] == []


async def test_given_phones_as_people_write_them_then_the_customer_has_them_in_e164(
    login: Login,
) -> None:
    agent = await login(*AGENT)
    created = await agent.json(
        "POST",
        "/api/customers",
        201,
        json={"name": "Eve", "account": "9101", "phones": ["(030) 555-0198", "0049 30 5550197"]},
    )

    assert created["phones"] == ["+49305550198", "+49305550197"]
