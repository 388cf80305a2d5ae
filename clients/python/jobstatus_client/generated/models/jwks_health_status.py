from enum import StrEnum

class JWKSHealthStatus(StrEnum):
    NONE = "none"
    STALE = "stale"

    def __str__(self) -> str:
        return str(self.value)
