// Helpers for tests that run the real binaries on loopback: free ports,
// child processes, a tiny HTTP client and temporary folders.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/file.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace blink::testing {

// A TCP port on 127.0.0.1 for a test's server. Ports come from 20000-32767,
// below Linux's ephemeral range (32768-60999), so that an outgoing connection
// of a test running alongside cannot take one between this check and the
// server's bind. A counter in a file shared by every test process of the build
// (under flock) hands each port out once per pass over the range, and a port
// something else holds is skipped. tests/free_port.py speaks the same protocol.
inline bool port_bindable(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(uint16_t(port));
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

inline int free_port() {
  constexpr int kFirst = 20000, kCount = 12768;
#ifdef BLINK_BINARY_DIR
  const std::string path = std::string(BLINK_BINARY_DIR) + "/test-ports.counter";
#else
  const std::string path = "/tmp/blink-test-ports.counter";
#endif
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("free_port: cannot open " + path);
  ::flock(fd, LOCK_EX);
  char text[32] = {};
  const ssize_t got = ::pread(fd, text, sizeof text - 1, 0);
  long next = got > 0 ? std::atol(text) : long(::getpid()) % kCount;
  int port = 0;
  for (int tries = 0; tries < kCount && port == 0; ++tries, ++next) {
    const int candidate = kFirst + int(next % kCount);
    if (port_bindable(candidate)) port = candidate;
  }
  const std::string stored = std::to_string(next % kCount) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, stored.data(), stored.size(), 0) < 0) port = 0;
  ::flock(fd, LOCK_UN);
  ::close(fd);
  if (port == 0) throw std::runtime_error("free_port: no free port in 20000-32767 (" + path + ")");
  return port;
}

struct WireResponse {
  int status = 0;  // 0 when the server could not be reached
  std::string headers;
  std::string body;
};

// One blocking HTTP/1.0 request to 127.0.0.1:port.
inline WireResponse http_request(int port, const std::string& method, const std::string& path,
                                 const std::string& body = "", const std::string& extra_headers = "") {
  WireResponse r;
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(uint16_t(port));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return r;
  }
  std::string req = method + " " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n" + extra_headers;
  if (!body.empty() || method == "POST") req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  req += "\r\n" + body;
  ::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
  std::string resp;
  char buf[65536];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) resp.append(buf, size_t(n));
  ::close(fd);
  auto sp = resp.find(' ');
  if (sp == std::string::npos) return r;
  r.status = std::atoi(resp.c_str() + sp + 1);
  auto hdr_end = resp.find("\r\n\r\n");
  if (hdr_end != std::string::npos) {
    r.headers = resp.substr(0, hdr_end);
    r.body = resp.substr(hdr_end + 4);
  }
  return r;
}

inline WireResponse http_get(int port, const std::string& path) { return http_request(port, "GET", path); }

// A child process, killed on destruction if still running.
class Child {
 public:
  explicit Child(const std::vector<std::string>& argv, const std::string& log_path = "") {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    if (!log_path.empty()) {
      posix_spawn_file_actions_addopen(&fa, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      posix_spawn_file_actions_addopen(&fa, 2, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    }
    if (posix_spawn(&pid_, args[0], &fa, nullptr, args.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&fa);
  }
  ~Child() {
    if (pid_ > 0 && !exited_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const { return pid_; }
  void signal(int sig) { ::kill(pid_, sig); }
  // Exit status (or 128+signal), or -1 if still running after `timeout`.
  int wait(std::chrono::milliseconds timeout) {
    auto end = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < end) {
      int st = 0;
      pid_t r = ::waitpid(pid_, &st, WNOHANG);
      if (r == pid_) {
        exited_ = true;
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return -1;
  }

 private:
  pid_t pid_ = -1;
  bool exited_ = false;
};

// A fresh folder under the system temp dir, removed on destruction.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "blink-test-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Value of the first sample of `metric` in Prometheus text whose labels
// contain `labels`, or -1 when there is none.
inline double metric_value(const std::string& text, const std::string& metric, const std::string& labels = "") {
  std::stringstream ss(text);
  std::string line;
  while (std::getline(ss, line)) {
    if (line.rfind(metric, 0) != 0 || line.size() <= metric.size()) continue;
    char next = line[metric.size()];
    if (next != '{' && next != ' ') continue;
    if (!labels.empty() && line.find(labels) == std::string::npos) continue;
    return std::atof(line.substr(line.rfind(' ') + 1).c_str());
  }
  return -1;
}

inline std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace blink::testing
