from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from typing import cast

if TYPE_CHECKING:
  from ..models.meta import Meta
  from ..models.validation_error import ValidationError





T = TypeVar("T", bound="ValidationFailedEnvelope")



@_attrs_define
class ValidationFailedEnvelope:
    """ A 422; `error.type` is `validation_failed` (`x-error-type`) and `error.invalid` says what.

        Attributes:
            error (ValidationError):
            meta (Meta):
     """

    error: ValidationError
    meta: Meta





    def to_dict(self) -> dict[str, Any]:
        from ..models.meta import Meta # noqa: PLC0415
        from ..models.validation_error import ValidationError # noqa: PLC0415
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
        from ..models.validation_error import ValidationError # noqa: PLC0415
        d = dict(src_dict)
        error = ValidationError.from_dict(d.pop("error"))




        meta = Meta.from_dict(d.pop("meta"))




        validation_failed_envelope = cls(
            error=error,
            meta=meta,
        )

        return validation_failed_envelope

