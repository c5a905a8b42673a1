"""docker-py against tsctr-dockerd, more of what it sees as dockerd does (issue 12): platforms checked
before any network access, tag's reference checks, events of execs, old API versions. Prints one line per check; the test
compares them."""
import socket
import sys
import threading
import time

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
reg = "127.0.0.1:%d/x" % srv.getsockname()[1]
for what, call in [
    ("pull-platform", lambda: api.pull(reg, tag="latest", platform="foobar")),
    ("pull-tag", lambda: api.pull(reg, tag="bad tag")),
    ("pull-digest", lambda: api.pull(reg, tag="sha256:abc")),
    ("pull-name", lambda: api.pull("127.0.0.1:%d/UPPER" % srv.getsockname()[1], tag="latest")),
    ("push-tag", lambda: api.push(reg, tag="bad tag")),
]:
    try:
        call()
        print(what, "accepted")
    except APIError as e:
        print(what, e.status_code, e.explanation, "connections", len(hits))
srv.close()


# Tag with an invalid reference: refused before the image is looked up, with the reference texts.
for repo, tag in [("UPPER", None), ("ok", "bad:tag"), ("a//b", None), ("", None)]:
    try:
        api.tag(ref, repo, tag)
        print("tag", repr(repo), "accepted")
    except APIError as e:
        print("tag", repr(repo), e.status_code, e.explanation)
print("tag-ok", api.tag(ref, "tagged/ok", "v1"))

# Exec events as dockerd emits them, and the flat fields (status, id, from) old API versions read.
box = c.containers.run(ref, ["sleep", "60"], detach=True, name="evbox")
t0 = int(time.time()) - 1
x = api.exec_create(box.id, ["sh", "-c", "exit 3"])
api.exec_start(x["Id"])
time.sleep(0.3)
t1 = int(time.time()) + 1
for version in ["1.41", "1.21"]:  # 1.21: the oldest docker-py 5.0.3 speaks
    old = docker.from_env(version=version).api
    evs = [e for e in old.events(since=t0, until=t1, decode=True) if e.get("Type") == "container" and e.get("id") == box.id]
    for e in evs:
        attrs = e["Actor"]["Attributes"]
        print(
            "event",
            version,
            e["status"],
            e["Action"] == e["status"],
            e["from"] == ref,
            "exitCode=" + attrs["exitCode"] if "exitCode" in attrs else "-",
            "execID" in attrs,
        )
box.remove(force=True)
