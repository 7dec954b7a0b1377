from __future__ import annotations

from django.urls import path

from .views import account, board, designer, orders, people

app_name = "office"

urlpatterns = [
    path("board/", board.board, name="board"),
    path("orders/", board.order_list, name="list"),
    path("orders/new/", orders.order_new, name="order-new"),
    path("orders/new/<slug:type_key>/", orders.order_create, name="order-create"),
    path("orders/<str:number>/", orders.order_detail, name="order"),
    path("orders/<str:number>/edit/", orders.order_edit, name="order-edit"),
    path("orders/<str:number>/print/", orders.order_print, name="order-print"),
    path("orders/<str:number>/comment/", orders.order_comment, name="order-comment"),
    path("orders/<str:number>/photos/", orders.order_photo, name="order-photo"),
    path("orders/<str:number>/assign/", board.order_assign, name="order-assign"),
    path("orders/<str:number>/do/<slug:action>/", orders.order_transition, name="order-transition"),
    path("views/", board.saved_view_save, name="view-save"),
    path("views/<int:pk>/delete/", board.saved_view_delete, name="view-delete"),
    path("designer/", designer.designer_index, name="designer"),
    path("designer/new/", designer.designer_edit, name="designer-new"),
    path("designer/import/", designer.designer_import, name="designer-import"),
    path("designer/preview/", designer.designer_preview, name="designer-preview"),
    path("designer/<slug:key>/", designer.designer_edit, name="designer-edit"),
    path("designer/<slug:key>/export/", designer.designer_export, name="designer-export"),
    path("people/", people.people_users, name="people"),
    path("people/teams/", people.people_teams, name="people-teams"),
    path("people/regions/", people.people_regions, name="people-regions"),
    path("people/skills/", people.people_skills, name="people-skills"),
    path("language/", account.language_set, name="language"),
]
