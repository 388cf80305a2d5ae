from enum import StrEnum

class JobLinkEntity(StrEnum):
    JOB = "job"

    def __str__(self) -> str:
        return str(self.value)
