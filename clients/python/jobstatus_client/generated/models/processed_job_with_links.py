from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..models.processed_job_with_links_status import ProcessedJobWithLinksStatus
from typing import cast

if TYPE_CHECKING:
  from ..models.link import Link





T = TypeVar("T", bound="ProcessedJobWithLinks")



@_attrs_define
class ProcessedJobWithLinks:
    """ 
        Attributes:
            status (ProcessedJobWithLinksStatus):
            eta (str): When the job should be (or was) done, in UTC.
            status_code (str):
            links (list[Link]):
     """

    status: ProcessedJobWithLinksStatus
    eta: str
    status_code: str
    links: list[Link]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        from ..models.link import Link # noqa: PLC0415
        status = self.status.value

        eta = self.eta

        status_code = self.status_code

        links = []
        for links_item_data in self.links:
            links_item = links_item_data.to_dict()
            links.append(links_item)




        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "status": status,
            "eta": eta,
            "status_code": status_code,
            "links": links,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.link import Link # noqa: PLC0415
        d = dict(src_dict)
        status = ProcessedJobWithLinksStatus(d.pop("status"))




        eta = d.pop("eta")

        status_code = d.pop("status_code")

        links = []
        _links = d.pop("links")
        for links_item_data in (_links):
            links_item = Link.from_dict(links_item_data)



            links.append(links_item)


        processed_job_with_links = cls(
            status=status,
            eta=eta,
            status_code=status_code,
            links=links,
        )


        processed_job_with_links.additional_properties = d
        return processed_job_with_links

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
