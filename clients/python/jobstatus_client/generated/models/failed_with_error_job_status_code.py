from enum import StrEnum

class FailedWithErrorJobStatusCode(StrEnum):
    VALUE_0 = "500"

    def __str__(self) -> str:
        return str(self.value)
