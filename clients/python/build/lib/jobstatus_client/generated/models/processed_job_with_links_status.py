from enum import StrEnum

class ProcessedJobWithLinksStatus(StrEnum):
    PROCESSED = "processed"

    def __str__(self) -> str:
        return str(self.value)
