"""Cache hints: how long a cache may keep an answer holding a type or a field, as Apollo
Server's `@cacheControl`. An answer lives as long as the shortest hint in its selection
(app/gateway/cache/policy.py); an object type or root field without one is not cached.

Edits do not wait for these to run out: a content mutation evicts every cached answer
holding what it changed at once. The lifetimes bound what no mutation announces: views
counted and the popularity computed from them.
"""

import strawberry
from strawberry.schema_directive import Location


@strawberry.schema_directive(
    locations=[Location.OBJECT, Location.INTERFACE, Location.FIELD_DEFINITION],
    name="cacheControl",
    description="How many seconds a response cache may keep an answer holding this.",
)
class CacheControl:
    max_age: int  # described in resolvers/schema.py


# Articles, authors and taxonomy: edits evict them, so only memory bounds them.
CONTENT = CacheControl(max_age=3600)
# Lists of the newest: edits evict them too; a minute's bound on anything missed.
LISTS = CacheControl(max_age=60)
# View counts, which change with every page view: a page may show them a minute behind
# (the windows are exact to five minutes anyway).
VIEWS = CacheControl(max_age=60)
# Most viewed and trending are recomputed every NEWSGATE_POPULARITY_REFRESH_SECONDS
# (5 s): with 4 s here, a burst of views shows within 10 s.
POPULARITY = CacheControl(max_age=4)
