from enum import StrEnum

class ListMetaType(StrEnum):
    LIST = "list"

    def __str__(self) -> str:
        return str(self.value)
