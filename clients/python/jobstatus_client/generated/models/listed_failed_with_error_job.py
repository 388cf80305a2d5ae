from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..models.failed_with_error_job_status import FailedWithErrorJobStatus
from ..models.failed_with_error_job_status_code import FailedWithErrorJobStatusCode
from typing import cast

if TYPE_CHECKING:
  from ..models.job_error import JobError





T = TypeVar("T", bound="ListedFailedWithErrorJob")



@_attrs_define
class ListedFailedWithErrorJob:
    """ 
        Attributes:
            id (str): The id as the client listed it.
            status (FailedWithErrorJobStatus):
            eta (str): When the job should be (or was) done, in UTC.
            status_code (FailedWithErrorJobStatusCode):
            error (JobError):
     """

    id: str
    status: FailedWithErrorJobStatus
    eta: str
    status_code: FailedWithErrorJobStatusCode
    error: JobError
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        from ..models.job_error import JobError # noqa: PLC0415
        id = self.id

        status = self.status.value

        eta = self.eta

        status_code = self.status_code.value

        error = self.error.to_dict()


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "id": id,
            "status": status,
            "eta": eta,
            "status_code": status_code,
            "error": error,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.job_error import JobError # noqa: PLC0415
        d = dict(src_dict)
        id = d.pop("id")

        status = FailedWithErrorJobStatus(d.pop("status"))




        eta = d.pop("eta")

        status_code = FailedWithErrorJobStatusCode(d.pop("status_code"))




        error = JobError.from_dict(d.pop("error"))




        listed_failed_with_error_job = cls(
            id=id,
            status=status,
            eta=eta,
            status_code=status_code,
            error=error,
        )


        listed_failed_with_error_job.additional_properties = d
        return listed_failed_with_error_job

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
