from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..models.list_meta_code import ListMetaCode
from ..models.list_meta_type import ListMetaType






T = TypeVar("T", bound="ListMeta")



@_attrs_define
class ListMeta:
    """ 
        Attributes:
            code (ListMetaCode):
            url (str): `scheme://host[:port]/path` of the request.
            type_ (ListMetaType):
            request_id (str):
     """

    code: ListMetaCode
    url: str
    type_: ListMetaType
    request_id: str





    def to_dict(self) -> dict[str, Any]:
        code = self.code.value

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
        code = ListMetaCode(d.pop("code"))




        url = d.pop("url")

        type_ = ListMetaType(d.pop("type"))




        request_id = d.pop("request_id")

        list_meta = cls(
            code=code,
            url=url,
            type_=type_,
            request_id=request_id,
        )

        return list_meta

