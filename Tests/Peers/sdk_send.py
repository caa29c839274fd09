#!/usr/bin/env python3
"""Sends one message through a provider's official Python SDK, pointed at a loopback
base URL, so a test can compare what the SDK puts on the wire with what the connector
sends for the same message.

Usage: sdk_send.py SPEC_JSON   (SPEC: {"sdk": NAME, "base": URL, "message": {...}})
SDKs: sendgrid, twilio, postmarker, resend, exponent_server_sdk, boto3_ses, boto3_sns. Prints one line:
"SENT" or "FAILED <error>". Exits when done (it is not a server).
"""
import json
import os
import sys


def sendgrid(base, m):
    from sendgrid import SendGridAPIClient
    from sendgrid.helpers.mail import (Category, ClickTracking, Content, CustomArg, From, Header, Mail, OpenTracking,
                                       ReplyTo, To, TrackingSettings)
    mail = Mail(from_email=From(m["from_address"], m["from_name"]), to_emails=To(m["to"]), subject=m["subject"])
    mail.content = [Content("text/plain", m["text"]), Content("text/html", m["html"])]
    mail.reply_to = ReplyTo(m["reply_to"])
    for name, value in m["headers"]:
        mail.header = Header(name, value)
    for name, value in m["custom_args"]:
        mail.custom_arg = CustomArg(name, value)
    mail.category = Category(m["category"])
    mail.tracking_settings = TrackingSettings(click_tracking=ClickTracking(False), open_tracking=OpenTracking(False))
    SendGridAPIClient(api_key=m["api_key"], host=base).send(mail)


def twilio(base, m):
    from twilio.rest import Client
    client = Client(m["account_sid"], m["auth_token"])
    client.api.base_url = base
    client.messages.create(to=m["to"], from_=m["from"], body=m["body"], status_callback=m["status_callback"])


def postmarker(base, m):
    from postmarker.core import PostmarkClient
    client = PostmarkClient(server_token=m["server_token"], root_api_url=base + "/")
    client.emails.send(From=m["From"], To=m["To"], Subject=m["Subject"], TextBody=m["TextBody"], HtmlBody=m["HtmlBody"],
                       ReplyTo=m["ReplyTo"], Headers=m["Headers"], Metadata=m["Metadata"], MessageStream=m["MessageStream"],
                       TrackOpens=False, TrackLinks="None")


def resend(base, m):
    os.environ["RESEND_API_URL"] = base
    import resend as sdk
    sdk.api_key = m["api_key"]
    sdk.api_url = base
    sdk.Emails.send(m["params"], options={"idempotency_key": m["idempotency_key"]})


def exponent_server_sdk(base, m):
    from exponent_server_sdk import PushClient, PushMessage
    client = PushClient(host=base)
    client.publish(PushMessage(to=m["to"], title=m["title"], subtitle=m["subtitle"], body=m["body"], data=m["data"], ttl=m["ttl"],
                               priority=m["priority"], sound=m["sound"], badge=m["badge"], category=m["category"]))


def _boto3(service, base, m):
    import boto3
    return boto3.client(service, endpoint_url=base, region_name=m["region"], aws_access_key_id=m["key"],
                        aws_secret_access_key=m["secret"])


def boto3_ses(base, m):
    _boto3("sesv2", base, m).send_email(**m["params"])


def boto3_sns(base, m):
    _boto3("sns", base, m).publish(**m["params"])


def main():
    spec = json.loads(sys.argv[1])
    try:
        globals()[spec["sdk"]](spec["base"], spec["message"])
        print("SENT", flush=True)
    except Exception as error:  # the test shows what went wrong
        print("FAILED %s: %s" % (type(error).__name__, error), flush=True)


if __name__ == "__main__":
    main()
