"""Proof-of-delivery photo files no stop keeps.

A delivery's photo is written to storage when its stop is saved, inside the delivery's
transaction. If that transaction is rolled back (a deadlock retried, a failure after the
save), the database forgets the photo but the file stays. These files are swept away once
they are old enough that no delivery can still be writing them.
"""

import datetime
from collections.abc import Iterator

from django.core.files.storage import Storage
from django.utils import timezone

from shipping.models import Stop
from shipping.selectors import pod_photos_claimed

# Where the photos are written: the first folder of the field's `upload_to` ("pod/%Y/%m/").
PHOTOS_DIR = Stop._meta.get_field("pod_photo").upload_to.split("/", 1)[0]
UNCLAIMED_AFTER = datetime.timedelta(hours=1)


def pod_photos_unclaimed_remove(*, older_than: datetime.timedelta = UNCLAIMED_AFTER) -> int:
    """Delete the photo files under `pod/` that no stop names and that were written more
    than `older_than` ago; return how many. A file a stop names is never deleted, nor one
    younger than that (its delivery may not have committed yet). Writes no rows and no
    event: the database never knew these files."""
    storage: Storage = Stop._meta.get_field("pod_photo").storage
    written_before = timezone.now() - older_than
    removed = 0
    for names in _files_by_folder(storage, PHOTOS_DIR):
        claimed = pod_photos_claimed(names)
        for name in names:
            if name not in claimed and storage.get_modified_time(name) < written_before:
                storage.delete(name)
                removed += 1
    return removed


def _files_by_folder(storage: Storage, folder: str) -> Iterator[list[str]]:
    """The files' names under `folder`, one list per folder, depth first."""
    if not storage.exists(folder):
        return
    folders, files = storage.listdir(folder)
    if files:
        yield [f"{folder}/{name}" for name in sorted(files)]
    for sub in sorted(folders):
        yield from _files_by_folder(storage, f"{folder}/{sub}")
