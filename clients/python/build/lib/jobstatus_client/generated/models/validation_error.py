from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from typing import cast

if TYPE_CHECKING:
  from ..models.invalid_entry import InvalidEntry





T = TypeVar("T", bound="ValidationError")



@_attrs_define
class ValidationError:
    """ 
        Attributes:
            type_ (str):
            message (str):
            invalid (list[InvalidEntry]):
     """

    type_: str
    message: str
    invalid: list[InvalidEntry]





    def to_dict(self) -> dict[str, Any]:
        from ..models.invalid_entry import InvalidEntry # noqa: PLC0415
        type_ = self.type_

        message = self.message

        invalid = []
        for invalid_item_data in self.invalid:
            invalid_item = invalid_item_data.to_dict()
            invalid.append(invalid_item)




        field_dict: dict[str, Any] = {}

        field_dict.update({
            "type": type_,
            "message": message,
            "invalid": invalid,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.invalid_entry import InvalidEntry # noqa: PLC0415
        d = dict(src_dict)
        type_ = d.pop("type")

        message = d.pop("message")

        invalid = []
        _invalid = d.pop("invalid")
        for invalid_item_data in (_invalid):
            invalid_item = InvalidEntry.from_dict(invalid_item_data)



            invalid.append(invalid_item)


        validation_error = cls(
            type_=type_,
            message=message,
            invalid=invalid,
        )

        return validation_error

