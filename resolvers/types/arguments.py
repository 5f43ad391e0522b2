"""Arguments that several fields take, each described once."""

from typing import Annotated

import strawberry

First = Annotated[int, strawberry.argument(description="How many to return: 1 to 100.")]
After = Annotated[
    str | None,
    strawberry.argument(
        description="The `endCursor` of the page before: this page starts after it. Cursors "
        "are positions, so items added meanwhile never shift or repeat what follows."
    ),
]
CategorySlug = Annotated[
    str | None, strawberry.argument(description="Only articles in the category with this slug.")
]
Language = Annotated[
    str | None,
    strawberry.argument(description="Only articles in this language: a BCP-47 code, e.g. `en`."),
]
