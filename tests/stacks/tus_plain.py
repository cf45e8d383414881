"""A plain tuspyserver (no collector around it): ``python -m tests.stacks.tus_plain DIR PORT``."""

from __future__ import annotations

import sys

import uvicorn
from fastapi import FastAPI
from tuspyserver import create_tus_router

if __name__ == "__main__":
    directory, port = sys.argv[1], int(sys.argv[2])
    app = FastAPI()
    app.include_router(create_tus_router(prefix="files", files_dir=directory))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
