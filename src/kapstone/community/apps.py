from django.apps import AppConfig


class CommunityConfig(AppConfig):
    name = "kapstone.community"
    label = "community"
    verbose_name = "Community: peer support, mentorship, workshops, resources, directory"
