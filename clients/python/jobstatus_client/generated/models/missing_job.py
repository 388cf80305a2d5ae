from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..models.missing_job_status import MissingJobStatus






T = TypeVar("T", bound="MissingJob")



@_attrs_define
class MissingJob:
    """ 
        Attributes:
            id (str): The id as the client listed it.
            status (MissingJobStatus): `not_found`: unknown, expired, malformed or another client's; `error`: the record
                breaks the contract.
     """

    id: str
    status: MissingJobStatus





    def to_dict(self) -> dict[str, Any]:
        id = self.id

        status = self.status.value


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "id": id,
            "status": status,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = d.pop("id")

        status = MissingJobStatus(d.pop("status"))




        missing_job = cls(
            id=id,
            status=status,
        )

        return missing_job

