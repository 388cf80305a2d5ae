from enum import StrEnum

class MetaType(StrEnum):
    OBJECT = "object"

    def __str__(self) -> str:
        return str(self.value)
