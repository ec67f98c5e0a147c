"""Files the service makes on request (reports, certificates, calendar files, CSV lists), sent as
downloads under a name that may hold any character."""

import io

from flask import Response, send_file


def attachment(data: bytes, filename: str, mimetype: str) -> Response:
    """``data`` as a download called ``filename``.

    Flask's send_file writes the Content-Disposition header: a name outside ASCII goes in an
    RFC 5987 ``filename*`` (UTF-8, percent-encoded) beside an ASCII ``filename`` for old clients,
    so a cohort called 'café-Ω-日本 – 2020' downloads under that name instead of breaking the
    header (a raw non-Latin-1 header makes the server answer 500)."""
    return send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=filename)
