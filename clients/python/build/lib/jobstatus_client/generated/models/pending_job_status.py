from enum import StrEnum

class PendingJobStatus(StrEnum):
    PENDING = "pending"

    def __str__(self) -> str:
        return str(self.value)
