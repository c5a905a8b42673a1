"""docker-py networking against tsctr-dockerd: what a script using docker.networks and published ports
checks. Prints one line per check; the test compares them. Exits non-zero on the first failure.

argv: image ref, a free host port on 127.0.0.1, a third octet N for the test subnet 172.31.N.0/24,
a suffix that makes the names unique."""
import sys
import time
import urllib.request

import docker
from docker.errors import APIError, NotFound
from docker.types import IPAMConfig, IPAMPool

ref, port, octet, tag = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
c = docker.from_env()
name = f"pynet{tag}"
subnet = f"172.31.{octet}.0/24"


def sh(container, cmd):
    r = container.exec_run(["sh", "-c", cmd])
    return r.exit_code, r.output.decode().strip()


# Create with labels, driver options and IPAM; a second create with the same name is a 409.
ipam = IPAMConfig(pool_configs=[IPAMPool(subnet=subnet, gateway=f"172.31.{octet}.254", iprange=f"172.31.{octet}.128/25")])
net = c.networks.create(name, driver="bridge", labels={"team": "py"}, ipam=ipam, check_duplicate=True,
                        options={"com.docker.network.bridge.enable_icc": "true"})
net.reload()
a = net.attrs
print("create", a["Name"] == name, a["Driver"], a["Scope"], a["Labels"], a["Options"])
print("ipam", a["IPAM"]["Driver"], [sorted(x.items()) for x in a["IPAM"]["Config"]] ==
      [sorted({"Subnet": subnet, "Gateway": f"172.31.{octet}.254", "IPRange": f"172.31.{octet}.128/25"}.items())])
try:
    c.networks.create(name, check_duplicate=True)
    print("duplicate created")
except APIError as e:
    print("duplicate", e.status_code, e.explanation == f"network with name {name} already exists")

# List with filters, as scripts find their networks.
print("list-label", [n.name == name for n in c.networks.list(filters={"label": "team=py"})])
print("list-label-kv", [n.name == name for n in c.networks.list(filters={"label": ["team=py"]})])
print("list-custom", [n.name == name for n in c.networks.list(filters={"type": "custom"})])
print("list-names", sorted(n.name.replace(name, "NET") for n in c.networks.list(names=[name, "bridge"])))
print("list-id", [n.name == name for n in c.networks.list(ids=[net.id])])
print("get", c.networks.get(name).id == net.id, c.networks.get(net.id[:12]).name == name)

# Connect a created container (with an alias), start it; connect a running one.
srv = c.containers.create(ref, ["sh", "-c", "mkdir /w; echo py-page > /w/index.html; exec httpd -f -p 80 -h /w"],
                          name=f"pysrv{tag}")
net.connect(srv, aliases=["alpha"])
srv.reload()
print("connect-created", sorted(srv.attrs["NetworkSettings"]["Networks"]), srv.attrs["NetworkSettings"]["Networks"][name]["Aliases"])
srv.start()
srv.reload()
ep = srv.attrs["NetworkSettings"]["Networks"][name]
print("started-ep", ep["NetworkID"] == net.id, ep["IPAddress"].startswith(f"172.31.{octet}."),
      int(ep["IPAddress"].split(".")[3]) >= 128, ep["Gateway"], ep["IPPrefixLen"], ep["Aliases"] == ["alpha", srv.id[:12]])
cli = c.containers.run(ref, ["sleep", "120"], detach=True, name=f"pycli{tag}")
print("before-connect", sh(cli, "wget -qO- -T 2 http://alpha/")[0] != 0)
net.connect(cli, aliases=["beta", "gamma"])
cli.reload()
print("connect-running", sorted(x.replace(name, "NET") for x in cli.attrs["NetworkSettings"]["Networks"]))
print("by-alias", sh(cli, "wget -qO- http://alpha/"))
print("by-name", sh(cli, f"wget -qO- http://pysrv{tag}/"))
code, out = sh(srv, "nslookup gamma")
cli_ip = cli.attrs["NetworkSettings"]["Networks"][name]["IPAddress"]
print("nslookup", code, f"Address: {cli_ip}" in out)
net.reload()
print("net-containers", sorted(x.name.replace(tag, "") for x in net.containers))

# Removing a network in use is refused; disconnect; then remove.
try:
    net.remove()
    print("remove-in-use removed")
except APIError as e:
    print("remove-in-use", e.status_code, "has active endpoints" in e.explanation)
net.disconnect(cli)
cli.reload()
print("disconnected", sorted(cli.attrs["NetworkSettings"]["Networks"]))
print("after-disconnect", sh(cli, "wget -qO- -T 2 http://alpha/")[0] != 0)
try:
    net.disconnect(cli)
    print("disconnect-again ok")
except APIError as e:
    print("disconnect-again", e.status_code)
for x in (srv, cli):
    x.remove(force=True)
net.remove()
try:
    c.networks.get(name)
    print("removed still there")
except NotFound:
    print("removed", True)

# Static addresses: on connect, and through the endpoint config at create; a taken one is refused.
# An internal network with a label, pruned by that label.
snet = c.networks.create(f"pystatic{tag}", internal=True, labels={"prune": tag},
                         ipam=IPAMConfig(pool_configs=[IPAMPool(subnet=subnet)]))
box = c.containers.run(ref, ["sleep", "120"], detach=True, name=f"pybox{tag}")
snet.connect(box, ipv4_address=f"172.31.{octet}.77", aliases=["xa"])
box.reload()
sep = box.attrs["NetworkSettings"]["Networks"][f"pystatic{tag}"]
print("static-connect", sep["IPAddress"] == f"172.31.{octet}.77", sep["IPAMConfig"] == {"IPv4Address": f"172.31.{octet}.77"},
      sh(box, f"ip -4 -o addr show eth1 | grep -c 172.31.{octet}.77/24"))
ec = c.api.create_endpoint_config(aliases=["yy"], ipv4_address=f"172.31.{octet}.88")
cid = c.api.create_container(ref, ["sleep", "120"], name=f"pyy{tag}",
                             host_config=c.api.create_host_config(network_mode=f"pystatic{tag}"),
                             networking_config=c.api.create_networking_config({f"pystatic{tag}": ec}))["Id"]
c.api.start(cid)
y = c.containers.get(cid)
print("static-create", y.attrs["NetworkSettings"]["Networks"][f"pystatic{tag}"]["IPAddress"] == f"172.31.{octet}.88")
code, out = sh(box, "nslookup yy")
print("static-dns", code, f"Address: 172.31.{octet}.88" in out)
z = c.containers.run(ref, ["sleep", "120"], detach=True, name=f"pyz{tag}")
try:
    snet.connect(z, ipv4_address=f"172.31.{octet}.88")
    print("dup-ip connected")
except APIError as e:
    print("dup-ip", e.status_code, e.explanation)
for x in (box, y, z):
    x.remove(force=True)
print("prune", c.networks.prune(filters={"label": f"prune={tag}"})["NetworksDeleted"] == [f"pystatic{tag}"])

# A published port, as containers.run(ports=...) and container.ports show it.
web = c.containers.run(ref, ["sh", "-c", "mkdir /w; echo published > /w/index.html; exec httpd -f -p 80 -h /w"],
                       detach=True, name=f"pyweb{tag}", ports={"80/tcp": ("127.0.0.1", port)})
web.reload()
print("ports", web.ports == {"80/tcp": [{"HostIp": "127.0.0.1", "HostPort": str(port)}]})
print("api-port", c.api.port(web.id, 80) == [{"HostIp": "127.0.0.1", "HostPort": str(port)}])
listed = c.api.containers(filters={"name": f"pyweb{tag}"})[0]["Ports"]
print("list-ports", listed == [{"IP": "127.0.0.1", "PrivatePort": 80, "PublicPort": port, "Type": "tcp"}])


def fetch(url):
    """httpd may not listen yet right after start: a refused connection is tried again for 5 s."""
    for _ in range(50):
        try:
            return urllib.request.urlopen(url, timeout=5).read().decode().strip()
        except OSError as e:
            last = e
            time.sleep(0.1)
    return str(last)


print("fetch", fetch(f"http://127.0.0.1:{port}/"))
web.remove(force=True)
try:
    urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)
    print("after-remove answered")
except OSError:
    print("after-remove refused")
