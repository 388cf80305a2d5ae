from enum import StrEnum

class ProcessedJobWithDataStatus(StrEnum):
    PROCESSED = "processed"

    def __str__(self) -> str:
        return str(self.value)
