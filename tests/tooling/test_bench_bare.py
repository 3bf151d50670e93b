"""The benchmark's bare baseline views are never reachable in production and never in the normal
URL configuration (the one the access oracle walks)."""

from __future__ import annotations

from typing import Any

from django.urls import get_resolver

CHECK = (
    "import django; django.setup(); from django.conf import settings; from django.urls import get_resolver; "
    "print(settings.ROOT_URLCONF, any('bench-bare' in str(p.pattern) for p in get_resolver().url_patterns))"
)


def test_the_normal_urlconf_has_no_bare_views() -> None:
    assert not any("bench-bare" in str(p.pattern) for p in get_resolver("kapstone.urls").url_patterns)


def test_bare_views_are_mounted_only_when_asked_for_outside_production(cli: Any, tmp_path: Any) -> None:
    env = cli.env(tmp_path, DJANGO_SETTINGS_MODULE="kapstone.settings", KAPSTONE_ENV="development")
    assert cli.python(CHECK, env=env).stdout.split() == ["kapstone.urls", "False"]
    bare = {**env, "KAPSTONE_BENCH_BARE": "1"}
    assert cli.python(CHECK, env=bare).stdout.split() == ["kapstone.tooling.bench_bare", "True"]


def test_production_settings_refuse_the_bare_views(cli: Any, tmp_path: Any) -> None:
    env = cli.env(
        tmp_path, DJANGO_SETTINGS_MODULE="kapstone.settings", KAPSTONE_ENV="production",
        KAPSTONE_SECRET_KEY="x" * 60, KAPSTONE_ALLOWED_HOSTS="kapstone.example", KAPSTONE_BENCH_BARE="1",
    )  # fmt: skip
    refused = cli.python(CHECK, env=env, check=False)
    assert refused.returncode != 0 and "KAPSTONE_BENCH_BARE must not be set" in refused.stderr
    # And the module itself refuses to load under settings that did not ask for it.
    direct = cli.python("import django; django.setup(); import kapstone.tooling.bench_bare",
                        env={**env, "KAPSTONE_BENCH_BARE": "0"}, check=False)  # fmt: skip
    assert direct.returncode != 0 and "for benchmarks only" in direct.stderr
