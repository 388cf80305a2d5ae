from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..models.job_link_entity import JobLinkEntity






T = TypeVar("T", bound="JobLink")



@_attrs_define
class JobLink:
    """ The link of a pending job to itself.

        Attributes:
            entity (JobLinkEntity):
            href (str):
     """

    entity: JobLinkEntity
    href: str





    def to_dict(self) -> dict[str, Any]:
        entity = self.entity.value

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
        entity = JobLinkEntity(d.pop("entity"))




        href = d.pop("href")

        job_link = cls(
            entity=entity,
            href=href,
        )

        return job_link

