"""The proofreading studio: a static page (HTML, CSS and JavaScript, no build step) served by
`polydub serve` at `/`. Everything it shows and does goes through the public v3 API with the
key the reviewer signs in with; the server adds only the files and a report-to-HTML renderer
(the one the CLI uses), so the page and the CLI draw the same charts."""

from polydub.web.site import STATIC_DIR, install_web

__all__ = ["STATIC_DIR", "install_web"]
