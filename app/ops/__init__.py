"""What operators see: metrics, request logs and tracing, recorded per request."""
