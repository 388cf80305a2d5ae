from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from typing import cast

if TYPE_CHECKING:
  from ..models.failed_job import FailedJob
  from ..models.failed_with_error_job import FailedWithErrorJob
  from ..models.meta import Meta
  from ..models.pending_job import PendingJob
  from ..models.processed_job_with_data import ProcessedJobWithData





T = TypeVar("T", bound="JobEnvelope")



@_attrs_define
class JobEnvelope:
    """ 
        Attributes:
            data (FailedJob | FailedWithErrorJob | PendingJob | ProcessedJobWithData): The `data` of a 200 poll (every state
                but processed-with-links), nothing more.
            meta (Meta):
     """

    data: FailedJob | FailedWithErrorJob | PendingJob | ProcessedJobWithData
    meta: Meta





    def to_dict(self) -> dict[str, Any]:
        from ..models.failed_job import FailedJob # noqa: PLC0415
        from ..models.failed_with_error_job import FailedWithErrorJob # noqa: PLC0415
        from ..models.meta import Meta # noqa: PLC0415
        from ..models.pending_job import PendingJob # noqa: PLC0415
        from ..models.processed_job_with_data import ProcessedJobWithData # noqa: PLC0415
        data: dict[str, Any]
        if isinstance(self.data, PendingJob):
            data = self.data.to_dict()
        elif isinstance(self.data, ProcessedJobWithData):
            data = self.data.to_dict()
        elif isinstance(self.data, FailedJob):
            data = self.data.to_dict()
        else:
            data = self.data.to_dict()


        meta = self.meta.to_dict()


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "data": data,
            "meta": meta,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.failed_job import FailedJob # noqa: PLC0415
        from ..models.failed_with_error_job import FailedWithErrorJob # noqa: PLC0415
        from ..models.meta import Meta # noqa: PLC0415
        from ..models.pending_job import PendingJob # noqa: PLC0415
        from ..models.processed_job_with_data import ProcessedJobWithData # noqa: PLC0415
        d = dict(src_dict)
        def _parse_data(data: object) -> FailedJob | FailedWithErrorJob | PendingJob | ProcessedJobWithData:
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_job_state_type_0 = PendingJob.from_dict(data)



                return componentsschemas_job_state_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_job_state_type_1 = ProcessedJobWithData.from_dict(data)



                return componentsschemas_job_state_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_job_state_type_2 = FailedJob.from_dict(data)



                return componentsschemas_job_state_type_2
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, dict):
                raise TypeError()
            componentsschemas_job_state_type_3 = FailedWithErrorJob.from_dict(data)



            return componentsschemas_job_state_type_3

        data = _parse_data(d.pop("data"))


        meta = Meta.from_dict(d.pop("meta"))




        job_envelope = cls(
            data=data,
            meta=meta,
        )

        return job_envelope

