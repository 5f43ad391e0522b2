"""Who a request acts for, and what it may do: a set of scopes."""

from dataclasses import dataclass
from enum import StrEnum

from app.errors import Forbidden


class Scope(StrEnum):
    CONTENT_READ = "content:read"
    CONTENT_WRITE = "content:write"  # also: see drafts and archived articles
    VIEWS_WRITE = "views:write"
    ADMIN = "admin"  # everything


# An editor token's roles (its `roles` claim) grant these scopes; unknown roles grant none.
ROLE_SCOPES = {
    "reader": {Scope.CONTENT_READ},
    "editor": {Scope.CONTENT_READ, Scope.CONTENT_WRITE},
    "analyst": {Scope.CONTENT_READ, Scope.VIEWS_WRITE},
    "admin": {Scope.ADMIN},
}


@dataclass(frozen=True)
class Caller:
    # Whose budget a request spends: "key:<id>", "editor:<sub>" or "ip:<address>".
    identity: str
    scopes: frozenset[str] = frozenset()

    @property
    def anonymous(self) -> bool:
        return self.identity.startswith("ip:")

    def can(self, scope: Scope) -> bool:
        return Scope.ADMIN in self.scopes or scope in self.scopes

    def require(self, scope: Scope) -> None:
        if not self.can(scope):
            raise Forbidden(f"This needs the `{scope}` scope.", scope=str(scope))
