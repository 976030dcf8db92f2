// Secret comparison.
#include "core/config/secret.h"

#include <cstddef>

namespace disaggd::core {

bool secret_equals(const std::string& secret, const std::string& candidate) {
  // Walk the whole secret whatever the candidate is, so the time taken does not tell how many
  // leading bytes matched; only the (public) length of the secret is revealed.
  unsigned char difference = secret.size() == candidate.size() ? 0 : 1;
  for (std::size_t i = 0; i < secret.size(); ++i) {
    const char other = i < candidate.size() ? candidate[i] : '\0';
    difference |= static_cast<unsigned char>(secret[i] ^ other);
  }
  return difference == 0;
}

}  // namespace disaggd::core
