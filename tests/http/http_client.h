// A small HTTP/1.1 test client on plain POSIX sockets: writes raw bytes and reads responses
// (status, lowercased headers, body by Content-Length), for tests against a real server.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>

namespace interdict::http::test_client {

using namespace std::chrono_literals;

struct Response {
  int status = 0;
  std::string reason;                          // the status line's reason phrase
  std::map<std::string, std::string> headers;  // lowercased names
  std::string body;
  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

// Parses one response from the front of `buf`; nullopt when it is not complete yet.
inline std::optional<Response> TakeResponse(std::string& buf, bool head) {
  const std::size_t end = buf.find("\r\n\r\n");
  if (end == std::string::npos) return std::nullopt;
  Response r;
  std::istringstream lines(buf.substr(0, end));
  std::string line;
  std::getline(lines, line);
  if (line.rfind("HTTP/1.1 ", 0) != 0) throw std::runtime_error("bad status line: " + line);
  r.status = std::stoi(line.substr(9, 3));
  if (!line.empty() && line.back() == '\r') line.pop_back();
  r.reason = line.size() > 13 ? line.substr(13) : std::string();
  while (std::getline(lines, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const std::size_t colon = line.find(':');
    std::string name = line.substr(0, colon);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    r.headers[name] = value;
  }
  std::size_t length = 0;
  if (!head && r.status >= 200 && r.status != 204 && r.status != 304) {
    length = std::stoul(r.Header("content-length"));
  }
  if (buf.size() < end + 4 + length) return std::nullopt;
  r.body = buf.substr(end + 4, length);
  buf.erase(0, end + 4 + length);
  return r;
}

class Client {
 public:
  explicit Client(std::uint16_t port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      throw std::runtime_error("connect failed");
    }
  }
  ~Client() { close(fd_); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  void Send(std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) throw std::runtime_error("send failed");
      data.remove_prefix(static_cast<std::size_t>(n));
    }
  }

  // One response, or nullopt when the connection closes (or nothing comes) first.
  std::optional<Response> Read(bool head = false, std::chrono::milliseconds timeout = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (auto r = TakeResponse(buf_, head)) return r;
      if (!Fill(deadline)) return std::nullopt;
    }
  }

  // True when the server closes the connection (EOF or reset) within `timeout`, with no bytes.
  bool ClosedWithin(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    const std::size_t before = buf_.size();
    while (Fill(deadline)) {
    }
    return closed_ && buf_.size() == before;
  }

  std::string Rest() const { return buf_; }

 private:
  // Reads what is there; false on EOF, error or deadline.
  bool Fill(std::chrono::steady_clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char tmp[65536];
    const ssize_t n = recv(fd_, tmp, sizeof tmp, 0);
    if (n <= 0) {
      closed_ = true;
      return false;
    }
    buf_.append(tmp, static_cast<std::size_t>(n));
    return true;
  }

  int fd_ = -1;
  std::string buf_;
  bool closed_ = false;
};

inline std::string Get(std::string_view target, std::string_view extra = {}) {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: test\r\n" + std::string(extra) + "\r\n";
}

}  // namespace interdict::http::test_client
