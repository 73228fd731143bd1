"""Names as people type them: one name by one key, however it is spelled."""


def name_key(name: str) -> str:
    """One name by one key, however it is spelled: case and runs of spaces aside ("Yili
    dairy " is "YILI  Dairy")."""
    return " ".join(str(name).split()).casefold()
