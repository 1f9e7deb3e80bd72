// A loopback port for tests that start a real server process.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace asc::server {

/// A port that was free a moment ago: bind a plain socket to port 0, read the port, close it.
/// (An httplib::Server used as a probe would keep its listening socket open -- cpp-httplib 0.11
/// never closes it without listen() -- and, with SO_REUSEPORT, steal connections meant for the
/// server, or make the server's bind fail while the test polls the dead socket.)
inline int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  int port = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

}  // namespace asc::server
