// The hello every tcp migration connection starts with: the decode side presents the shared token
// and the epoch it expects (from the endpoint JSON); the listener accepts or says why not.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "socket_util.h"

namespace disaggd::migration_tcp {

/// Compares two secrets in time that depends only on their lengths, not on where they differ.
bool constant_time_equal(std::string_view a, std::string_view b);

/// Decode side: sends the hello on `fd` and reads the answer before `deadline`. Throws sdk::Error
/// with the listener's status (REMOTE_DISCONNECTED for another epoch, INVALID_ARGUMENT for a
/// refused token) or the transport's (TIMEOUT, REMOTE_DISCONNECTED); `where` (host:port) prefixes
/// the message.
void client_handshake(int fd, const std::string& token, uint64_t expected_epoch, Deadline deadline,
                      const std::string& where);

/// Listener side: reads the hello on `fd` before `deadline`, checks version, token (when `token`
/// is not empty) and epoch, and answers. Returns true when the peer was accepted; false (after
/// telling the peer why, if it can) otherwise. Never throws.
bool serve_handshake(int fd, const std::string& token, uint64_t epoch, Deadline deadline);

}  // namespace disaggd::migration_tcp
