package dev.allowdns.testing;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.Collections;
import java.util.Optional;

/** Finds this machine's own addresses, for sending to loopback from a non-loopback source. */
public final class LocalAddresses {
  private LocalAddresses() {}

  /**
   * Returns an IPv4 address of an interface of this machine that is not loopback or link-local. A
   * datagram from it to 127.0.0.1 never leaves the machine, yet its source is not loopback.
   */
  public static Optional<InetAddress> nonLoopbackIpv4() {
    try {
      for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
        if (!nic.isUp() || nic.isLoopback()) {
          continue;
        }
        for (InetAddress address : Collections.list(nic.getInetAddresses())) {
          if (address instanceof Inet4Address
              && !address.isLoopbackAddress()
              && !address.isLinkLocalAddress()) {
            return Optional.of(address);
          }
        }
      }
    } catch (SocketException e) {
      return Optional.empty();
    }
    return Optional.empty();
  }
}
