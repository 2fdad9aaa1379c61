// ZeroMQ CURVE keys on disk and on sockets (docs/curve-keys.md). Key files
// use the ZeroMQ certificate text format of czmq's zcert and pyzmq's
// zmq.auth: a public file NAME.key holding `public-key = "<Z85>"` and a secret
// file NAME.key_secret holding both `public-key` and `secret-key`. Only those
// two lines matter; comments, "metadata" and "curve" lines are ignored, so
// certificates made by czmq or pyzmq work unchanged. A secret file that group
// or others may read is refused. Built as its own small library (blink_curve)
// so blink-sim and tests use the same reader as blinkd.
#pragma once

#include <string>
#include <vector>
#include <zmq.hpp>

#include "status.h"

namespace blink {

inline constexpr size_t kCurveKeyZ85Length = 40;  // 32 bytes in Z85

// A CURVE key pair in Z85 text. A value type.
struct CurveKeyPair {
  std::string public_key;
  std::string secret_key;
};

// Whether the linked libzmq was built with CURVE (zmq_has("curve")).
bool curve_available();

// A fresh key pair (zmq_curve_keypair).
Result<CurveKeyPair> make_curve_key_pair();

// Writes PREFIX.key (public, mode 0644) and PREFIX.key_secret (mode 0600).
// Refuses to overwrite either file.
Status write_curve_key_files(const std::string& prefix, const CurveKeyPair& pair);

// The key pair in a secret key file. Fails when the file is readable or
// writable by group or others, when either key is missing or not 40 Z85
// characters, or when the public key does not belong to the secret one.
Result<CurveKeyPair> read_curve_secret_file(const std::string& path);

// The public key in a key file (public or secret).
Result<std::string> read_curve_public_file(const std::string& path);

// The allowed client keys: every `public-key` line of a file, or of every
// regular file in a folder (the pyzmq public_keys/ layout). Secret files in
// a folder are skipped. Fails when nothing is found or a key is malformed.
Result<std::vector<std::string>> read_curve_allow_list(const std::string& path);

// The 32 raw bytes of a Z85 key; empty when malformed.
std::string curve_key_bytes(const std::string& z85);
// The Z85 text of 32 raw bytes.
std::string curve_key_z85(const void* bytes, size_t size);

// Makes `socket` a CURVE server with `pair`; ZAP requests name `zap_domain`.
// Call before bind/connect.
Status make_curve_server(zmq::socket_t& socket, const CurveKeyPair& pair,
                         const std::string& zap_domain);
// Makes `socket` a CURVE client of the server whose public key is `server_public_key`.
Status make_curve_client(zmq::socket_t& socket, const CurveKeyPair& pair,
                         const std::string& server_public_key);

}  // namespace blink
