// Volunteer tokens: random secrets handed out once and kept only as a
// SHA-256 hash, so a copy of the database does not let anyone vote as anyone.
// The one adapter over OpenSSL's libcrypto.
#pragma once

#include <string>
#include <string_view>

#include "status.h"

namespace blink {

// 32 random bytes from the OS's generator, as 64 lowercase hex characters.
Result<std::string> new_token();
// SHA-256 of the token, as 64 lowercase hex characters.
std::string token_hash(std::string_view token);
// True when `token` looks like one new_token() made (before any lookup).
bool well_formed_token(std::string_view token);

}  // namespace blink
