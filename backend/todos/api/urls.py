from django.urls import path

from todos.api import views

urlpatterns = [
    path("todos/", views.TodoListView.as_view(), name="todos-list"),
    path("todos/count/", views.TodoCountView.as_view(), name="todos-count"),
    path("todos/<uuid:uuid>/", views.TodoDetailView.as_view(), name="todos-detail"),
    path("todos/<uuid:uuid>/complete/", views.TodoCompleteView.as_view(), name="todos-complete"),
    path("todos/<uuid:uuid>/dismiss/", views.TodoDismissView.as_view(), name="todos-dismiss"),
    path("cases/<uuid:uuid>/todos/", views.CaseTodoListView.as_view(), name="todos-case-list"),
    path("todo-rules/", views.TodoRuleListView.as_view(), name="todos-rules"),
    path("todo-rules/<uuid:uuid>/", views.TodoRuleDetailView.as_view(), name="todos-rule-detail"),
]
