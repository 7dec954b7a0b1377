from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from gongdan.api import api
from gongdan.core import views as core_views

handler403 = "gongdan.core.views.forbidden"
handler404 = "gongdan.core.views.not_found"
handler500 = "gongdan.core.views.server_error"

urlpatterns = [
    path("", core_views.home, name="home"),
    path("login/", core_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("assets/", include("gongdan.assets.urls")),
    path("m/", include("gongdan.mobile.urls")),
    path("parts/", include("gongdan.parts.urls")),
    path("", include("gongdan.portal.urls")),
    path("", include("gongdan.workorders.urls")),
    path("", include("gongdan.routing.urls")),
    path("", include("gongdan.office.urls")),
    path("", include("gongdan.reports.urls")),
]
