from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from typing import cast

if TYPE_CHECKING:
  from ..models.meta import Meta
  from ..models.request_error import RequestError





T = TypeVar("T", bound="ErrorEnvelope")



@_attrs_define
class ErrorEnvelope:
    """ An error of the request itself. Each response names its `error.type` in `x-error-type`
    (and the contract checks it, on every response the tests receive and on schemathesis'
    ones): `bad_request` 400, `access_denied` 401, `forbidden` 403, `not_found` 404,
    `method_not_allowed` 405, `not_acceptable` 406, `too_many_requests` 429,
    `request_header_fields_too_large` 431, `internal_error` 500, `service_unavailable` 503;
    and `validation_failed` 422, in `ValidationFailedEnvelope`.

        Attributes:
            error (RequestError):
            meta (Meta):
     """

    error: RequestError
    meta: Meta





    def to_dict(self) -> dict[str, Any]:
        from ..models.meta import Meta # noqa: PLC0415
        from ..models.request_error import RequestError # noqa: PLC0415
        error = self.error.to_dict()

        meta = self.meta.to_dict()


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "error": error,
            "meta": meta,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.meta import Meta # noqa: PLC0415
        from ..models.request_error import RequestError # noqa: PLC0415
        d = dict(src_dict)
        error = RequestError.from_dict(d.pop("error"))




        meta = Meta.from_dict(d.pop("meta"))




        error_envelope = cls(
            error=error,
            meta=meta,
        )

        return error_envelope

