from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..models.meta_type import MetaType






T = TypeVar("T", bound="Meta")



@_attrs_define
class Meta:
    """ 
        Attributes:
            code (int): The HTTP status (the contract checks that it is the response's).
            url (str): `scheme://host[:port]/path` of the request.
            type_ (MetaType):
            request_id (str):
     """

    code: int
    url: str
    type_: MetaType
    request_id: str





    def to_dict(self) -> dict[str, Any]:
        code = self.code

        url = self.url

        type_ = self.type_.value

        request_id = self.request_id


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "code": code,
            "url": url,
            "type": type_,
            "request_id": request_id,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        code = d.pop("code")

        url = d.pop("url")

        type_ = MetaType(d.pop("type"))




        request_id = d.pop("request_id")

        meta = cls(
            code=code,
            url=url,
            type_=type_,
            request_id=request_id,
        )

        return meta

