from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..models.failed_job_status import FailedJobStatus
from typing import cast

if TYPE_CHECKING:
  from ..models.job_error import JobError
  from ..models.validation_error import ValidationError





T = TypeVar("T", bound="ListedFailedJob")



@_attrs_define
class ListedFailedJob:
    """ 
        Attributes:
            id (str): The id as the client listed it.
            status (FailedJobStatus):
            eta (str): When the job should be (or was) done, in UTC.
            status_code (str):
            error (JobError | str | ValidationError): A string (403, 404, …), `{type, message}` (409), or the validation
                object (422).
     """

    id: str
    status: FailedJobStatus
    eta: str
    status_code: str
    error: JobError | str | ValidationError
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        from ..models.job_error import JobError # noqa: PLC0415
        from ..models.validation_error import ValidationError # noqa: PLC0415
        id = self.id

        status = self.status.value

        eta = self.eta

        status_code = self.status_code

        error: dict[str, Any] | str
        if isinstance(self.error, ValidationError):
            error = self.error.to_dict()
        elif isinstance(self.error, JobError):
            error = self.error.to_dict()
        else:
            error = self.error


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
        from ..models.validation_error import ValidationError # noqa: PLC0415
        d = dict(src_dict)
        id = d.pop("id")

        status = FailedJobStatus(d.pop("status"))




        eta = d.pop("eta")

        status_code = d.pop("status_code")

        def _parse_error(data: object) -> JobError | str | ValidationError:
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                error_type_1 = ValidationError.from_dict(data)



                return error_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                error_type_2 = JobError.from_dict(data)



                return error_type_2
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(JobError | str | ValidationError, data)

        error = _parse_error(d.pop("error"))


        listed_failed_job = cls(
            id=id,
            status=status,
            eta=eta,
            status_code=status_code,
            error=error,
        )


        listed_failed_job.additional_properties = d
        return listed_failed_job

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
