"""Placeholder: authentication, rate limits and faults for /v1/ (built in sandbox.api)."""


class ApiMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)
