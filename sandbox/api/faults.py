"""Placeholder: fault injection for /v1/ (SANDBOX_FAULTS), built in a later step."""


class FaultMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)
