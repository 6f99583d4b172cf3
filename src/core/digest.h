// SHA-256 digests (OpenSSL) as lowercase hex, for evidence captures.
// Thread-safety: reentrant.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace interdict {

std::string Sha256Hex(std::string_view bytes);
// Streams the file; errors name the path.
Result<std::string> Sha256File(const std::string& path);

}  // namespace interdict
