"""The client address every control keys on (``core.audit.client_ip``): X-Forwarded-For is
trusted for exactly ``TRUSTED_PROXY_COUNT`` hops, so what a client writes there changes
nothing, and applicants' addresses reach the audit log only if the clinic turns that on."""

import ipaddress

from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from clinicsite.applications.ratelimit import over_limit
from clinicsite.core.audit import client_ip, record
from clinicsite.core.models import AuditSettings

NGINX = "127.0.0.1"
REAL = "198.51.100.20"

junk = st.one_of(
    st.ip_addresses().map(str),
    st.text(alphabet="0123456789abcdef.:x ;=_-", max_size=20),
    st.just("unknown"),
)


def request_with(forwarded: str | None, remote: str = NGINX):
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    request = RequestFactory().get("/", **meta)
    request.user = AnonymousUser()
    return request


@hsettings(max_examples=200, deadline=None)
@given(spoofed=st.lists(junk, max_size=5))
def test_with_one_proxy_client_written_hops_never_change_the_address(spoofed):
    from django.conf import settings

    assert settings.TRUSTED_PROXY_COUNT == 1  # the test settings play nginx
    # nginx appends the address it saw to whatever the client sent
    request = request_with(", ".join([*spoofed, REAL]))
    assert client_ip(request) == REAL


@hsettings(max_examples=100, deadline=None)
@given(spoofed=st.lists(junk, max_size=5), remote=st.ip_addresses().map(str))
def test_with_no_proxy_the_header_is_ignored(spoofed, remote):
    from django.conf import settings as django_settings

    original = django_settings.TRUSTED_PROXY_COUNT
    django_settings.TRUSTED_PROXY_COUNT = 0
    try:
        request = request_with(", ".join([*spoofed, REAL]), remote=remote)
        assert client_ip(request) == str(ipaddress.ip_address(remote))
    finally:
        django_settings.TRUSTED_PROXY_COUNT = original


def test_with_two_proxies_the_client_is_the_second_hop_from_the_right(settings):
    settings.TRUSTED_PROXY_COUNT = 2
    # a load balancer appended the client, nginx appended the load balancer
    assert client_ip(request_with(f"203.0.113.66, {REAL}, 10.0.0.2")) == REAL
    # a request that did not come through both proxies falls back to the socket
    assert client_ip(request_with(None, remote="10.0.0.2")) == "10.0.0.2"


def test_rate_limits_count_the_real_client_whatever_it_forwards(settings):
    settings.APPLICATION_RATE_LIMIT = 3
    results = [over_limit(request_with(f"192.0.2.{n}, {REAL}"), "spoof-test") for n in range(1, 6)]
    assert results == [False, False, False, True, True]


def test_rate_limits_ignore_the_header_without_a_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    settings.APPLICATION_RATE_LIMIT = 3
    results = [
        over_limit(request_with(f"192.0.2.{n}", remote="203.0.113.5"), "direct-test")
        for n in range(1, 6)
    ]
    assert results == [False, False, False, True, True]


@pytest.mark.django_db
def test_applicants_addresses_stay_out_of_the_audit_log_unless_turned_on(django_user_model):
    anonymous = record(action="application.submitted", request=request_with(REAL))
    assert anonymous.actor_label == "anonymous"
    assert anonymous.ip_address is None

    staff_request = request_with("203.0.113.9")
    staff_request.user = django_user_model.objects.create_user("clin")
    assert record(action="application.viewed", request=staff_request).ip_address == ("203.0.113.9")

    setting = AuditSettings.load()
    setting.record_public_ip_address = True
    setting.save()
    kept = record(action="application.submitted", request=request_with(REAL))
    assert kept.ip_address == REAL
