# docker-py's images.build against tsctr-dockerd: from a path, a file object (a Dockerfile alone), a
# custom context (a gzipped tar), with buildargs, labels, target and extra_hosts. Prints one line per
# check; the test compares them.
import io
import os
import sys
import tarfile
import tempfile

import docker

client = docker.from_env()

work = tempfile.mkdtemp(prefix="tsctr-pybuild-")
with open(os.path.join(work, "Dockerfile"), "w") as f:
    f.write(
        "FROM busybox AS first\n"
        "ARG V=default\n"
        "RUN echo \"$V\" > /v.txt\n"
        "RUN grep -q 'myhost' /etc/hosts && echo hosts-ok > /hosts.txt\n"
        "FROM busybox AS second\n"
        "RUN echo second > /second.txt\n"
    )

img, logs = client.images.build(
    path=work,
    tag="pyb:path",
    buildargs={"V": "from-py"},
    labels={"org.example.py": "yes"},
    target="first",
    extra_hosts={"myhost": "127.0.0.1"},
    rm=True,
)
print("path", img.tags, img.labels.get("org.example.py"))
print("steps", any("Step 1/" in (l.get("stream") or "") for l in logs))
out = client.containers.run("pyb:path", ["cat", "/v.txt", "/hosts.txt"], remove=True)
print("run", out.decode().split())

img2, _ = client.images.build(fileobj=io.BytesIO(b"FROM busybox\nRUN echo fileobj > /f.txt\n"), tag="pyb:fileobj")
print("fileobj", client.containers.run("pyb:fileobj", ["cat", "/f.txt"], remove=True).decode().strip())

buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w:gz") as t:
    df = b"FROM busybox\nCOPY data.txt /data.txt\n"
    for name, data in (("Dockerfile", df), ("data.txt", b"custom\n")):
        info = tarfile.TarInfo(name)
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))
buf.seek(0)
img3, _ = client.images.build(fileobj=buf, custom_context=True, encoding="gzip", tag="pyb:custom")
print("custom", client.containers.run("pyb:custom", ["cat", "/data.txt"], remove=True).decode().strip())

try:
    client.images.build(fileobj=io.BytesIO(b"FROM busybox\nRUN exit 7\n"), tag="pyb:fail")
    print("fail none")
except docker.errors.BuildError as e:
    print("fail", "returned a non-zero code: 7" in str(e))
