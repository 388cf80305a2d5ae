from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from typing import cast

if TYPE_CHECKING:
  from ..models.meta import Meta
  from ..models.processed_job_with_links import ProcessedJobWithLinks





T = TypeVar("T", bound="JobWithLinksEnvelope")



@_attrs_define
class JobWithLinksEnvelope:
    """ 
        Attributes:
            data (ProcessedJobWithLinks):
            meta (Meta):
     """

    data: ProcessedJobWithLinks
    meta: Meta





    def to_dict(self) -> dict[str, Any]:
        from ..models.meta import Meta # noqa: PLC0415
        from ..models.processed_job_with_links import ProcessedJobWithLinks # noqa: PLC0415
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
        from ..models.meta import Meta # noqa: PLC0415
        from ..models.processed_job_with_links import ProcessedJobWithLinks # noqa: PLC0415
        d = dict(src_dict)
        data = ProcessedJobWithLinks.from_dict(d.pop("data"))




        meta = Meta.from_dict(d.pop("meta"))




        job_with_links_envelope = cls(
            data=data,
            meta=meta,
        )

        return job_with_links_envelope

