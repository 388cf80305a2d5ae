from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset







T = TypeVar("T", bound="RequestError")



@_attrs_define
class RequestError:
    """ 
        Attributes:
            type_ (str):
            message (str):
     """

    type_: str
    message: str





    def to_dict(self) -> dict[str, Any]:
        type_ = self.type_

        message = self.message


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "type": type_,
            "message": message,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        type_ = d.pop("type")

        message = d.pop("message")

        request_error = cls(
            type_=type_,
            message=message,
        )

        return request_error

