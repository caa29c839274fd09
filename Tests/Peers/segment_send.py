#!/usr/bin/env python3
"""Sends a track, an identify and an Order Completed through Segment's official Python
library (segment-analytics-python), pointed at a running connector service, as an app
would. Usage: segment_send.py HOST WRITE_KEY USER_ID. Prints "SENT" once the library has
flushed, "FAILED <error>" if it reported an error. Exits when done (not a server)."""
import sys

import segment.analytics as analytics
import segment.analytics.request as request

# The service's answer to a refused batch, for the failure line (the library only raises).
answers = []
_post = request._session.post
def _recording_post(url, **kwargs):
    response = _post(url, **kwargs)
    if response.status_code != 200:
        answers.append(f"HTTP {response.status_code} {response.text[:300]}")
    return response
request._session.post = _recording_post

host, write_key, user = sys.argv[1], sys.argv[2], sys.argv[3]
errors = []
client = analytics.Client(write_key=write_key, host=host, sync_mode=True, max_retries=0,
                          on_error=lambda error, items: errors.append(str(error)))
try:
    client.identify(user, {"email": f"{user}@example.com", "first_name": "Ada", "plan": "pro"}, context={"timezone": "Europe/Berlin"})
    client.track(user, "Cart Viewed", {"items": 3}, message_id="cart-1")
    client.track(user, "Order Completed", {"order_id": "o-1", "total": 42.5, "currency": "eur"}, message_id="order-1")
    client.flush()
except Exception as error:  # sync mode raises the service's answer
    errors.append(repr(error) + " " + " ".join(answers))
print("FAILED " + "; ".join(errors) if errors else "SENT", flush=True)
