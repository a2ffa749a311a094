"""Callers for the concurrency proof: at a given instant, several threads ask one connection
for its access token and use it. The test runs them in its own process and, through this
module's `main`, in separate ones that print what each caller got as JSON.

Usage: python -m tests.support.token_worker CONNECTION_ID START_AT THREADS
(settings from the environment: DATABASE_URL, AUTOSYNC_*, PORTAL_ENCRYPTION_KEYS)."""

import json
import os
import sys
import threading
import time


def call_at(connection_id: int, start_at: float, threads: int) -> list[dict]:
    """`threads` callers that all start at `start_at` (Unix time); what each got."""
    import requests
    from django.conf import settings
    from django.db import connection

    from portal.shops.tokens import ConnectionTokens

    results: list[dict] = []

    def work() -> None:
        time.sleep(max(0.0, start_at - time.time()))
        try:
            token = ConnectionTokens(connection_id).access_token()
            status = requests.get(
                f"{settings.AUTOSYNC_API_URL}/shops",
                headers={"Authorization": f"Bearer {token}"},
                timeout=30,
            ).status_code
            results.append({"token": token, "status": status})
        except Exception as exc:  # reported to the test, which fails on any
            results.append({"error": repr(exc)})
        finally:
            connection.close()

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return results


def main() -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings"
    import django

    django.setup()
    connection_id, start_at, threads = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
    sys.stdout.write(json.dumps(call_at(connection_id, start_at, threads)))


if __name__ == "__main__":
    main()
