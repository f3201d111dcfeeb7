from django.urls import path

from apps.accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("register/", views.register, name="register"),
    path("register/doctor/", views.register_doctor, name="register_doctor"),
    path("registered/", views.registered, name="registered"),
    path("verify/resend/", views.resend_verification, name="resend_verification"),
    path("verify/<str:token>/", views.verify_email, name="verify_email"),
    # The profile is always the signed-in user's own: no URL takes another user's id.
    path("profile/", views.profile, name="profile"),
]
