"""docker-py against tsctr-dockerd: the calls compose and scripts make. Prints one line per check;
the test compares them. Exits non-zero on the first failure (the traceback says which)."""
import sys

import docker
from docker.errors import ImageNotFound, NotFound, APIError

ref = sys.argv[1]
c = docker.from_env()  # DOCKER_HOST from the environment; version negotiated via GET /version
print("ping", c.ping())
print("api", c.api.api_version)
print("run", c.containers.run(ref, ["echo", "hi"], remove=True).decode().strip())

box = c.containers.run(ref, ["sh", "-c", "echo out; echo err >&2; sleep 30"], detach=True, name="py1",
                       labels={"app": "py"}, environment={"A": "b"})
box.reload()
print("status", box.status)
print("labels", box.labels.get("app"))
print("filter", [x.name for x in c.containers.list(filters={"label": ["app=py"]})])
r = box.exec_run(["sh", "-c", "echo $A; exit 3"])
print("exec", r.exit_code, r.output.decode().strip())
import time
time.sleep(0.3)
print("logs", box.logs(stdout=True, stderr=False).decode().strip(), box.logs(stdout=False, stderr=True).decode().strip())
box.stop(timeout=1)
print("wait", box.wait()["StatusCode"])
box.remove()
try:
    c.containers.get("py1")
except NotFound:
    print("gone", True)

try:
    c.images.get("nosuch/image:1")
except ImageNotFound:
    print("imagenotfound", True)
img = c.images.get(ref)
print("image", img.id.startswith("sha256:"), ref in img.tags)

v = c.volumes.create("pyvol", labels={"k": "v"})
print("volume", v.name, v.attrs["Labels"]["k"])
print("volrun", c.containers.run(ref, ["sh", "-c", "echo x > /v/f; cat /v/f"], remove=True,
                                 volumes={"pyvol": {"bind": "/v", "mode": "rw"}}).decode().strip())
v.remove()
try:
    c.api.create_container(ref, ["true"], name="bad name!")
except APIError as e:
    print("badname", e.status_code)
