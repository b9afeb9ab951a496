"""A small load generator for the site's forms: applicants and newsletter readers as HTTP
clients (keep-alive, cookies, CSRF), used by the benchmarks and the crash drill.

Nothing here imports Django: it talks to a real server over 127.0.0.1 like a browser would.
"""

from __future__ import annotations

import http.client
import http.cookies
import re
import statistics
import urllib.parse
from dataclasses import dataclass, field

ABOUT = {
    "full_name": "Load Applicant",
    "phone": "+44 7700 900456",
    "country": "United Kingdom",
    "date_of_birth": "14/02/1979",
}
CONDITION = {
    "condition": "lupus",
    "year_diagnosed": "2014",
    "diagnosis_confirmed": "yes",
    "treatments": "Hydroxychloroquine",
    "medicines": "Prednisolone 5 mg",
    "flares_last_year": "2",
    "kidney_involvement": "no",
}
HISTORY = {
    "cancer_last_5_years": "no",
    "pregnant": "no",
    "active_infection": "no",
    "other_conditions": "no",
}
CONSENT = {
    "privacy_notice_version": "2026-01",
    "privacy_notice_read": "on",
    "consent_health_data": "on",
}
TOKEN_RE = re.compile(rb'name="form_token" value="([^"]+)"')


@dataclass
class Client:
    """One visitor: a keep-alive connection and a cookie jar."""

    host: str
    port: int
    timeout: float = 30.0
    cookies: dict[str, str] = field(default_factory=dict)
    conn: http.client.HTTPConnection | None = None

    def request(
        self, method: str, path: str, data: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        headers = {"Host": f"{self.host}:{self.port}"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if data is not None:
            body = urllib.parse.urlencode(data).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            csrf = [v for k, v in self.cookies.items() if k.endswith("csrftoken")]
            if csrf:  # "csrftoken", or "__Host-csrftoken" in production
                headers["X-CSRFToken"] = csrf[0]
        for attempt in (1, 2):  # a keep-alive connection the server closed: reconnect once
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                content = response.read()
                break
            except (http.client.HTTPException, ConnectionError):
                self.close()
                if attempt == 2 or method != "GET":
                    raise
        for value in response.headers.get_all("Set-Cookie") or []:
            cookie = http.cookies.SimpleCookie(value)
            for key, morsel in cookie.items():
                self.cookies[key] = morsel.value
        return response.status, dict(response.headers), content

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def _expect(status: int, wanted: int, what: str) -> None:
    if status != wanted:
        raise RuntimeError(f"{what}: HTTP {status}")


def fill_application(client: Client, email: str) -> None:
    """Walk an applicant through every step up to the review page (not timed)."""
    status, _, _ = client.request("GET", "/apply/about/")
    _expect(status, 200, "apply start")
    for step, data in (
        ("about", {**ABOUT, "email": email}),
        ("condition", CONDITION),
        ("history", HISTORY),
        ("records", {}),
        ("consent", CONSENT),
    ):
        status, _, _ = client.request("POST", f"/apply/{step}/", {**data, "action": "continue"})
        _expect(status, 302, f"apply step {step}")


def submit_application(client: Client) -> str:
    """The final submit; returns the reference shown on the "received" page."""
    status, _, _ = client.request("POST", "/apply/review/", {})
    _expect(status, 302, "apply submit")
    status, _, body = client.request("GET", "/apply/received/")
    _expect(status, 200, "apply received")
    match = re.search(rb'class="reference">(HC-[A-Z0-9]+)<', body)
    if not match:
        raise RuntimeError("no reference on the received page")
    return match.group(1).decode()


def newsletter_signup(client: Client, email: str) -> None:
    status, _, page = client.request("GET", "/newsletter/")
    _expect(status, 200, "newsletter page")
    token = TOKEN_RE.search(page).group(1).decode()
    data = {"email": email, "language": "en", "form_token": token, "website": ""}
    status, _, body = client.request("POST", "/newsletter/", data)
    _expect(status, 200, "newsletter sign-up")
    if b"check your inbox" not in body:
        raise RuntimeError("sign-up not accepted")


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)
    if not ordered:
        return {"n": 0}
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return {
        "n": len(ordered),
        "p50_ms": round(statistics.median(ordered), 1),
        "p99_ms": round(p99, 1),
        "max_ms": round(ordered[-1], 1),
    }
