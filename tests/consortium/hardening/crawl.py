"""A small crawler for the hostile-input tests: every page a role reaches, and its forms."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

# Writes that end the session or leave the crawl's world; nothing there to fuzz.
SKIPPED_ACTIONS = ("/logout", "/org/switch")
SKIPPED_PAGES = (".csv", ".json", "/logout", "/verify")


@dataclass
class FormSpec:
    """One <form method="post">: where it posts and its fields with the values the page gave."""

    page: str
    action: str
    fields: dict[str, list[str]] = field(default_factory=dict)  # name -> choices (first: default)
    files: set[str] = field(default_factory=set)

    def key(self) -> tuple[str, tuple[str, ...]]:
        return self.action, tuple(sorted(self.fields))


class _Parser(HTMLParser):
    def __init__(self, page: str) -> None:
        super().__init__()
        self.page = page
        self.links: list[str] = []
        self.forms: list[FormSpec] = []
        self._form: FormSpec | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(urljoin(self.page, a["href"]))
        elif tag == "form":
            method = a.get("method", "get").lower()
            action = urljoin(self.page, a.get("action") or self.page)
            self._form = FormSpec(self.page, urlsplit(action).path) if method == "post" else None
            if self._form is not None:
                self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag in ("input", "textarea", "button") and a.get("name"):
            name, kind = a["name"], a.get("type", "text")
            if kind == "file":
                self._form.files.add(name)
                return
            if kind in ("checkbox", "radio") and name in self._form.fields:
                self._form.fields[name].append(a.get("value", "y"))
                return
            value = a.get("value", "y" if kind in ("checkbox", "radio", "submit") else "")
            self._form.fields.setdefault(name, []).append(value)
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
            self._form.fields.setdefault(self._select, [])
        elif tag == "option" and self._select:
            self._form.fields[self._select].append(a.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def crawl(client, start: list[str], *, limit: int = 120) -> tuple[list[str], list[FormSpec]]:
    """Pages reachable from `start` (same site, GET) and their distinct post forms."""
    seen: list[str] = []
    queue = list(start)
    forms: dict[tuple, FormSpec] = {}
    while queue and len(seen) < limit:
        url = queue.pop(0)
        path = urlsplit(url).path + (f"?{urlsplit(url).query}" if urlsplit(url).query else "")
        if path in seen or any(s in path for s in SKIPPED_PAGES) or urlsplit(url).netloc not in (
            "", "localhost"
        ):
            continue
        seen.append(path)
        response = client.get(path)
        if response.status_code != 200 or "html" not in response.content_type:
            continue
        parser = _Parser(f"http://localhost{path}")
        parser.feed(response.get_data(as_text=True))
        queue.extend(parser.links)
        for form in parser.forms:
            if form.action not in SKIPPED_ACTIONS:
                forms.setdefault(form.key(), form)
    return seen, list(forms.values())
