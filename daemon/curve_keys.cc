#include "curve_keys.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace blink {
namespace fs = std::filesystem;
namespace {

std::string trim(const std::string& s) {
  size_t a = s.find_first_not_of(" \t\r");
  if (a == std::string::npos) return "";
  size_t b = s.find_last_not_of(" \t\r");
  return s.substr(a, b - a + 1);
}

// Every value of `name = "..."` lines in `text`, in order.
std::vector<std::string> values_of(const std::string& text, const std::string& name) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    line = trim(line);
    if (line.empty() || line[0] == '#') continue;
    size_t eq = line.find('=');
    if (eq == std::string::npos || trim(line.substr(0, eq)) != name) continue;
    std::string value = trim(line.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
      value = value.substr(1, value.size() - 2);
    out.push_back(value);
  }
  return out;
}

Result<std::string> read_small_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::io_error("cannot read key file " + path + ": " + std::strerror(errno));
  std::string text;
  char buf[4096];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    text.append(buf, size_t(in.gcount()));
    if (text.size() > 64 * 1024) return Status::invalid("key file " + path + " is over 64 KiB");
  }
  return text;
}

Status check_key(const std::string& z85, const std::string& what, const std::string& path) {
  if (z85.size() != kCurveKeyZ85Length || curve_key_bytes(z85).empty())
    return Status::invalid(what + " in " + path + " is not a 40-character Z85 CURVE key");
  return Status::ok();
}

Status write_file(const std::string& path, const std::string& text, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return Status::io_error("cannot create " + path + ": " + std::strerror(errno));
  ::fchmod(fd, mode);  // whatever the umask
  bool ok = ::write(fd, text.data(), text.size()) == ssize_t(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return Status::io_error("cannot write " + path + ": " + std::strerror(errno));
  return Status::ok();
}

std::string certificate_text(const CurveKeyPair& pair, bool secret) {
  std::string out = std::string("#   ZeroMQ CURVE ") + (secret ? "**Secret** " : "Public ") +
                    "Certificate (written by blinkd --make-curve-keys)\n";
  out += secret ? "#   Keep this file private: mode 0600, readable by its owner only.\n"
                : "#   Give this file to the peers that must accept this key.\n";
  out += "\nmetadata\ncurve\n    public-key = \"" + pair.public_key + "\"\n";
  if (secret) out += "    secret-key = \"" + pair.secret_key + "\"\n";
  return out;
}

}  // namespace

bool curve_available() { return zmq_has("curve") == 1; }

std::string curve_key_bytes(const std::string& z85) {
  if (z85.size() != kCurveKeyZ85Length) return "";
  uint8_t raw[32];
  if (!zmq_z85_decode(raw, z85.c_str())) return "";
  return std::string(reinterpret_cast<const char*>(raw), sizeof raw);
}

std::string curve_key_z85(const void* bytes, size_t size) {
  if (size != 32) return "";
  char text[kCurveKeyZ85Length + 1];
  if (!zmq_z85_encode(text, static_cast<const uint8_t*>(bytes), size)) return "";
  return text;
}

Result<CurveKeyPair> make_curve_key_pair() {
  if (!curve_available()) return Status::unavailable("this libzmq was built without CURVE");
  char pub[kCurveKeyZ85Length + 1], sec[kCurveKeyZ85Length + 1];
  if (zmq_curve_keypair(pub, sec) != 0)
    return Status::internal(std::string("zmq_curve_keypair: ") + zmq_strerror(zmq_errno()));
  return CurveKeyPair{pub, sec};
}

Status write_curve_key_files(const std::string& prefix, const CurveKeyPair& pair) {
  const std::string pub = prefix + ".key", sec = prefix + ".key_secret";
  std::error_code ec;
  if (fs::exists(pub, ec) || fs::exists(sec, ec))
    return Status::invalid("refusing to overwrite " + pub + " or " + sec);
  if (Status s = write_file(sec, certificate_text(pair, true), 0600); !s) return s;
  return write_file(pub, certificate_text(pair, false), 0644);
}

Result<CurveKeyPair> read_curve_secret_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return Status::io_error("cannot read secret key file " + path + ": " + std::strerror(errno));
  if (st.st_mode & 077) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", unsigned(st.st_mode & 07777));
    return Status::invalid("secret key file " + path + " has mode " + mode +
                           ": group or others may read or change it; run chmod 600 " + path);
  }
  auto text = read_small_file(path);
  if (!text) return text.status();
  auto pubs = values_of(*text, "public-key"), secs = values_of(*text, "secret-key");
  if (secs.size() != 1 || pubs.size() != 1)
    return Status::invalid("secret key file " + path +
                           " must hold one public-key and one secret-key line (ZeroMQ "
                           "certificate format; make one with blinkd --make-curve-keys)");
  CurveKeyPair pair{pubs[0], secs[0]};
  if (Status s = check_key(pair.public_key, "public-key", path); !s) return s;
  if (Status s = check_key(pair.secret_key, "secret-key", path); !s) return s;
  char derived[kCurveKeyZ85Length + 1];
  if (zmq_curve_public(derived, pair.secret_key.c_str()) != 0 || pair.public_key != derived)
    return Status::invalid("in " + path + " the public-key does not belong to the secret-key");
  return pair;
}

Result<std::string> read_curve_public_file(const std::string& path) {
  auto text = read_small_file(path);
  if (!text) return text.status();
  auto pubs = values_of(*text, "public-key");
  if (pubs.size() != 1)
    return Status::invalid("key file " + path + " must hold exactly one public-key line");
  if (Status s = check_key(pubs[0], "public-key", path); !s) return s;
  return pubs[0];
}

Result<std::vector<std::string>> read_curve_allow_list(const std::string& path) {
  std::vector<std::string> files;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    for (const auto& entry : fs::directory_iterator(path, ec)) {
      const std::string name = entry.path().filename().string();
      if (!entry.is_regular_file() || name.empty() || name[0] == '.') continue;
      if (name.size() > 11 && name.ends_with(".key_secret")) continue;
      files.push_back(entry.path().string());
    }
    if (ec) return Status::io_error("cannot list " + path + ": " + ec.message());
    std::sort(files.begin(), files.end());  // the same order on every reload
  } else {
    files.push_back(path);
  }
  std::vector<std::string> keys;
  for (const std::string& file : files) {
    auto text = read_small_file(file);
    if (!text) return text.status();
    for (const std::string& key : values_of(*text, "public-key")) {
      if (Status s = check_key(key, "public-key", file); !s) return s;
      keys.push_back(key);
    }
  }
  if (keys.empty())
    return Status::invalid("no public-key found in " + path +
                           " (a key file, or a folder of them, is expected)");
  return keys;
}

Status make_curve_server(zmq::socket_t& socket, const CurveKeyPair& pair,
                         const std::string& zap_domain) {
  try {
    socket.set(zmq::sockopt::curve_server, 1);
    socket.set(zmq::sockopt::curve_secretkey, pair.secret_key);
    socket.set(zmq::sockopt::zap_domain, zap_domain);
  } catch (const zmq::error_t& e) {
    return Status::invalid(std::string("cannot make a CURVE server socket: ") + e.what());
  }
  return Status::ok();
}

Status make_curve_client(zmq::socket_t& socket, const CurveKeyPair& pair,
                         const std::string& server_public_key) {
  try {
    socket.set(zmq::sockopt::curve_serverkey, server_public_key);
    socket.set(zmq::sockopt::curve_publickey, pair.public_key);
    socket.set(zmq::sockopt::curve_secretkey, pair.secret_key);
  } catch (const zmq::error_t& e) {
    return Status::invalid(std::string("cannot make a CURVE client socket: ") + e.what());
  }
  return Status::ok();
}

}  // namespace blink
