"""The poster baseline: a minimal Flask app that sends the same PDF bytes with send_file.

    BASELINE_FILE=/path/poster.pdf gunicorn bench.baseline_app:app
"""

import os

from flask import Flask, send_file

app = Flask(__name__)
POSTER = os.environ["BASELINE_FILE"]


@app.get("/healthz")
def health():
    return "ok"


@app.get("/poster.pdf")
def poster():
    return send_file(POSTER, mimetype="application/pdf")
