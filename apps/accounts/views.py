"""Login, logout, registration, email verification, the user's own profile and password."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm as DjangoPasswordChangeForm
from django.contrib.auth.forms import SetPasswordForm
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.generic import FormView
from django.views.i18n import set_language as django_set_language

from apps.accounts import emails, selectors, services
from apps.accounts.forms import (
    DoctorRegistrationForm,
    LoginForm,
    PasswordChangeForm,
    PasswordResetRequestForm,
    PatientRegistrationForm,
    ProfileForm,
    SetNewPasswordForm,
    profile_form_class,
)
from apps.accounts.models import User
from apps.accounts.sessions import session_mark_login
from apps.audit.network import client_ip

logger = logging.getLogger(__name__)


def _dashboard_url() -> str:
    return reverse(settings.LOGIN_REDIRECT_URL)


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def _add_account_error(form: Any, error: services.AccountError) -> None:
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)


def _current_user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # noqa: S101 - guaranteed by login_required
    return user


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(_safe_next(request, _dashboard_url()))

    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        ip = client_ip(request)
        if services.login_is_locked(email=email, ip=ip):
            form.add_error(None, _("Too many failed attempts. Please wait 15 minutes and "
                                   "try again."))
        else:
            # The backend counts failures and clears them on success.
            user = authenticate(request, username=email, password=form.cleaned_data["password"])
            if user is None:
                form.add_error(None, _("The email or password is not correct."))
            else:
                login(request, user)
                logger.info("login user=%s", user.pk)
                return redirect(_safe_next(request, _dashboard_url()))

    status = 400 if form.errors else 200
    return render(request, "accounts/login.html", {"form": form,
                                                   "next": _safe_next(request, "")},
                  status=status)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        logger.info("logout user=%s", request.user.pk)
    logout(request)
    messages.info(request, _("You have logged out."))
    return redirect(settings.LOGOUT_REDIRECT_URL)


@login_required
@require_POST
def logout_everywhere(request: HttpRequest) -> HttpResponse:
    """End every session and app token, this one too: whoever holds a copy of it is out.

    Staying logged in here would keep out a thief who took another device, but not one
    who took this session (a stolen cookie can press the button too); after this only the
    password opens a new session.
    """
    user = services.user_logout_everywhere(user=_current_user(request))
    logout(request)
    logger.info("logout everywhere user=%s", user.pk)
    messages.success(request, _("You have been logged out on every device. Log in again "
                                "with your password."))
    return redirect("accounts:login")


def _register(
    request: HttpRequest,
    form: PatientRegistrationForm | DoctorRegistrationForm,
    template: str,
) -> HttpResponse:
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        password = data.pop("password1")
        data.pop("password2")
        try:
            if isinstance(form, DoctorRegistrationForm):
                user = services.user_register_doctor(password=password, **data)
            else:
                user = services.user_register_patient(password=password, **data)
        except services.AccountError as error:
            _add_account_error(form, error)
        else:
            login(request, user, backend="apps.accounts.backends.EmailBackend")
            return redirect("accounts:registered")

    status = 400 if form.errors else 200
    return render(request, template, {"form": form}, status=status)


@sensitive_post_parameters("password1", "password2", "cnic", "phone")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(_dashboard_url())
    form = PatientRegistrationForm(request.POST or None)
    return _register(request, form, "accounts/register.html")


@sensitive_post_parameters("password1", "password2")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def register_doctor(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(_dashboard_url())
    form = DoctorRegistrationForm(request.POST or None)
    return _register(request, form, "accounts/register_doctor.html")


@login_required
@require_GET
def registered(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/registered.html", {"dashboard_url": _dashboard_url()})


@never_cache
@require_GET
def verify_email(request: HttpRequest, token: str) -> HttpResponse:
    try:
        user = services.user_verify_email(token=token)
    except services.VerificationFailed as error:
        return render(request, "accounts/verify_email_failed.html",
                      {"reason": error.message, "expired": isinstance(
                          error, services.VerificationExpired)},
                      status=400)
    messages.success(request, _("Thank you, your email address is verified."))
    if request.user.is_authenticated and request.user.pk == user.pk:
        return redirect(_dashboard_url())
    return redirect("accounts:login")


@login_required
@require_POST
def resend_verification(request: HttpRequest) -> HttpResponse:
    user = _current_user(request)
    if user.is_verified:
        messages.info(request, _("Your email address is already verified."))
    elif not services.resend_verification_allowed(user=user):
        messages.warning(request, _("We have sent several emails already. Please check your "
                                    "inbox and spam folder, or try again in an hour."))
    else:
        services.user_resend_verification(user=user)
        messages.success(request, _("We sent you a new verification link."))
    return HttpResponseRedirect(_safe_next(request, _dashboard_url()))


@sensitive_post_parameters("phone", "cnic", "allergies", "emergency_contact", "address")
@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    user = _current_user(request)
    form_class = profile_form_class(user)

    if request.method == "POST":
        form: ProfileForm = form_class(request.POST, initial=form_class.initial_for(user))
        if form.is_valid():
            changes = {name: form.cleaned_data[name] for name in form.changed_data}
            if not changes:
                messages.info(request, _("Nothing to save: your profile is unchanged."))
                return redirect("accounts:profile")
            try:
                services.user_update_profile(actor=user, request=request, **changes)
            except services.AccountError as error:
                _add_account_error(form, error)
            else:
                messages.success(request, _("Your profile has been saved."))
                return redirect("accounts:profile")
        return render(request, "accounts/profile.html", _profile_context(user, form), status=400)

    profile_user = selectors.user_profile_get(actor=user, request=request)
    form = form_class(initial=form_class.initial_for(profile_user))
    return render(request, "accounts/profile.html", _profile_context(profile_user, form))


def _profile_context(user: User, form: ProfileForm) -> dict[str, Any]:
    return {
        "form": form,
        "profile": user,
        "specialty_label": dict(services.SPECIALTIES).get(user.specialty or ""),
    }


# --- Passwords ----------------------------------------------------------------------------


@method_decorator([csrf_protect, never_cache], name="dispatch")
class PasswordResetRequestView(FormView):
    """Ask for a reset link. Known and unknown addresses end on the same page."""

    form_class = PasswordResetRequestForm
    template_name = "accounts/password_reset_form.html"
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form: PasswordResetRequestForm) -> HttpResponse:
        email = form.cleaned_data["email"]
        if not services.password_reset_allowed(email=email, ip=client_ip(self.request)):
            form.add_error(None, _("We have sent several reset emails already. Please check "
                                   "your inbox and spam folder, or try again in an hour."))
            return self.render_to_response(self.get_context_data(form=form), status=429)

        services.user_password_reset_request(email=email)
        return HttpResponseRedirect(self.get_success_url())

    def form_invalid(self, form: PasswordResetRequestForm) -> HttpResponse:
        return self.render_to_response(self.get_context_data(form=form), status=400)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's flow: the link's token moves into the session, then the form posts without it.

    The URL segment is "<uidb64>.<token>" (see emails.reset_link_token).
    """

    form_class = SetNewPasswordForm
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:login")

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        self.uidb64, self.url_token = emails.reset_link_parts(str(kwargs.pop("token", "")))
        return super().dispatch(request, *args, uidb64=self.uidb64, token=self.url_token,
                                **kwargs)

    def render_to_response(self, context: dict[str, Any], **response_kwargs: Any) -> HttpResponse:
        if self.validlink:
            return super().render_to_response(context, **response_kwargs)
        if self.url_token != self.reset_url_token:
            # Answer a link that does not work with a redirect too: the 4xx line the request
            # logger writes then names the token-free address.
            self.request.session.pop(auth_views.INTERNAL_RESET_SESSION_TOKEN, None)
            return redirect("accounts:password_reset_confirm",
                            token=f"{self.uidb64}{emails.RESET_LINK_SEPARATOR}"
                                  f"{self.reset_url_token}")
        response_kwargs["status"] = 400
        return super().render_to_response(context, **response_kwargs)

    def form_valid(self, form: SetPasswordForm[User]) -> HttpResponse:
        session = self.request.session
        assert self.user is not None  # noqa: S101 - dispatch only shows the form with a user
        try:
            user = services.user_password_reset(
                user_id=self.user.pk,
                token=session.get(auth_views.INTERNAL_RESET_SESSION_TOKEN, ""),
                password=form.cleaned_data["new_password1"],
            )
        except services.PasswordResetLinkInvalid:
            # Another tab used the link between showing this form and posting it.
            self.validlink = False
            return self.render_to_response(self.get_context_data())

        session.pop(auth_views.INTERNAL_RESET_SESSION_TOKEN, None)
        services.login_failures_clear(email=user.email, ip=client_ip(self.request))
        messages.success(self.request, _("Your new password is set. Please log in with it."))
        return HttpResponseRedirect(self.get_success_url())

    def form_invalid(self, form: SetPasswordForm[User]) -> HttpResponse:
        return self.render_to_response(self.get_context_data(form=form), status=400)


class PasswordChangeView(auth_views.PasswordChangeView):
    """Current password plus the new one twice; the session survives the change."""

    form_class = PasswordChangeForm
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:profile")

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        if self.request.method == "POST":
            # A wrong current password counts as a failed login: a stolen session must not
            # become a way around the login throttle.
            kwargs["locked"] = services.login_is_locked(
                email=_current_user(self.request).email, ip=client_ip(self.request)
            )
        return kwargs

    def form_valid(self, form: DjangoPasswordChangeForm) -> HttpResponse:
        user = services.user_change_password(
            user=_current_user(self.request), password=form.cleaned_data["new_password1"]
        )
        update_session_auth_hash(self.request, user)
        # The change revoked sessions logged in before it; the one that made it carries on.
        session_mark_login(self.request)
        services.login_failures_clear(email=user.email, ip=client_ip(self.request))
        messages.success(self.request, _("Your password has been changed."))
        return HttpResponseRedirect(self.get_success_url())

    def form_invalid(self, form: DjangoPasswordChangeForm) -> HttpResponse:
        if form.has_error("old_password", code="password_incorrect"):
            services.login_failure_record(email=_current_user(self.request).email,
                                          ip=client_ip(self.request))
        return self.render_to_response(self.get_context_data(form=form), status=400)


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's switcher, which also saves a signed-in user's choice for their notifications."""
    response = django_set_language(request)
    if request.user.is_authenticated:
        services.user_language_save(user=_current_user(request),
                                    code=request.POST.get("language") or "")
    return response
