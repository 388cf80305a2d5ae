from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..models.processed_job_with_data_status import ProcessedJobWithDataStatus






T = TypeVar("T", bound="ProcessedJobWithData")



@_attrs_define
class ProcessedJobWithData:
    """ 
        Attributes:
            status (ProcessedJobWithDataStatus):
            eta (str): When the job should be (or was) done, in UTC.
            status_code (str):
            response_data (Any): The job's inline result, any JSON value, exactly as the worker stored it.
     """

    status: ProcessedJobWithDataStatus
    eta: str
    status_code: str
    response_data: Any
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        status = self.status.value

        eta = self.eta

        status_code = self.status_code

        response_data = self.response_data


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "status": status,
            "eta": eta,
            "status_code": status_code,
            "response_data": response_data,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        status = ProcessedJobWithDataStatus(d.pop("status"))




        eta = d.pop("eta")

        status_code = d.pop("status_code")

        response_data = d.pop("response_data")

        processed_job_with_data = cls(
            status=status,
            eta=eta,
            status_code=status_code,
            response_data=response_data,
        )


        processed_job_with_data.additional_properties = d
        return processed_job_with_data

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
