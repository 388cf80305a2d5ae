from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset







T = TypeVar("T", bound="Link")



@_attrs_define
class Link:
    """ 
        Attributes:
            entity (str): The kind of the resource
            href (str):
     """

    entity: str
    href: str





    def to_dict(self) -> dict[str, Any]:
        entity = self.entity

        href = self.href


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "entity": entity,
            "href": href,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        entity = d.pop("entity")

        href = d.pop("href")

        link = cls(
            entity=entity,
            href=href,
        )

        return link

