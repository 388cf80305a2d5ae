from enum import StrEnum

class FailedJobStatus(StrEnum):
    FAILED = "failed"

    def __str__(self) -> str:
        return str(self.value)
