from enum import StrEnum

class MissingJobStatus(StrEnum):
    ERROR = "error"
    NOT_FOUND = "not_found"

    def __str__(self) -> str:
        return str(self.value)
