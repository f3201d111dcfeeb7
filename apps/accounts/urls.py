from django.urls import path

from apps.accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("logout/everywhere/", views.logout_everywhere, name="logout_everywhere"),
    path("register/", views.register, name="register"),
    path("register/doctor/", views.register_doctor, name="register_doctor"),
    path("registered/", views.registered, name="registered"),
    path("verify/resend/", views.resend_verification, name="resend_verification"),
    path("verify/<str:token>/", views.verify_email, name="verify_email"),
    # The profile is always the signed-in user's own: no URL takes another user's id.
    path("profile/", views.profile, name="profile"),
    path("password/change/", views.PasswordChangeView.as_view(), name="password_change"),
    path("password/forgot/", views.PasswordResetRequestView.as_view(), name="password_reset"),
    path("password/forgot/sent/", views.PasswordResetDoneView.as_view(),
         name="password_reset_done"),
    # One segment, "<uidb64>.<token>": the link authenticates itself, like verify_email's.
    path("password/reset/<str:token>/", views.PasswordResetConfirmView.as_view(),
         name="password_reset_confirm"),
]
