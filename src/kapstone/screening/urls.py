from django.urls import path

from kapstone.screening import views

screening_patterns = ([
    path("clients/<int:pk>/screening/", views.screening_list, name="list"),
    path("clients/<int:pk>/screening/run/", views.screening_run, name="run"),
    path("clients/<int:pk>/screening/<int:eid>/", views.evaluation_detail, name="evaluation"),
    path("clients/<int:pk>/screening/<int:eid>/submit/", views.evaluation_submit, name="submit"),
    path("clients/<int:pk>/screening/<int:eid>/decide/", views.clearance_decide, name="decide"),
    path("clinic/rule-set/", views.ruleset_overview, name="ruleset"),
    path("clinic/rule-set/edit/", views.ruleset_edit, name="ruleset_edit"),
    path("clinic/rule-set/settings/", views.ruleset_settings, name="ruleset_settings"),
    path("clinic/rule-set/activate/", views.ruleset_activate, name="ruleset_activate"),
    path("clinic/rule-set/versions/<int:vid>/", views.ruleset_version, name="ruleset_version"),
], "screening")  # fmt: skip
