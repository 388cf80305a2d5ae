from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..models.pending_job_status import PendingJobStatus
from typing import cast

if TYPE_CHECKING:
  from ..models.job_link import JobLink





T = TypeVar("T", bound="ListedPendingJob")



@_attrs_define
class ListedPendingJob:
    """ 
        Attributes:
            id (str): The id as the client listed it.
            status (PendingJobStatus):
            eta (str): When the job should be (or was) done, in UTC.
            links (list[JobLink]):
     """

    id: str
    status: PendingJobStatus
    eta: str
    links: list[JobLink]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        from ..models.job_link import JobLink # noqa: PLC0415
        id = self.id

        status = self.status.value

        eta = self.eta

        links = []
        for links_item_data in self.links:
            links_item = links_item_data.to_dict()
            links.append(links_item)




        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "id": id,
            "status": status,
            "eta": eta,
            "links": links,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.job_link import JobLink # noqa: PLC0415
        d = dict(src_dict)
        id = d.pop("id")

        status = PendingJobStatus(d.pop("status"))




        eta = d.pop("eta")

        links = []
        _links = d.pop("links")
        for links_item_data in (_links):
            links_item = JobLink.from_dict(links_item_data)



            links.append(links_item)


        listed_pending_job = cls(
            id=id,
            status=status,
            eta=eta,
            links=links,
        )


        listed_pending_job.additional_properties = d
        return listed_pending_job

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
