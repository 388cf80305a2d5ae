from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from typing import cast

if TYPE_CHECKING:
  from ..models.list_meta import ListMeta
  from ..models.listed_failed_job import ListedFailedJob
  from ..models.listed_failed_with_error_job import ListedFailedWithErrorJob
  from ..models.listed_pending_job import ListedPendingJob
  from ..models.listed_processed_job_with_data import ListedProcessedJobWithData
  from ..models.listed_processed_job_with_links import ListedProcessedJobWithLinks
  from ..models.missing_job import MissingJob





T = TypeVar("T", bound="JobListEnvelope")



@_attrs_define
class JobListEnvelope:
    """ 
        Attributes:
            data (list[ListedFailedJob | ListedFailedWithErrorJob | ListedPendingJob | ListedProcessedJobWithData |
                ListedProcessedJobWithLinks | MissingJob]):
            meta (ListMeta):
     """

    data: list[ListedFailedJob | ListedFailedWithErrorJob | ListedPendingJob | ListedProcessedJobWithData | ListedProcessedJobWithLinks | MissingJob]
    meta: ListMeta





    def to_dict(self) -> dict[str, Any]:
        from ..models.list_meta import ListMeta # noqa: PLC0415
        from ..models.listed_failed_job import ListedFailedJob # noqa: PLC0415
        from ..models.listed_failed_with_error_job import ListedFailedWithErrorJob # noqa: PLC0415
        from ..models.listed_pending_job import ListedPendingJob # noqa: PLC0415
        from ..models.listed_processed_job_with_data import ListedProcessedJobWithData # noqa: PLC0415
        from ..models.listed_processed_job_with_links import ListedProcessedJobWithLinks # noqa: PLC0415
        from ..models.missing_job import MissingJob # noqa: PLC0415
        data = []
        for data_item_data in self.data:
            data_item: dict[str, Any]
            if isinstance(data_item_data, ListedPendingJob):
                data_item = data_item_data.to_dict()
            elif isinstance(data_item_data, ListedProcessedJobWithLinks):
                data_item = data_item_data.to_dict()
            elif isinstance(data_item_data, ListedProcessedJobWithData):
                data_item = data_item_data.to_dict()
            elif isinstance(data_item_data, ListedFailedJob):
                data_item = data_item_data.to_dict()
            elif isinstance(data_item_data, ListedFailedWithErrorJob):
                data_item = data_item_data.to_dict()
            else:
                data_item = data_item_data.to_dict()

            data.append(data_item)



        meta = self.meta.to_dict()


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "data": data,
            "meta": meta,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.list_meta import ListMeta # noqa: PLC0415
        from ..models.listed_failed_job import ListedFailedJob # noqa: PLC0415
        from ..models.listed_failed_with_error_job import ListedFailedWithErrorJob # noqa: PLC0415
        from ..models.listed_pending_job import ListedPendingJob # noqa: PLC0415
        from ..models.listed_processed_job_with_data import ListedProcessedJobWithData # noqa: PLC0415
        from ..models.listed_processed_job_with_links import ListedProcessedJobWithLinks # noqa: PLC0415
        from ..models.missing_job import MissingJob # noqa: PLC0415
        d = dict(src_dict)
        data = []
        _data = d.pop("data")
        for data_item_data in (_data):
            def _parse_data_item(data: object) -> ListedFailedJob | ListedFailedWithErrorJob | ListedPendingJob | ListedProcessedJobWithData | ListedProcessedJobWithLinks | MissingJob:
                try:
                    if not isinstance(data, dict):
                        raise TypeError()
                    componentsschemas_job_list_item_type_0 = ListedPendingJob.from_dict(data)



                    return componentsschemas_job_list_item_type_0
                except (TypeError, ValueError, AttributeError, KeyError):
                    pass
                try:
                    if not isinstance(data, dict):
                        raise TypeError()
                    componentsschemas_job_list_item_type_1 = ListedProcessedJobWithLinks.from_dict(data)



                    return componentsschemas_job_list_item_type_1
                except (TypeError, ValueError, AttributeError, KeyError):
                    pass
                try:
                    if not isinstance(data, dict):
                        raise TypeError()
                    componentsschemas_job_list_item_type_2 = ListedProcessedJobWithData.from_dict(data)



                    return componentsschemas_job_list_item_type_2
                except (TypeError, ValueError, AttributeError, KeyError):
                    pass
                try:
                    if not isinstance(data, dict):
                        raise TypeError()
                    componentsschemas_job_list_item_type_3 = ListedFailedJob.from_dict(data)



                    return componentsschemas_job_list_item_type_3
                except (TypeError, ValueError, AttributeError, KeyError):
                    pass
                try:
                    if not isinstance(data, dict):
                        raise TypeError()
                    componentsschemas_job_list_item_type_4 = ListedFailedWithErrorJob.from_dict(data)



                    return componentsschemas_job_list_item_type_4
                except (TypeError, ValueError, AttributeError, KeyError):
                    pass
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_job_list_item_type_5 = MissingJob.from_dict(data)



                return componentsschemas_job_list_item_type_5

            data_item = _parse_data_item(data_item_data)

            data.append(data_item)


        meta = ListMeta.from_dict(d.pop("meta"))




        job_list_envelope = cls(
            data=data,
            meta=meta,
        )

        return job_list_envelope

