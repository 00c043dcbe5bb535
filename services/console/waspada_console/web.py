"""What every page handler shares: the composition's parts, the session, rendering, API calls, CSRF.

Pages answer as the APIs do: a 404 or 403 from intake or notify becomes the same status here, so no
page tells a key more than the API would.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from waspada_console.assets import Assets
from waspada_console.client import Answer, Api, Service
from waspada_console.sessions import Session, SessionStore
from waspada_console.settings import ConsoleSettings


@dataclass
class Console:
    settings: ConsoleSettings
    api: Api
    sessions: SessionStore
    templates: Jinja2Templates
    assets: Assets


class SignInRequired(Exception):
    pass


class PageError(Exception):
    """Answer with an error page (status as the API answered, Indonesian title)."""

    def __init__(self, status: int, title: str, detail: str = "") -> None:
        super().__init__(title)
        self.status, self.title, self.detail = status, title, detail


_TITLES = {
    400: "Permintaan tidak sah",
    401: "Perlu masuk kembali",
    403: "Di luar wewenang kunci Anda",
    404: "Tidak ditemukan",
    409: "Tidak dapat diproses",
    422: "Isian tidak sah",
    429: "Terlalu banyak permintaan; coba lagi sebentar lagi",
    503: "Layanan sedang tidak dapat dihubungi",
}


def console(request: Request) -> Console:
    found: Console = request.app.state.console
    return found


def session(request: Request) -> Session:
    found: Session = request.state.session
    return found


def signed_in(request: Request) -> Session:
    s = session(request)
    if not s.signed_in:
        raise SignInRequired
    return s


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    c = console(request)
    s = session(request)
    base = {"session": s, "csrf": s.csrf, "flash": s.pop_flash(), "path": request.url.path}
    return c.templates.TemplateResponse(request, template, {**base, **context}, status_code=status)


def redirect(url: str) -> Response:
    return RedirectResponse(url, status_code=303)


def sign_in_url(request: Request) -> str:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return "/masuk?lanjut=" + quote(target, safe="")


async def call(
    request: Request,
    method: str,
    service: Service,
    path: str,
    *,
    params: dict[str, Any] | None = None,
    json: Any = None,
) -> Answer:
    """Call an API with the signed-in key; a 401 (key revoked) signs the session out."""
    s = signed_in(request)
    assert s.key is not None
    answer = await console(request).api.call(method, service, path, s.key, params=params, json=json)
    if answer.status == 401:
        request.state.session = console(request).sessions.sign_out(s)
        raise SignInRequired
    return answer


async def get_ok(request: Request, service: Service, path: str, params: dict[str, Any] | None = None) -> Any:
    """The body of a successful GET, or the API's status as an error page."""
    answer = await call(request, "GET", service, path, params=params)
    if not answer.ok:
        raise page_error(answer)
    return answer.body


def page_error(answer: Answer) -> PageError:
    status = answer.status if answer.status in _TITLES else 503 if answer.status >= 500 else 400
    return PageError(status, _TITLES[status], answer.problem_title())


def error_title(status: int) -> str:
    return _TITLES.get(status, "Terjadi kesalahan")


async def form_with_csrf(request: Request) -> dict[str, Any]:
    """The posted form, once its CSRF token matches the session's; else a 403 page."""
    form = await request.form()
    token = form.get("csrf_token")
    if not console(request).sessions.csrf_ok(session(request), token if isinstance(token, str) else None):
        raise PageError(
            403,
            "Formulir tidak sah atau kedaluwarsa",
            "Token keamanan formulir tidak cocok. Muat ulang halaman lalu kirim lagi.",
        )
    out: dict[str, Any] = {}
    for k in form:
        values = [v for v in form.getlist(k) if isinstance(v, str)]
        out[k] = values if len(values) > 1 else (values[0] if values else "")
    return out
