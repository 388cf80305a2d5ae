from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..models.health_status import HealthStatus
from ..types import UNSET, Unset






T = TypeVar("T", bound="Health")



@_attrs_define
class Health:
    """ 
        Attributes:
            status (HealthStatus):
            reason (str | Unset): Why Redis is unavailable (a refused login, a certificate problem, a lost connection), in
                503 answers on the operator port (`metrics.port`) only: it names Redis' host, port and user, so the API's port
                answers the status alone (the reason is logged).
     """

    status: HealthStatus
    reason: str | Unset = UNSET





    def to_dict(self) -> dict[str, Any]:
        status = self.status.value

        reason = self.reason


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "status": status,
        })
        if reason is not UNSET:
            field_dict["reason"] = reason

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        status = HealthStatus(d.pop("status"))




        reason = d.pop("reason", UNSET)

        health = cls(
            status=status,
            reason=reason,
        )

        return health

