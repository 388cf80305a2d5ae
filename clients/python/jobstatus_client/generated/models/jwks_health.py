from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..models.jwks_health_status import JWKSHealthStatus
from ..types import UNSET, Unset






T = TypeVar("T", bound="JWKSHealth")



@_attrs_define
class JWKSHealth:
    """ With `auth.jwt.jwks_url`, on the operator port (`metrics.port`) only, when its keys are not as they should be:
    `none` while no fetch has brought keys (the answer is then a 503), `stale` while fetches fail and the keys fetched
    before stay in use (the answer stays 200).

        Attributes:
            status (JWKSHealthStatus):
            error (str | Unset): Why the last fetch failed.
            failed_attempts (int | Unset): Fetches failed in a row.
            failing_for_seconds (int | Unset): Since the first of them.
     """

    status: JWKSHealthStatus
    error: str | Unset = UNSET
    failed_attempts: int | Unset = UNSET
    failing_for_seconds: int | Unset = UNSET





    def to_dict(self) -> dict[str, Any]:
        status = self.status.value

        error = self.error

        failed_attempts = self.failed_attempts

        failing_for_seconds = self.failing_for_seconds


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "status": status,
        })
        if error is not UNSET:
            field_dict["error"] = error
        if failed_attempts is not UNSET:
            field_dict["failed_attempts"] = failed_attempts
        if failing_for_seconds is not UNSET:
            field_dict["failing_for_seconds"] = failing_for_seconds

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        status = JWKSHealthStatus(d.pop("status"))




        error = d.pop("error", UNSET)

        failed_attempts = d.pop("failed_attempts", UNSET)

        failing_for_seconds = d.pop("failing_for_seconds", UNSET)

        jwks_health = cls(
            status=status,
            error=error,
            failed_attempts=failed_attempts,
            failing_for_seconds=failing_for_seconds,
        )

        return jwks_health

