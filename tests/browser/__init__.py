"""Browser tests: Playwright driving Debian's Chromium against the real app on a local port."""
