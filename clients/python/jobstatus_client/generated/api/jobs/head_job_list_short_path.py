from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...types import Response, UNSET
from ... import errors

from ...models.error_envelope import ErrorEnvelope
from ...models.job_list_envelope import JobListEnvelope
from ...models.validation_failed_envelope import ValidationFailedEnvelope
from ...types import UNSET, Unset
from typing import cast



def _get_kwargs(
    *,
    ids: list[str],
    wait: int | Unset = UNSET,
    prefer: str | Unset = UNSET,
    if_none_match: str | Unset = UNSET,
    x_request_id: str | Unset = UNSET,

) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(prefer, Unset):
        headers["Prefer"] = prefer

    if not isinstance(if_none_match, Unset):
        headers["If-None-Match"] = if_none_match

    if not isinstance(x_request_id, Unset):
        headers["X-Request-ID"] = x_request_id



    

    params: dict[str, Any] = {}

    json_ids = ids


    params["ids"] = json_ids

    params["wait"] = wait


    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}


    _kwargs: dict[str, Any] = {
        "method": "head",
        "url": "/jobs",
        "params": params,
    }


    _kwargs["headers"] = headers
    return _kwargs



def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Any | ErrorEnvelope | JobListEnvelope | ValidationFailedEnvelope | None:
    if response.status_code == 200:
        response_200 = JobListEnvelope.from_dict(response.json())



        return response_200

    if response.status_code == 304:
        response_304 = cast(Any, None)
        return response_304

    if response.status_code == 400:
        response_400 = ErrorEnvelope.from_dict(response.json())



        return response_400

    if response.status_code == 401:
        response_401 = ErrorEnvelope.from_dict(response.json())



        return response_401

    if response.status_code == 403:
        response_403 = ErrorEnvelope.from_dict(response.json())



        return response_403

    if response.status_code == 422:
        response_422 = ValidationFailedEnvelope.from_dict(response.json())



        return response_422

    if response.status_code == 429:
        response_429 = ErrorEnvelope.from_dict(response.json())



        return response_429

    if response.status_code == 431:
        response_431 = ErrorEnvelope.from_dict(response.json())



        return response_431

    if response.status_code == 503:
        response_503 = ErrorEnvelope.from_dict(response.json())



        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Any | ErrorEnvelope | JobListEnvelope | ValidationFailedEnvelope]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    ids: list[str],
    wait: int | Unset = UNSET,
    prefer: str | Unset = UNSET,
    if_none_match: str | Unset = UNSET,
    x_request_id: str | Unset = UNSET,

) -> Response[Any | ErrorEnvelope | JobListEnvelope | ValidationFailedEnvelope]:
    """ The status line and headers of a list, without the body

    Args:
        ids (list[str]):
        wait (int | Unset):
        prefer (str | Unset):
        if_none_match (str | Unset):
        x_request_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | ErrorEnvelope | JobListEnvelope | ValidationFailedEnvelope]
     """


    kwargs = _get_kwargs(
        ids=ids,
wait=wait,
prefer=prefer,
if_none_match=if_none_match,
x_request_id=x_request_id,

    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)

def sync(
    *,
    client: AuthenticatedClient | Client,
    ids: list[str],
    wait: int | Unset = UNSET,
    prefer: str | Unset = UNSET,
    if_none_match: str | Unset = UNSET,
    x_request_id: str | Unset = UNSET,

) -> Any | ErrorEnvelope | JobListEnvelope | ValidationFailedEnvelope | None:
    """ The status line and headers of a list, without the body

    Args:
        ids (list[str]):
        wait (int | Unset):
        prefer (str | Unset):
        if_none_match (str | Unset):
        x_request_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | ErrorEnvelope | JobListEnvelope | ValidationFailedEnvelope
     """


    return sync_detailed(
        client=client,
ids=ids,
wait=wait,
prefer=prefer,
if_none_match=if_none_match,
x_request_id=x_request_id,

    ).parsed

async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    ids: list[str],
    wait: int | Unset = UNSET,
    prefer: str | Unset = UNSET,
    if_none_match: str | Unset = UNSET,
    x_request_id: str | Unset = UNSET,

) -> Response[Any | ErrorEnvelope | JobListEnvelope | ValidationFailedEnvelope]:
    """ The status line and headers of a list, without the body

    Args:
        ids (list[str]):
        wait (int | Unset):
        prefer (str | Unset):
        if_none_match (str | Unset):
        x_request_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | ErrorEnvelope | JobListEnvelope | ValidationFailedEnvelope]
     """


    kwargs = _get_kwargs(
        ids=ids,
wait=wait,
prefer=prefer,
if_none_match=if_none_match,
x_request_id=x_request_id,

    )

    response = await client.get_async_httpx_client().request(
        **kwargs
    )

    return _build_response(client=client, response=response)

async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    ids: list[str],
    wait: int | Unset = UNSET,
    prefer: str | Unset = UNSET,
    if_none_match: str | Unset = UNSET,
    x_request_id: str | Unset = UNSET,

) -> Any | ErrorEnvelope | JobListEnvelope | ValidationFailedEnvelope | None:
    """ The status line and headers of a list, without the body

    Args:
        ids (list[str]):
        wait (int | Unset):
        prefer (str | Unset):
        if_none_match (str | Unset):
        x_request_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | ErrorEnvelope | JobListEnvelope | ValidationFailedEnvelope
     """


    return (await asyncio_detailed(
        client=client,
ids=ids,
wait=wait,
prefer=prefer,
if_none_match=if_none_match,
x_request_id=x_request_id,

    )).parsed
