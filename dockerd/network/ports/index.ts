// Published ports (`-p`, `-P`) for the Docker layer. Public API:
//
//   validatePortBindings(PortBindings)                 create time: dockerd's "invalid port specification: …"
//   portRequests(PortBindings, ExposedPorts, PublishAllPorts) → PortRequest[]
//                                                      what to publish at start, in dockerd's order; -P adds
//                                                      an ephemeral binding per exposed port without one
//   new PortTable({ range?, log? })                    the daemon's table + one held socket per host ip:port
//     .allocate(containerId, requests, {bridge, containerIp}) → PublishedPort[]   (all or nothing)
//         HostIp '' → entries for 0.0.0.0 and :: ; empty HostPort → from ip_local_port_range, low end first
//         errors (PortAllocationError, errdefs System): "Bind for 0.0.0.0:18080 failed: port is already
//         allocated", "Error starting userland proxy: listen tcp4 0.0.0.0:18080: bind: address already in use"
//     .restore(containerId, ports, target)  .release(containerId)  .list(containerId)  .owners()
//   new PortPublisher(table, firewall)
//     .publish(containerId, requests, target)  table.allocate + firewall.publish (DNAT/ACCEPT/MASQUERADE)
//     .restore(containerId, ports, target)     after a restart
//     .unpublish(containerId)                  firewall.unpublish + table.release
//   externalConnectivityMessage(endpointName, endpointId, err)  dockerd's wrapping of a publish error
//   networkSettingsPorts(ExposedPorts, published)  NetworkSettings.Ports
//   listPorts(ExposedPorts, published)             GET /containers/json Ports
//   localPortRange()                               ip_local_port_range
export {
  type PortBindings,
  type PortBindingSpec,
  type PortRequest,
  type Proto,
  portRequests,
  validatePortBindings,
  splitProtoPort,
  parseHostPort,
} from './parse.js';
export {
  PortTable,
  PortAllocationError,
  localPortRange,
  type PortRange,
  type PublishedPort,
  type PublishTarget,
  type PortTableOptions,
} from './table.js';
export { PortPublisher, portRules, externalConnectivityMessage } from './publisher.js';
export { networkSettingsPorts, listPorts, type PortBindingView, type ListPortView } from './view.js';
export { holdPort, isV6Listenable, BindError } from './hold.js';
