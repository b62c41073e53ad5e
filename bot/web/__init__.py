"""`ocop-bot serve`: the webhook endpoints of both platforms and /healthz, on Starlette + uvicorn."""
