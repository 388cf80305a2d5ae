from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..models.health_status import HealthStatus
from ..types import UNSET, Unset
from typing import cast

if TYPE_CHECKING:
  from ..models.jwks_health import JWKSHealth





T = TypeVar("T", bound="Health")



@_attrs_define
class Health:
    """ 
        Attributes:
            status (HealthStatus):
            reason (str | Unset): Why Redis is unavailable (a refused login, a certificate problem, a lost connection), in
                503 answers on the operator port (`metrics.port`) only: it names Redis' host, port and user, so the API's port
                answers the status alone (the reason is logged).
            jwks (JWKSHealth | Unset): With `auth.jwt.jwks_url`, on the operator port (`metrics.port`) only, when its keys
                are not as they should be: `none` while no fetch has brought keys (the answer is then a 503), `stale` while
                fetches fail and the keys fetched before stay in use (the answer stays 200).
     """

    status: HealthStatus
    reason: str | Unset = UNSET
    jwks: JWKSHealth | Unset = UNSET





    def to_dict(self) -> dict[str, Any]:
        from ..models.jwks_health import JWKSHealth # noqa: PLC0415
        status = self.status.value

        reason = self.reason

        jwks: dict[str, Any] | Unset = UNSET
        if not isinstance(self.jwks, Unset):
            jwks = self.jwks.to_dict()


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "status": status,
        })
        if reason is not UNSET:
            field_dict["reason"] = reason
        if jwks is not UNSET:
            field_dict["jwks"] = jwks

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.jwks_health import JWKSHealth # noqa: PLC0415
        d = dict(src_dict)
        status = HealthStatus(d.pop("status"))




        reason = d.pop("reason", UNSET)

        _jwks = d.pop("jwks", UNSET)
        jwks: JWKSHealth | Unset
        if isinstance(_jwks,  Unset):
            jwks = UNSET
        else:
            jwks = JWKSHealth.from_dict(_jwks)




        health = cls(
            status=status,
            reason=reason,
            jwks=jwks,
        )

        return health

