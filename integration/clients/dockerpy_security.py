"""docker-py against tsctr-dockerd: security options, device rules, sysctls, resources and update as a
docker-py user sets them. Prints one line per check; the test compares them."""
import sys
import time

import docker
from docker.errors import APIError

ref = sys.argv[1]
c = docker.from_env()


def sh(ctr, script):
    return ctr.exec_run(["sh", "-c", script]).output.decode().strip()


box = c.containers.run(
    ref,
    ["sleep", "120"],
    detach=True,
    security_opt=["no-new-privileges"],
    device_cgroup_rules=["c 7:128 rwm"],
    cpuset_cpus="0",
    mem_limit="64m",
    sysctls={"net.ipv4.ip_local_port_range": "2000 3000"},
)
print("seccomp nnp", sh(box, "grep -E '^(Seccomp|NoNewPrivs):' /proc/self/status | tr -d '\\t' | tr '\\n' ' '"))
print("device-rule", sh(box, "grep 7:128 /sys/fs/cgroup/devices/devices.list"))
print("sysctl", sh(box, "cat /proc/sys/net/ipv4/ip_local_port_range").replace("\t", " "))
box.update(cpu_quota=60000, mem_limit="96m", memswap_limit="192m")
box.reload()
hc = box.attrs["HostConfig"]
print("update", hc["CpuQuota"], hc["Memory"], hc["CpusetCpus"], sh(box, "cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/memory/memory.limit_in_bytes | tr '\\n' ' '"))
box.remove(force=True)

for kwargs in (
    {"sysctls": {"vm.swappiness": "1"}},
    {"security_opt": ["apparmor=myprofile"]},
    {"storage_opt": {"size": "1G"}},
):
    try:
        c.containers.create(ref, **kwargs)
        print("refused", list(kwargs)[0], "no")
    except APIError as e:
        print("refused", list(kwargs)[0], e.status_code)

oom = c.containers.run(
    ref,
    ["sh", "-c", 'x=$(head -c 209715200 /dev/zero | tr "\\0" a)'],
    detach=True,
    mem_limit="16m",
    memswap_limit="16m",
)
code = oom.wait()["StatusCode"]
for _ in range(50):
    oom.reload()
    if oom.attrs["State"]["OOMKilled"]:
        break
    time.sleep(0.1)
print("oom", code, oom.attrs["State"]["OOMKilled"])
oom.remove(force=True)
