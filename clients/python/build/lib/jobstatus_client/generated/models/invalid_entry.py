from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from typing import cast

if TYPE_CHECKING:
  from ..models.validation_rule import ValidationRule





T = TypeVar("T", bound="InvalidEntry")



@_attrs_define
class InvalidEntry:
    """ 
        Attributes:
            entry_type (str):
            entry (str):
            rules (list[ValidationRule]):
     """

    entry_type: str
    entry: str
    rules: list[ValidationRule]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        from ..models.validation_rule import ValidationRule # noqa: PLC0415
        entry_type = self.entry_type

        entry = self.entry

        rules = []
        for rules_item_data in self.rules:
            rules_item = rules_item_data.to_dict()
            rules.append(rules_item)




        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "entry_type": entry_type,
            "entry": entry,
            "rules": rules,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.validation_rule import ValidationRule # noqa: PLC0415
        d = dict(src_dict)
        entry_type = d.pop("entry_type")

        entry = d.pop("entry")

        rules = []
        _rules = d.pop("rules")
        for rules_item_data in (_rules):
            rules_item = ValidationRule.from_dict(rules_item_data)



            rules.append(rules_item)


        invalid_entry = cls(
            entry_type=entry_type,
            entry=entry,
            rules=rules,
        )


        invalid_entry.additional_properties = d
        return invalid_entry

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
