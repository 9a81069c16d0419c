"""Keep Python's cyclic garbage collector out of the long, allocation-heavy stages."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector (restored as it was on leaving).

    Reading a corpus, diffing and reading key changes, and building a page make
    hundreds of thousands of objects, and almost no garbage in cycles (a 1 MB
    comparison leaves 5 objects in cycles behind); meanwhile every full
    collection that the new objects set off walks the whole heap again (half a second at
    5 MB, several times per stage). Reference counting still frees everything not in a
    cycle at once; what is in one goes at the first collection after.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
