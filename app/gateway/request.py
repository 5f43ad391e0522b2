"""The request the GraphQL endpoint and its caller's authentication read."""

from starlette.requests import Request
from starlette.types import Receive, Scope


class GraphQLRequest(Request):
    """Starlette's Request, with its headers read once into a dict: Headers scans its
    list for each lookup (and raises and catches KeyError for each absent header), and
    a request makes up to ten."""

    def __init__(self, scope: Scope, receive: Receive) -> None:
        super().__init__(scope, receive)
        # By (lower-case) name; of a repeated header the first, as Headers gives it.
        self.fields: dict[str, str] = {}
        for name, value in scope["headers"]:
            self.fields.setdefault(name.decode("latin-1"), value.decode("latin-1"))
