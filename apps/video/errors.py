"""Refusals of the video call pages, with messages safe to show."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from apps.core.errors import RuleError


class VideoError(RuleError):
    default_message = _("The video call could not be started.")
    status = 409


class NotAVideoCall(VideoError):
    default_message = _("This appointment is not a video consultation.")


class CallNotScheduled(VideoError):
    default_message = _("This appointment is no longer scheduled, so its video call is closed.")


class TooEarly(VideoError):
    default_message = _("The video call opens %(minutes)s minutes before the start.")


class CallOver(VideoError):
    default_message = _("The time for this video call has passed.")


class JoinTokenInvalid(VideoError):
    default_message = _("This join link has expired. Reload the page to join again.")
    status = 403


class VideoUnavailable(VideoError):
    default_message = _(
        "The video service is unavailable at the moment. You can switch this appointment "
        "to a phone call instead; nothing else about it changes."
    )
    status = 503


class TooManyEvents(VideoError):
    default_message = _("Too many call reports; slow down.")
    status = 429


class BadEvent(VideoError):
    default_message = _("This call report is not valid.")
    status = 400


class BadJoinRequest(VideoError):
    default_message = _("This join request is not valid. Reload the page to join again.")
    status = 400


class NoCallYet(VideoError):
    default_message = _("Nobody has joined this video call yet.")
    status = 409


class NotInCall(VideoError):
    default_message = _("You are not in this call. Join it first.")
    status = 403


class VideoWorks(VideoError):
    default_message = _(
        "The video service is working, so this appointment stays a video call: join it "
        "from this page."
    )
    status = 409
