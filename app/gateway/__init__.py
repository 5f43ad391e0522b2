"""The HTTP gateway: everything between the socket and the schema (GraphQL over HTTP,
who is calling, rate limits, persisted queries, document limits, execution)."""
