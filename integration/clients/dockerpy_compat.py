"""docker-py against tsctr-dockerd: behaviours docker-py sees differently from dockerd unless they are
matched exactly. Prints one line per check; the test compares them."""
import sys

import docker
from docker.errors import APIError, ImageLoadError, NotFound
from docker.types import LogConfig

ref = sys.argv[1]
c = docker.from_env()
api = c.api

# Exec output is framed by the *start* body's Tty: a TTY exec started with Tty false is multiplexed.
box = c.containers.run(ref, ["sleep", "60"], detach=True, name="compat1")
x = api.exec_create(box.id, ["echo", "hi"], tty=True)
print("exec-tty-demux", api.exec_start(x["Id"], demux=True))
x = api.exec_create(box.id, ["echo", "hi"], tty=True)
print("exec-tty-plain", api.exec_start(x["Id"]))
x = api.exec_create(box.id, ["sh", "-c", "echo out; echo err >&2"])
print("exec-demux", api.exec_start(x["Id"], demux=True))

print("plugins", c.plugins.list())

box.kill()
box.wait()
try:
    box.kill()
except APIError as e:
    print("kill-stopped", e.status_code)

try:
    c.volumes.create("v1", driver="nosuchdriver")
except NotFound as e:
    print("volume-driver", e.status_code)
r = api._post_json(api._url("/volumes/create"), data={"Name": 5})
print("volume-wrongtype", r.status_code)

try:
    c.containers.create(ref, ["true"], log_config=LogConfig(type="asdf"))
except APIError as e:
    print("log-driver", e.status_code, e.explanation)

try:
    c.images.load(b"this is not a tar archive")
except ImageLoadError as e:
    print("load-broken", "ImageLoadError")

box2 = c.containers.run(ref, ["sh", "-c", "dd if=/dev/zero of=/big bs=1024 count=512 2>/dev/null"],
                        detach=True, name="compat2")
box2.wait()
box.remove()
pruned = c.containers.prune()
print("prune", len(pruned["ContainersDeleted"]) >= 1, pruned["SpaceReclaimed"] >= 512 * 1024)

# Create bodies dockerd refuses, with its texts.
for label, kwargs in [
    ("env", {"environment": ["=foo"]}),
    ("health", {"healthcheck": {"test": ["CMD", "true"], "interval": 1000}}),
    ("runtime", {"runtime": "nosuch"}),
]:
    try:
        c.containers.create(ref, ["true"], **kwargs)
    except APIError as e:
        print("refused-" + label, e.status_code, e.explanation)
created = c.containers.create(ref, ["true"])
print("runtime", created.attrs["HostConfig"]["Runtime"])
created.remove()

# --volumes-from: a missing source is 404; a real one shares its volume (read-only with :ro).
try:
    c.containers.create(ref, ["true"], volumes_from=["nosuchctr"])
except NotFound as e:
    print("volumes-from-missing", e.status_code)
src = c.containers.run(ref, ["sh", "-c", "echo shared > /data/f; sleep 60"], detach=True, name="vfsrc",
                       volumes={"vfvol": {"bind": "/data", "mode": "rw"}})
import time as _t
_t.sleep(0.5)
print("volumes-from", c.containers.run(ref, ["cat", "/data/f"], volumes_from=["vfsrc:ro"], remove=True).decode().strip())
try:
    c.containers.run(ref, ["sh", "-c", "echo x > /data/g"], volumes_from=["vfsrc:ro"], remove=True)
except docker.errors.ContainerError as e:
    print("volumes-from-ro", e.exit_status)
src.remove(force=True)
c.volumes.get("vfvol").remove()

# A container its restart policy is about to restart cannot be removed without force.
flap = c.containers.run(ref, ["sh", "-c", "exit 1"], detach=True, name="flap",
                        restart_policy={"Name": "always"})
for _ in range(100):
    flap.reload()
    if flap.attrs["State"]["Restarting"]:
        break
    _t.sleep(0.05)
try:
    flap.remove()
except APIError as e:
    print("restarting-rm", e.status_code, "restarting" in e.explanation)
flap.remove(force=True)

# --group-add: numeric and by name (from the image's /etc/group); an unknown name is refused.
print("group-add", c.containers.run(ref, ["id", "-G"], group_add=["1234", "nogroup"], remove=True).decode().split())
try:
    c.containers.create(ref, ["true"], group_add=["nosuchgroup"])
except APIError as e:
    print("group-add-unknown", e.status_code)
