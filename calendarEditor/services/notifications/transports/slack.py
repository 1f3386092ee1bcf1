"""Slack DMs through the Web API (slack_sdk), off when SLACK_BOT_TOKEN is unset.

A member's Slack id is found by email, then full name, then username, and
cached on their profile; a miss is cached too and tried again after a day.
Every DM carries a one-time login link to the notice's page, with unfurling
off so Slack does not fetch (and show) it. Runs on the delivery worker thread
or the retry runner, never a request thread: a slow Slack only delays DMs.
"""

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from calendarEditor.models import Channel
from calendarEditor.services.notifications import tokens
from calendarEditor.services.notifications.transports.base import DeliveryError
from userRegistration.models import UserProfile

DEFAULT_BASE_URL = "https://slack.com/api/"
DEFAULT_TIMEOUT_SECONDS = 10
DEFAULT_RETRY_AFTER_SECONDS = 30.0
LOOKUP_RETRY_AFTER = timedelta(days=1)
MAX_USER_PAGES = 50
# Errors that no retry can fix: the member or the bot's token is gone.
PERMANENT_ERRORS = frozenset(
    {
        "user_not_found",
        "users_not_found",
        "invalid_auth",
        "not_authed",
        "token_revoked",
        "account_inactive",
        "channel_not_found",
        "user_disabled",
        "missing_scope",
    }
)
FALLBACK_PATH = "/schedule/my/"


class SlackTransport:
    channel = Channel.SLACK.value
    sent_on_write = False

    def is_enabled(self) -> bool:
        return bool(getattr(settings, "SLACK_BOT_TOKEN", ""))

    def can_reach(self, user: Any, now: datetime) -> bool:
        profile = getattr(user, "profile", None)
        return profile is None or bool(profile.slack_member_id) or not _recent_miss(profile, now)

    def send(self, delivery: Any, now: datetime) -> None:
        client = make_client()
        user = delivery.recipient
        member_id = member_id_for(client, user, now)
        call(
            client.chat_postMessage,
            channel=member_id,
            text=message_text(delivery.notification, user, now),
            unfurl_links=False,
            unfurl_media=False,
        )


def make_client() -> WebClient:
    base_url = str(getattr(settings, "SLACK_API_BASE_URL", DEFAULT_BASE_URL) or DEFAULT_BASE_URL)
    return WebClient(
        token=getattr(settings, "SLACK_BOT_TOKEN", ""),
        base_url=base_url if base_url.endswith("/") else base_url + "/",
        timeout=int(getattr(settings, "SLACK_TIMEOUT_SECONDS", DEFAULT_TIMEOUT_SECONDS)),
        # The outbox retries with backoff; the client must not sleep on its own.
        retry_handlers=[],
    )


def call(method: Any, **kwargs: Any) -> Any:
    """One Web API call, its failures turned into DeliveryError."""
    try:
        return method(**kwargs)
    except SlackApiError as error:
        raise as_delivery_error(error) from error
    except Exception as error:  # timeouts, refused connections, bad gateways
        raise DeliveryError(f"Slack unreachable: {error.__class__.__name__}: {error}") from error


def as_delivery_error(error: SlackApiError) -> DeliveryError:
    response = error.response
    code = str(response.get("error") or "unknown_error")
    status = getattr(response, "status_code", 0)
    if status == 429 or code == "ratelimited":
        headers = response.headers or {}
        retry_after = _seconds(headers.get("Retry-After") or headers.get("retry-after"))
        message = f"Slack rate limit (retry after {retry_after:g} s)"
        return DeliveryError(message, retry_after=retry_after)
    permanent = code in PERMANENT_ERRORS
    return DeliveryError(f"Slack error {code} (HTTP {status})", permanent=permanent)


def member_id_for(client: WebClient, user: Any, now: datetime) -> str:
    """The member's Slack id: cached, or looked up and cached (a miss too)."""
    profile = user.profile
    if profile.slack_member_id:
        return profile.slack_member_id
    if _recent_miss(profile, now):
        raise DeliveryError(f"no Slack account found for {user.get_username()}", permanent=True)
    found = lookup(client, user)
    UserProfile.objects.filter(pk=profile.pk).update(slack_member_id=found, slack_lookup_at=now)
    profile.slack_member_id, profile.slack_lookup_at = found, now
    if not found:
        raise DeliveryError(
            f"no Slack account matches {user.get_username()}'s email, name or username",
            permanent=True,
        )
    return found


def lookup(client: WebClient, user: Any) -> str:
    """Search by email, then full name, then username; "" when nothing matches one member."""
    if user.email:
        try:
            return client.users_lookupByEmail(email=user.email)["user"]["id"]
        except SlackApiError as error:
            if error.response.get("error") not in ("users_not_found", "user_not_found"):
                raise as_delivery_error(error) from error
        except Exception as error:
            raise DeliveryError(f"Slack unreachable: {error}") from error
    full_name = user.get_full_name().strip().casefold()
    by_name, by_username = _scan_members(client, full_name, user.get_username().casefold())
    return by_name or by_username


def _scan_members(client: WebClient, full_name: str, username: str) -> tuple[str, str]:
    named: set[str] = set()
    usernamed: set[str] = set()
    cursor = ""
    for _page in range(MAX_USER_PAGES):
        page = call(client.users_list, cursor=cursor or None, limit=200)
        for member in page.get("members") or []:
            if member.get("deleted") or member.get("is_bot"):
                continue
            profile = member.get("profile") or {}
            names = {str(member.get("real_name") or ""), str(profile.get("real_name") or "")}
            if full_name and full_name in {name.strip().casefold() for name in names}:
                named.add(member["id"])
            handles = {str(member.get("name") or ""), str(profile.get("display_name") or "")}
            if username in {handle.casefold() for handle in handles}:
                usernamed.add(member["id"])
        cursor = (page.get("response_metadata") or {}).get("next_cursor") or ""
        if not cursor:
            break
    # Two people with one name: a DM to the wrong one is worse than none.
    return _only(named), _only(usernamed)


def message_text(notification: Any, user: Any, now: datetime) -> str:
    target = notification.link if tokens.is_same_site_path(notification.link) else FALLBACK_PATH
    link = tokens.create_link(user, target, now=now)
    hours = tokens.ttl().total_seconds() / 3600
    return (
        f"*{_escape(notification.title)}*\n{_escape(notification.message)}\n\n"
        f"<{link}|Open it in the lab queue> (logs you in once; expires in {hours:g} h)"
    )


def _escape(text: str) -> str:
    # Slack's mrkdwn reads &, < and > as markup.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _only(ids: set[str]) -> str:
    return next(iter(ids)) if len(ids) == 1 else ""


def _recent_miss(profile: Any, now: datetime) -> bool:
    looked = profile.slack_lookup_at
    return not profile.slack_member_id and looked is not None and now - looked < LOOKUP_RETRY_AFTER


def _seconds(value: Any) -> float:
    try:
        return max(1.0, float(value))
    except (TypeError, ValueError):
        return DEFAULT_RETRY_AFTER_SECONDS
