from enum import StrEnum

class HealthStatus(StrEnum):
    UNAVAILABLE = "unavailable"
    UP = "up"

    def __str__(self) -> str:
        return str(self.value)
