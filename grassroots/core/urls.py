from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("preferences/elderly", views.set_elderly_mode, name="set_elderly_mode"),
]
