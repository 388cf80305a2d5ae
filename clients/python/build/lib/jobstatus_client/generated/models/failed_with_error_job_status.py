from enum import StrEnum

class FailedWithErrorJobStatus(StrEnum):
    FAILED_WITH_ERROR = "failed_with_error"

    def __str__(self) -> str:
        return str(self.value)
