#!/usr/bin/env python3
"""A loopback HTTP server for GeoFilter's update tests: serves the files of a directory with
ETag and Last-Modified, answers conditional requests with 304, and misbehaves on request.

Usage: test-http-server.py DIRECTORY   (prints the port on the first line of standard output)

DIRECTORY/behaviour.json maps a URL path to what to do instead of serving it normally:
  "status:404", "status:500"   answer that status
  "fail:N:500"                 answer 500 to the first N requests, then serve normally
  "truncate"                   send the full Content-Length but only half of the body
  "stall"                      send the headers and a few bytes, then nothing for 60 s
  "slow"                       send the body in 4 KiB pieces, one every 50 ms
  "no-validators"              serve without ETag and Last-Modified
  "redirect:URL"               answer 302 with Location URL (any scheme: file:///etc/passwd, ftp://...)
Every request is appended to DIRECTORY/requests.log as a JSON line (method, path, headers).
"""
import email.utils
import hashlib
import http.server
import json
import os
import sys
import threading
import time

ROOT = os.path.abspath(sys.argv[1])
LOCK = threading.Lock()
COUNTS = {}


def behaviour(path):
    try:
        with open(os.path.join(ROOT, "behaviour.json")) as handle:
            return json.load(handle).get(path, "")
    except (OSError, ValueError):
        return ""


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def handle(self):
        # A client killed mid-transfer (the tests do that on purpose) is not an error here.
        try:
            super().handle()
        except (BrokenPipeError, ConnectionResetError):
            pass

    def do_GET(self):
        path = self.path.split("?")[0]
        with LOCK:
            COUNTS[path] = COUNTS.get(path, 0) + 1
            count = COUNTS[path]
            with open(os.path.join(ROOT, "requests.log"), "a") as log:
                log.write(json.dumps({"path": self.path, "headers": dict(self.headers)}) + "\n")
        mode = behaviour(path)
        if mode.startswith("status:"):
            return self.reply(int(mode.split(":")[1]), b"error page\n")
        if mode.startswith("redirect:"):
            self.send_response(302)
            self.send_header("Location", mode[len("redirect:"):])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if mode.startswith("fail:") and count <= int(mode.split(":")[1]):
            return self.reply(int(mode.split(":")[2]), b"temporary failure\n")
        file = os.path.normpath(os.path.join(ROOT, path.lstrip("/")))
        if not file.startswith(ROOT + os.sep) or not os.path.isfile(file):
            return self.reply(404, b"not found\n")
        with open(file, "rb") as handle:
            body = handle.read()
        etag = '"%s"' % hashlib.sha256(body).hexdigest()[:16]
        modified = email.utils.formatdate(os.path.getmtime(file), usegmt=True)
        validators = mode != "no-validators"
        if validators and (self.headers.get("If-None-Match") == etag or
                           (self.headers.get("If-None-Match") is None and self.headers.get("If-Modified-Since") == modified)):
            self.send_response(304)
            self.send_header("ETag", etag)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        if validators:
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", modified)
        self.end_headers()
        if mode == "truncate":
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        if mode == "stall":
            self.wfile.write(body[:16])
            self.wfile.flush()
            time.sleep(60)
            return
        if mode == "slow":
            for start in range(0, len(body), 4096):
                self.wfile.write(body[start:start + 4096])
                self.wfile.flush()
                time.sleep(0.05)
            return
        self.wfile.write(body)

    def reply(self, status, body):
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
print(server.server_address[1], flush=True)
server.serve_forever()
