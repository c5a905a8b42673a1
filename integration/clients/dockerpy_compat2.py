"""docker-py against tsctr-dockerd, more of what it sees as dockerd does (issue 12): platforms checked
before any network access, events of execs, old API versions. Prints one line per check; the test
compares them."""
import socket
import sys
import threading

import docker
from docker.errors import APIError, NotFound

ref = sys.argv[1]
c = docker.from_env()
api = c.api

# A pull with a platform that does not parse is refused before the registry is asked anything: a
# listener on loopback stands in for the registry and counts connections.
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(5)
hits = []


def accept():
    while True:
        try:
            s, _ = srv.accept()
        except OSError:
            return
        hits.append(1)
        s.close()


threading.Thread(target=accept, daemon=True).start()
try:
    api.pull("127.0.0.1:%d/x" % srv.getsockname()[1], tag="latest", platform="foobar")
except APIError as e:
    print("pull-platform", e.status_code, e.explanation, "connections", len(hits))
srv.close()

# Create with a platform: the image's must match (404 lets the CLI pull the right one); a platform
# that does not parse is a 400.
try:
    api.create_container(ref, ["true"], platform="linux/arm64")
except NotFound as e:
    print("create-platform", e.status_code, e.explanation.replace(ref, "REF"))
try:
    api.create_container(ref, ["true"], platform="foobar")
except APIError as e:
    print("create-badplatform", e.status_code, e.explanation)
x = api.create_container(ref, ["true"], platform="linux/amd64")
print("create-platform-ok", bool(x["Id"]))
api.remove_container(x["Id"])
